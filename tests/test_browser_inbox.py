import pytest
from playwright.sync_api import expect

from articles.models import Article, ArticleStatus
from tests.browser import log_in
from tests.ingest_support import page as html_page
from tests.ingest_support import respond

pytestmark = [
    pytest.mark.browser,
    pytest.mark.pipeline,
    pytest.mark.django_db(transaction=True),
]

TEXT = (
    "GENEVA (Wire) - Negotiators from Kyiv and Moscow met again on Tuesday to discuss an exchange "
    "of prisoners and the safety of shipping in the Black Sea, officials said.\n\n"
    "A Ukrainian official said any agreement had to respect the country's borders, while a "
    "Russian diplomat said Moscow still wanted guarantees of neutrality before a ceasefire.\n\n"
    "Both delegations agreed to meet within a fortnight if their capitals approved a text."
)


def test_it_submits_a_url_from_the_inbox_and_shows_its_status_live(
    page, live_server, editor, web, pipeline_worker, loopback_allowed
):
    web.routes["/wire/geneva"] = respond(200, html_page("Geneva talks resume", TEXT))
    log_in(page, live_server, editor.username)
    page.goto(f"{live_server.url}/inbox/")

    page.fill("input[name=url]", web.url("/wire/geneva"))
    page.get_by_role("button", name="Ingest").click()

    row = page.locator("#article-rows tr").first
    expect(row).to_be_visible()
    expect(row).to_contain_text("Extracted", timeout=30_000)  # polled by htmx, no reload
    article = Article.objects.get()
    assert article.status == ArticleStatus.EXTRACTED and article.title == "Geneva talks resume"
    page.goto(f"{live_server.url}/inbox/")
    expect(page.locator(f"#inbox-{article.pk}")).to_contain_text("Geneva talks resume")
