"""Ready-to-print views of selector results, for pages too large for per-cell template logic.

A 30 x 40 matrix is 1,200 cells: resolving a dozen template variables in each costs more than
the database does, so the cells' strings are put together here once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from negotiations.models import Party
from negotiations.selectors import Matrix
from negotiations.templatetags.stance import stance


@dataclass(frozen=True)
class CellView:
    dom_id: str
    css: str
    data_value: str
    href: str
    value: str
    label: str
    meta: str
    changed: bool


@dataclass(frozen=True)
class RowView:
    party: Party
    cells: list[CellView]


def matrix_rows(*, matrix: Matrix, query: str) -> list[RowView]:
    # One reverse() for the whole table: each cell's URL differs only by the two slugs.
    pattern = reverse("position", args=["PARTY", "ISSUE"])
    rows = []
    for row in matrix.rows:
        cells = []
        for cell in row:
            dom_id = f"cell-{cell.party.slug}-{cell.issue.slug}"
            position = cell.position
            if position is None:
                cells.append(CellView(dom_id, "stance none", "", "", "—", "", "", False))
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
                CellView(
                    dom_id=dom_id,
                    css=css,
                    data_value=data_value,
                    href=href,
                    value=stance(position.low, position.high),
                    label=label,
                    meta=meta,
                    changed=cell.changed,
                )
            )
        rows.append(RowView(party=row[0].party, cells=cells))
    return rows
