"""Ready-to-print views of selector results, for pages too large for per-cell template logic.

A 30 x 40 matrix is 1,200 cells: resolving a dozen template variables in each costs more than
the database does, so the cells' strings are put together here once.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from negotiations.models import Party
from negotiations.selectors import Matrix
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


def matrix_rows(*, matrix: Matrix, query: str) -> list[RowView]:
    """The matrix's cells as HTML, built with format_html (every value escaped)."""
    # One reverse() for the whole table: each cell's URL differs only by the two slugs.
    pattern = reverse("position", args=["PARTY", "ISSUE"])
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
