"""Statements and shifts as CSV or JSON, streamed row by row with constant memory.

The columns are stable and documented in docs/exports.md; slugs identify parties, issues and
actors, labels are the codebook's words.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from negotiations.models import Issue, Party
from negotiations.selectors import (
    shift_label,
    shifts_matching,
    statements_matching,
    stop_labels,
)

CHUNK = 2000
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

STATEMENT_FIELDS = {
    "statement_id": "id",
    "party": "party__slug",
    "party_name": "party__name",
    "issue": "issue__slug",
    "issue_name": "issue__name",
    "value": "value",
    "stance": None,  # the label of the value's stop
    "stated_on": "stated_on",
    "quote": "quote",
    "quote_start": "quote_start",
    "quote_end": "quote_end",
    "speaker": "speaker__slug",
    "speaker_name": "speaker__name",
    "attribution": "attribution",
    "reported_by": "reported_by__slug",
    "credibility": "credibility",
    "review_state": "review_state",
    "confidence": "confidence",
    "extractor_version": "extractor_version",
    "article_id": "article_id",
    "article_title": "article__title",
    "article_url": "article__url",
    "article_published_on": "article__published_on",
    "article_language": "article__language",
    "source": "article__source__name",
    "source_reliability": "article__source__reliability",
}
SHIFT_FIELDS = [
    "party",
    "party_name",
    "issue",
    "issue_name",
    "from_on",
    "to_on",
    "from_low",
    "from_high",
    "to_low",
    "to_high",
    "from_stance",
    "to_stance",
    "size",
    "direction",
    "kind",
    "label",
    "statement_ids",
]


@dataclass(frozen=True)
class ExportFilters:
    parties: Sequence[Party] | QuerySet | None = None
    issues: Sequence[Issue] | QuerySet | None = None
    since: date | None = None
    until: date | None = None
    kinds: Sequence[str] | None = None
    include_suggested: bool = False


def statement_rows(*, filters: ExportFilters) -> Iterator[tuple]:
    """Statements in date order, as tuples in STATEMENT_FIELDS order, read through a
    server-side cursor in chunks."""
    statements = statements_matching(
        parties=filters.parties,
        issues=filters.issues,
        since=filters.since,
        until=filters.until,
        include_suggested=filters.include_suggested,
    )
    labels = stop_labels()
    lookups = [lookup for lookup in STATEMENT_FIELDS.values() if lookup]
    stance_at = list(STATEMENT_FIELDS).index("stance")
    value_at = lookups.index("value") + 1
    for values in (
        statements.order_by("stated_on", "id")
        .values_list("issue_id", *lookups)
        .iterator(chunk_size=CHUNK)
    ):
        stance = labels.get((values[0], values[value_at]), "")
        yield (*values[1 : stance_at + 1], stance, *values[stance_at + 1 :])


def shift_rows(*, filters: ExportFilters) -> Iterator[tuple]:
    """Stored (confirmed) shifts in date order, as tuples in SHIFT_FIELDS order."""
    shifts = shifts_matching(
        parties=filters.parties,
        issues=filters.issues,
        since=filters.since,
        until=filters.until,
        kinds=filters.kinds,
    )
    labels = stop_labels()
    for shift in shifts.order_by("to_on", "party_id", "issue_id").iterator(chunk_size=CHUNK):
        row = {
            "party": shift.party.slug,
            "party_name": shift.party.name,
            "issue": shift.issue.slug,
            "issue_name": shift.issue.name,
            "from_on": shift.from_on,
            "to_on": shift.to_on,
            "from_low": shift.from_low,
            "from_high": shift.from_high,
            "to_low": shift.to_low,
            "to_high": shift.to_high,
            "from_stance": _stance(labels, shift.issue_id, shift.from_low, shift.from_high),
            "to_stance": _stance(labels, shift.issue_id, shift.to_low, shift.to_high),
            "size": shift.size,
            "direction": shift.direction,
            "kind": shift.kind,
            "label": shift_label(shift=shift),
            "statement_ids": list(shift.statement_ids),
        }
        yield tuple(row[name] for name in SHIFT_FIELDS)


def _stance(labels: dict, issue_id: int, low: int, high: int) -> str:
    if low == high:
        return labels.get((issue_id, low), "")
    return f"{labels.get((issue_id, low), '')} … {labels.get((issue_id, high), '')}"


def _safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return "" if value is None else value


def csv_stream(
    rows: Iterable[tuple], *, columns: Sequence[str], bom: bool = False
) -> Iterator[str]:
    """CSV in chunks of a few hundred lines, safe to open in a spreadsheet (no cell is run as a
    formula)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write("\ufeff")
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_safe_cell(value) for value in row])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_stream(rows: Iterable[tuple], *, columns: Sequence[str]) -> Iterator[str]:
    """A JSON array of objects, written a few hundred at a time."""
    chunk = ["["]
    for count, row in enumerate(rows):
        chunk.append(("," if count else "") + "\n")
        chunk.append(
            json.dumps(dict(zip(columns, row, strict=True)), default=str, ensure_ascii=False)
        )
        if len(chunk) > 1000:
            yield "".join(chunk)
            chunk = []
    chunk.append("\n]\n")
    yield "".join(chunk)
