import json
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from negotiations.selectors import suggestion_lexicon
from negotiations.suggestions import Suggestion, extract_suggestions


def suggestion_line(article_id: object, suggestion: Suggestion) -> dict:
    """The suggest command's contract: one JSON object per suggestion, codebook slugs."""
    return {
        "id": article_id,
        "party": suggestion.party,
        "issue": suggestion.issue,
        "value": suggestion.value,
        "quote": suggestion.quote,
        "start": suggestion.start,
        "end": suggestion.end,
        "speaker": suggestion.speaker,
        "attribution": suggestion.attribution,
        "reported_by": suggestion.reported_by,
        "stated_on": suggestion.stated_on.isoformat() if suggestion.stated_on else None,
        "confidence": suggestion.confidence,
    }


def read_articles(path: str):
    """(line number, article) for each non-blank line of a JSONL file ("-" reads stdin)."""
    handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    try:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                try:
                    yield number, json.loads(raw)
                except json.JSONDecodeError as error:
                    raise CommandError(f"{path}:{number}: not JSON ({error}).") from error
    finally:
        if handle is not sys.stdin:
            handle.close()


def suggest_for(article: dict, lexicon) -> list[Suggestion]:
    published = article.get("published")
    return extract_suggestions(
        text=article.get("text") or "",
        lexicon=lexicon,
        lang=article.get("lang") or None,
        # Tolerate a timestamp where a date is expected: "2025-08-20T09:30:00Z".
        published=date.fromisoformat(published[:10]) if published else None,
    )


class Command(BaseCommand):
    help = (
        "Read articles as JSON lines ({id, text, lang, published}) and write the suggested stance "
        "statements as JSON lines. Reads the taxonomy and lexicons; writes nothing to the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--input", required=True, help="JSONL file of articles, or - for stdin."
        )

    def handle(self, *args, input: str, **options) -> None:
        lexicon = suggestion_lexicon()
        for _, article in read_articles(input):
            for suggestion in suggest_for(article, lexicon):
                line = suggestion_line(article.get("id"), suggestion)
                self.stdout.write(json.dumps(line, ensure_ascii=False))
