from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser import log_in
from tests.conftest import make_statement

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_it_recomputes_the_matrix_when_the_analyst_changes_the_date(
    page, live_server, analyst, parties, issues
):
    russia, kyiv = parties["russia"], issues["kyiv_government"]
    make_statement(russia, kyiv, -2, date(2025, 2, 24), quote="Moscow wants a new government.")
    make_statement(
        russia,
        kyiv,
        1,
        date(2025, 8, 24),
        quote="Vance says Moscow dropped regime change.",
        attribution="reported",
        reported_by=parties["us"],
    )
    log_in(page, live_server, analyst.username)
    page.goto(f"{live_server.url}/?on=2025-08-01")
    cell = page.locator("#cell-russia-kyiv_government")
    assert cell.get_attribute("data-value") == "-2"

    page.fill("input[name=on]", "2025-09-01")

    expect(cell).to_have_attribute("data-value", "1")
    assert "on=2025-09-01" in page.url  # the state is in the URL, to share or go back to
    assert "Replace the government" not in cell.inner_text()

    cell.locator("a").click()
    evidence = page.locator("#evidence")
    evidence.locator("blockquote", has_text="Vance says Moscow dropped regime change.").wait_for()
    assert "reported by United States" in evidence.inner_text()
    assert "concession" in evidence.inner_text()

    page.go_back()
    expect(page.locator("#cell-russia-kyiv_government")).to_have_attribute("data-value", "-2")
