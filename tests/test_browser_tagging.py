from datetime import date

import pytest
from playwright.sync_api import expect

from negotiations.models import ReviewState, Statement
from negotiations.services import review_statement
from tests.browser import log_in
from tests.conftest import make_article, make_statement

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

TEXT = (
    "Talks resumed in Istanbul. Moscow demands all of Donbas before any ceasefire. "
    "Kyiv refuses any cession of its land. Washington threatens new tariffs on oil buyers. "
    "Brussels prepares a new package of sanctions."
)

SELECT = """([box, start, end]) => {
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  let seen = 0, node, range = document.createRange(), started = false;
  while ((node = walker.nextNode())) {
    const length = node.textContent.length;
    if (!started && start <= seen + length) { range.setStart(node, start - seen); started = true; }
    if (started && end <= seen + length) { range.setEnd(node, end - seen); break; }
    seen += length;
  }
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  box.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
}"""


@pytest.fixture
def article(db, parties, issues):
    article = make_article(TEXT, published_on=date(2025, 6, 2), title="Istanbul, round two")
    for party, issue, value, quote in [
        ("russia", "donbas", -2, "Moscow demands all of Donbas before any ceasefire."),
        ("us", "sanctions", 1, "Washington threatens new tariffs on oil buyers."),
        ("eu", "sanctions", 2, "Brussels prepares a new package of sanctions."),
    ]:
        make_statement(
            parties[party],
            issues[issue],
            value,
            date(2025, 6, 2),
            article=article,
            quote=quote,
            review_state=ReviewState.SUGGESTED,
        )
    return article


def card(page, statement: Statement):
    return page.locator(f"#statement-{statement.pk}")


def test_it_accepts_and_rejects_suggestions_in_place(page, live_server, editor, article):
    russia, us, _ = Statement.objects.filter(article=article).order_by("quote_start")
    log_in(page, live_server, editor.username)
    page.goto(f"{live_server.url}/read/{article.pk}/")

    card(page, russia).get_by_role("button", name="Accept").click()
    expect(card(page, russia)).to_have_attribute("data-state", "confirmed")
    card(page, us).get_by_role("button", name="Reject").click()
    expect(card(page, us)).to_have_attribute("data-state", "rejected")

    # The text's highlights followed: the rejected passage is no longer marked.
    expect(page.locator("#article-text mark.confirmed")).to_have_text(
        "Moscow demands all of Donbas before any ceasefire."
    )
    expect(page.locator("#article-text mark", has_text="Washington")).to_have_count(0)
    assert page.url.endswith(f"/read/{article.pk}/")  # no full reload
    states = dict(Statement.objects.filter(article=article).values_list("pk", "review_state"))
    assert states[russia.pk] == "confirmed" and states[us.pk] == "rejected"


def test_it_creates_a_statement_from_a_text_selection(
    page, live_server, editor, article, parties, issues
):
    log_in(page, live_server, editor.username)
    page.goto(f"{live_server.url}/read/{article.pk}/")
    start = TEXT.index("Kyiv refuses")
    end = start + len("Kyiv refuses any cession of its land.")

    page.locator("#article-text").evaluate(
        SELECT.replace("([box, start, end])", "(box)")
        .replace("start - seen", f"{start} - seen")
        .replace("end - seen", f"{end} - seen")
        .replace("start <= seen", f"{start} <= seen")
        .replace("end <= seen", f"{end} <= seen")
    )
    form = page.locator("#statement-new-form")
    expect(form).to_contain_text("“Kyiv refuses any cession of its land.”")
    form.locator("select[name=party]").select_option(label="Ukraine")
    form.locator("select[name=issue]").select_option(label="Control of Donetsk and Luhansk")
    form.locator("select[name=value]").select_option("2")
    form.get_by_role("button", name="Save").click()

    expect(page.locator("#workspace")).to_contain_text("Statement recorded.")
    expect(page.locator("#article-text mark.party-ukraine")).to_have_text(
        "Kyiv refuses any cession of its land."
    )
    created = Statement.objects.get(article=article, party=parties["ukraine"])
    assert (created.quote_start, created.quote_end) == (start, end)
    assert created.quote == "Kyiv refuses any cession of its land."
    assert created.review_state == "confirmed" and created.created_by == editor


def test_it_tells_the_editor_of_a_conflicting_change(
    page, live_server, editor, admin_user, article
):
    russia = Statement.objects.filter(article=article).order_by("quote_start").first()
    log_in(page, live_server, editor.username)
    page.goto(f"{live_server.url}/read/{article.pk}/")
    card(page, russia).get_by_role("link", name="Edit").click()
    form = page.locator(f"form#statement-{russia.pk}")
    form.locator("select[name=value]").select_option("-1")

    review_statement(statement=russia, state=ReviewState.REJECTED, user=admin_user)  # meanwhile
    form.get_by_role("button", name="Save").click()

    expect(card(page, russia)).to_contain_text("Someone changed this statement")
    expect(card(page, russia)).to_have_attribute("data-state", "rejected")
    russia.refresh_from_db()
    assert russia.value == -2 and russia.review_state == "rejected"


def test_it_moves_through_suggestions_with_the_keyboard(page, live_server, editor, article):
    russia, us, eu = Statement.objects.filter(article=article).order_by("quote_start")
    log_in(page, live_server, editor.username)
    page.goto(f"{live_server.url}/read/{article.pk}/")

    page.keyboard.press("j")
    expect(card(page, russia)).to_be_focused()
    page.keyboard.press("j")
    expect(card(page, us)).to_be_focused()
    page.keyboard.press("k")
    expect(card(page, russia)).to_be_focused()
    page.keyboard.press("a")  # accept, and the next suggestion takes the focus
    expect(card(page, russia)).to_have_attribute("data-state", "confirmed")
    expect(card(page, us)).to_be_focused()
    page.keyboard.press("r")
    expect(card(page, us)).to_have_attribute("data-state", "rejected")
    expect(card(page, eu)).to_be_focused()
    page.keyboard.press("?")
    expect(page.locator("dialog#shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("dialog#shortcuts")).to_be_hidden()
    page.keyboard.press("e")
    expect(page.locator(f"form#statement-{eu.pk}")).to_be_visible()

    states = dict(Statement.objects.filter(article=article).values_list("pk", "review_state"))
    assert states == {russia.pk: "confirmed", us.pk: "rejected", eu.pk: "suggested"}
