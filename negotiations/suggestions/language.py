"""The bare language pipeline: language identification, sentences, tokens with lemmas.

Everything here is loaded once per process (simplemma's dictionaries, langid's model) and works
offline: both ship their data inside their wheels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import simplemma

from articles.language import identify_language

LANGUAGES = ("en", "fr", "de", "uk", "ru")

# Words, hyphenated compounds ("cessez-le-feu", "pro-russe") and the semicolon, which separates
# clauses. Apostrophes split: "l'abandon" gives "l" + "abandon", "Zelensky's" "zelensky" + "s".
_TOKEN = re.compile(r"\w+(?:[-‐‑]\w+)*|;")
# A sentence ends at ., ! or ? (maybe closed by a quote) before a capital, a digit or an opening
# quote; or at a line break.
_BOUNDARY = re.compile(
    r"(?<=[.!?…])[»\"”’)]*\s+(?=[«\"“(]?\s*[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ0-9])|\s*\n\s*",
)
# Initials and titles do not end a sentence: "J.D. Vance", "U.S. envoy", "M. Macron".
_ABBREVIATION = re.compile(r"(?:\b\w\.|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Col|Mme|Mgr|No|vs))\.?$")


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str  # lower case
    lemma: str  # lower case


@lru_cache(maxsize=200_000)
def lemma(word: str, lang: str) -> str:
    if lang not in LANGUAGES:
        return word.lower()
    return simplemma.lemmatize(word, lang=lang).lower()


def detect_language(*, text: str) -> str:
    """The article's language among those the lexicon covers."""
    return identify_language(text=text, languages=LANGUAGES)


def sentence_spans(*, text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of the sentences, without surrounding white space."""
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        before = max(0, match.start() - 8)  # initials and titles are short: look back a little
        if "\n" not in match.group() and _ABBREVIATION.search(text, before, match.start()):
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    result = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            result.append((s, e))
    return result


def tokens(*, text: str, start: int, end: int, lang: str) -> list[Token]:
    return [
        Token(m.start(), m.end(), m.group().lower(), lemma(m.group(), lang))
        for m in _TOKEN.finditer(text, start, end)
    ]


def term_words(term: str) -> list[str]:
    """A cue's words, tokenised like a text; '*' (prefix) and '...' (gap) are kept as markers."""
    words: list[str] = []
    for chunk in term.lower().split():
        if chunk in ("...", "...."):
            words.append(chunk)
            continue
        prefix = chunk.endswith("*")
        parts = [m.group() for m in _TOKEN.finditer(chunk.rstrip("*"))]
        if prefix and parts:
            parts[-1] += "*"
        words.extend(parts)
    return words
