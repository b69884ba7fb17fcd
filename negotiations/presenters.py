"""Ready-to-print views of selector results, for pages too large for per-cell template logic.

A 30 x 40 matrix is 1,200 cells: resolving a dozen template variables in each costs more than
the database does, so the cells' strings are put together here once.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from negotiations.models import Issue, Party
from negotiations.selectors import Matrix, Point, Series
from negotiations.templatetags.stance import stance


@dataclass(frozen=True)
class RowView:
    party: Party
    cells: list[SafeString]  # one <td> each


EMPTY_CELL = '<td id="{}" class="stance none" data-value="">—</td>'
CELL = (
    '<td id="{}" class="{}" data-value="{}"><a href="{}" hx-get="{}" hx-target="#evidence" '
    'hx-swap="innerHTML"><span class="value">{}</span><span class="label">{}</span>'
    '<span class="date">{}</span>{}</a></td>'
)
CHANGED_MARK = mark_safe('<span class="changed-mark" title="changed recently">●</span>')


def evidence_query(*, on: date, suggested: bool) -> str:
    """The query string of a position's evidence page (and its htmx fragment)."""
    return urlencode({"on": on.isoformat(), **({"suggested": "on"} if suggested else {})})


def evidence_url(*, party: Party, issue: Issue, on: date, suggested: bool) -> str:
    path = reverse("position", args=[party.slug, issue.slug])
    return f"{path}?{evidence_query(on=on, suggested=suggested)}"


def point_evidence(*, suggested: bool) -> Callable[[Series, Point], str]:
    """For charts: the evidence page of a series' point (the position held from that day)."""
    return lambda s, p: evidence_url(party=s.party, issue=s.issue, on=p.day, suggested=suggested)


def matrix_rows(*, matrix: Matrix, suggested: bool) -> list[RowView]:
    """The matrix's cells as HTML, built with format_html (every value escaped)."""
    # One reverse() for the whole table: each cell's URL differs only by the two slugs.
    pattern = reverse("position", args=["PARTY", "ISSUE"])
    query = evidence_query(on=matrix.on, suggested=suggested)
    rows = []
    for row in matrix.rows:
        cells = []
        for cell in row:
            dom_id = f"cell-{cell.party.slug}-{cell.issue.slug}"
            position = cell.position
            if position is None:
                cells.append(format_html(EMPTY_CELL, dom_id))
                continue
            path = pattern.replace("PARTY", cell.party.slug).replace("ISSUE", cell.issue.slug)
            href = f"{path}?{query}"
            css = f"stance v{position.high}"
            if position.is_range:
                css += " range"
                label = f"{cell.low_label} … {cell.high_label}"
                data_value = f"{position.low}..{position.high}"
            else:
                label = cell.low_label
                data_value = str(position.low)
            if cell.changed:
                css += " changed"
            meta = position.stated_on.strftime("%-d %b %Y")
            if cell.source:
                meta += f" · {cell.source}"
            cells.append(
                format_html(
                    CELL,
                    dom_id,
                    css,
                    data_value,
                    href,
                    href,
                    stance(position.low, position.high),
                    label,
                    meta,
                    CHANGED_MARK if cell.changed else "",
                )
            )
        rows.append(RowView(party=row[0].party, cells=cells))
    return rows


@dataclass(frozen=True)
class Segment:
    text: str
    statements: tuple  # the statements whose quote covers this stretch of text
    anchors: tuple  # the statements whose quote starts here (for #statement-<id> links)


def passages(*, text: str, statements: list) -> list[Segment]:
    """The article's text cut where quotes begin and end, so each quoted stretch can be marked;
    overlapping quotes mark their common stretch with all of them."""
    bounds = {0, len(text)}
    for s in statements:
        bounds.update((s.quote_start, s.quote_end))
    cuts = sorted(b for b in bounds if 0 <= b <= len(text))
    segments = []
    for start, end in itertools.pairwise(cuts):
        covering = tuple(s for s in statements if s.quote_start <= start and end <= s.quote_end)
        starting = tuple(s for s in statements if s.quote_start == start)
        segments.append(Segment(text=text[start:end], statements=covering, anchors=starting))
    return segments
