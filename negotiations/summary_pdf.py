"""The position summary as a PDF (fpdf2, pure Python) with DejaVu fonts, which cover French
accents and Cyrillic; they ship in negotiations/fonts/ with their licence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fpdf import FPDF

from negotiations.models import Statement
from negotiations.selectors import PositionSummary
from negotiations.templatetags.stance import stance

FONTS = Path(__file__).with_name("fonts")


def _source_line(statement: Statement) -> str:
    article = statement.article
    parts = [
        statement.speaker.name if statement.speaker else statement.party.name,
        f"reported by {statement.reported_by.name}" if statement.reported_by else "own words",
        statement.stated_on.isoformat(),
        article.source.name if article.source else "",
        f"“{article.title}”" if article.title else "",
        article.published_on.isoformat() if article.published_on else "",
        article.url,
    ]
    return ", ".join(part for part in parts if part)


def render_summary_pdf(
    *, summary: PositionSummary, passage_url: Callable[[Statement], str]
) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"Positions as of {summary.on.isoformat()}")
    pdf.set_creator("Stance")
    pdf.add_font("DejaVu", "", FONTS / "DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.add_font("DejaVu", "I", FONTS / "DejaVuSans-Oblique.ttf")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    def text(size: int, content: str, style: str = "", height: float = 6) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(0, height, content, new_x="LMARGIN", new_y="NEXT")

    text(18, f"Positions as of {summary.on.strftime('%-d %B %Y')}", "B", 9)
    text(
        9,
        "Stance values run from −2 (Russia's maximal demand) to +2 (Ukraine's maximal "
        "position). Bracketed numbers refer to the quotes at the end.",
    )
    for party in summary.parties:
        pdf.ln(3)
        text(14, party.name, "B", 8)
        entries = summary.entries.get(party.pk, [])
        if not entries:
            text(10, "No statement up to this date.")
        for entry in entries:
            label = entry.low_label
            if entry.position.is_range:
                label = f"{entry.low_label} … {entry.high_label}"
            refs = "".join(f"[{n}]" for n in entry.footnotes)
            text(
                10,
                f"{entry.issue.name}: {stance(entry.position.low, entry.position.high)} "
                f"{label}, since {entry.position.stated_on.isoformat()} {refs}",
            )
            if entry.last_shift:
                shift = entry.last_shift.shift
                text(
                    9,
                    f"    Last shift {shift.to_on.isoformat()}: {entry.last_shift.label}, "
                    f"{stance(shift.from_low, shift.from_high)} → "
                    f"{stance(shift.to_low, shift.to_high)} ({shift.size} stops)",
                    "I",
                )
    if summary.changed_since:
        pdf.ln(3)
        text(14, f"What changed since {summary.changed_since.strftime('%-d %B %Y')}", "B", 8)
        if not summary.changes:
            text(10, "No shift in this period.")
        for change in summary.changes:
            shift = change.shift
            refs = "".join(f"[{n}]" for n in change.footnotes)
            text(
                10,
                f"{shift.to_on.isoformat()}: {shift.party.name} on {shift.issue.name}, "
                f"{change.label} of {shift.size} stops, {stance(shift.from_low, shift.from_high)}"
                f" → {stance(shift.to_low, shift.to_high)} {refs}",
            )
    pdf.ln(3)
    text(14, "Quotes", "B", 8)
    for number, statement in enumerate(summary.footnotes, start=1):
        text(9, f"[{number}] “{statement.quote}”", "I", 5)
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(
            0,
            4.5,
            _source_line(statement),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(30, 80, 160)
        pdf.cell(
            0, 4.5, "Open the passage", link=passage_url(statement), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1)
    return bytes(pdf.output())
