"""Language identification, shared by ingestion and the suggester (which builds on articles/).

py3langid works offline (its model ships inside the wheel), takes a fraction of a millisecond
on an article's opening, and is restricted to the languages a caller can handle, so a short
French text is never called Walloon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

import numpy as np

# The opening of an article settles its language; reading all of it only costs time.
SAMPLE_CHARS = 1000
_LETTERS = re.compile(r"[^\W\d_]")
_OTHER_SCRIPTS = re.compile(r"[^\W\d_\u0000-\u052f\u1e00-\u1eff]")


@cache
def _model() -> tuple:
    # Decompressing the model takes half a second: once per process, for every language set.
    from py3langid.langid import MODEL_DIR, MODEL_FILE
    from py3langid.modelio import load_model

    return load_model(MODEL_DIR / MODEL_FILE)


@cache
def _identifier(languages: tuple[str, ...]):
    from py3langid.langid import LanguageIdentifier

    ptc, pc, classes, nextmove, row, output = _model()
    identifier = LanguageIdentifier(
        np.asarray(ptc), np.asarray(pc), classes, nextmove, output, tk_row=row
    )
    identifier.set_languages(list(languages))
    return identifier


def load_model() -> None:
    """Load the model now rather than on the first article (workers call this at start)."""
    _model()


def identify_language(*, text: str, languages: Iterable[str]) -> str:
    """The ISO 639-1 code of text's language among languages, or "" for a text without words."""
    sample = text[:SAMPLE_CHARS]
    if not _LETTERS.search(sample):
        return ""
    # Every language we identify is written in Latin or Cyrillic letters: a text mostly in
    # another script (Chinese, Arabic) is none of them, whatever the model's nearest guess.
    # (Letters are only counted when there are others: the usual text pays one search.)
    foreign = len(_OTHER_SCRIPTS.findall(sample))
    if foreign and foreign * 2 > len(_LETTERS.findall(sample)):
        return ""
    return _identifier(tuple(sorted(languages))).classify(sample)[0]
