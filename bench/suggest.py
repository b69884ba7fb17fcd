"""Throughput of the stance suggester on 800-word articles, on one core.

Usage: DATABASE_URL=... SECRET_KEY=... .venv/bin/python bench/suggest.py [--seconds 5]

Beside it, the rate of the bare language pipeline (sentences, tokens, lemmas) on the same texts:
the ceiling that cue matching can approach but not pass. Models and the lexicon are loaded once,
before timing, as in a worker process. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

WORDS_PER_ARTICLE = 800


def articles() -> list[tuple[str, str]]:
    """800-word French and English articles: windows of the sample article, and the gold set's
    short texts run together."""
    texts = []
    seed = ROOT.parent / "shared" / "samples" / "seed-article-fr.txt"
    words = seed.read_text(encoding="utf-8").split(" ")
    for start in range(0, len(words) - WORDS_PER_ARTICLE + 1, WORDS_PER_ARTICLE // 2):
        texts.append(("fr", " ".join(words[start : start + WORDS_PER_ARTICLE])))
    gold = ROOT / "tests" / "data" / "gold.jsonl"
    for lang in ("en", "fr"):
        lines = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines()]
        short = [line["text"] for line in lines if line.get("lang") == lang and "text" in line]
        pool = " ".join(short).split(" ")
        for offset in range(0, 3 * 97, 97):
            chunk = (pool[offset:] + pool * 3)[:WORDS_PER_ARTICLE]
            texts.append((lang, " ".join(chunk)))
    return texts


def rate(work, texts, seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for lang, text in texts:
            work(lang, text)
        done += len(texts)
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    options = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    import django

    django.setup()
    from negotiations.selectors import suggestion_lexicon
    from negotiations.suggestions import extract_suggestions
    from negotiations.suggestions.language import detect_language, sentence_spans, tokens

    lexicon = suggestion_lexicon()
    texts = articles()

    def suggest(lang: str, text: str) -> None:
        extract_suggestions(text=text, lexicon=lexicon, published=None)

    def pipeline(lang: str, text: str) -> None:
        detected = detect_language(text=text)
        for start, end in sentence_spans(text=text):
            tokens(text=text, start=start, end=end, lang=detected)

    for lang, text in texts:  # warm up: dictionaries, language model, lemma cache
        suggest(lang, text)
        pipeline(lang, text)
    words = sum(len(text.split()) for _, text in texts) / len(texts)
    suggested = rate(suggest, texts, options.seconds)
    ceiling = rate(pipeline, texts, options.seconds)
    print(f"{len(texts)} articles of {words:.0f} words on average, one core")
    print(f"suggester:          {suggested:8.1f} articles/s")
    print(f"language pipeline:  {ceiling:8.1f} articles/s (ceiling)")
    print(
        json.dumps(
            {"articles_per_s": round(suggested, 1), "ceiling_articles_per_s": round(ceiling, 1)}
        )
    )


if __name__ == "__main__":
    main()
