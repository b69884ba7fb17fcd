import re
from datetime import date

import pytest

from articles.models import ArticleStatus, Source
from negotiations.models import ArticleTagging, ReviewState
from tests.conftest import make_article, make_statement


def counts(html: str) -> dict[str, int]:
    return {tab: int(n) for tab, n in re.findall(r'data-tab="(\w+)">(\d+)', html)}


def rows(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr id="inbox-(\d+)"', html)]


@pytest.fixture
def articles(db, parties, issues, editor):
    wire = Source.objects.create(name="Wire", language="fr")
    fresh = make_article(
        "Les garanties de sécurité européennes restent floues, selon Bruxelles.",
        title="Garanties de sécurité",
        language="fr",
        source=wire,
        published_on=date(2025, 9, 4),
    )
    busy = make_article(
        "Washington imposes sanctions on buyers of Russian oil.",
        title="Oil sanctions",
        language="en",
        published_on=date(2025, 8, 6),
    )
    done = make_article(
        "Kyiv rejects any territorial concession.",
        title="No concession",
        language="en",
        published_on=date(2025, 8, 12),
    )
    failed = make_article(
        "", title="", url="https://example.org/gone", published_on=None, status=ArticleStatus.FAILED
    )
    make_statement(
        parties["us"],
        issues["sanctions"],
        2,
        date(2025, 8, 6),
        article=busy,
        quote="Washington imposes sanctions",
        review_state=ReviewState.SUGGESTED,
    )
    make_statement(
        parties["ukraine"],
        issues["donbas"],
        2,
        date(2025, 8, 12),
        article=done,
        quote="Kyiv rejects any territorial concession.",
    )
    ArticleTagging.objects.create(article=busy, state="in_progress", updated_by=editor)
    ArticleTagging.objects.create(article=done, state="tagged", updated_by=editor)
    return {"fresh": fresh, "busy": busy, "done": done, "failed": failed}


def test_it_sorts_articles_by_state_with_counts(client, editor, articles):
    client.force_login(editor)

    html = client.get("/inbox/").content.decode()

    assert counts(html) == {
        "new": 1,
        "in_progress": 1,
        "tagged": 1,
        "processing": 0,
        "failed": 1,
        "duplicate": 0,
    }
    assert rows(html) == [articles["fresh"].pk]
    assert rows(client.get("/inbox/?tab=tagged").content.decode()) == [articles["done"].pk]
    assert rows(client.get("/inbox/?tab=failed").content.decode()) == [articles["failed"].pk]


def test_it_searches_with_french_and_english_stemming(client, editor, articles):
    client.force_login(editor)
    french = client.get("/inbox/?q=garantie+européenne").content.decode()
    english = client.get("/inbox/?q=sanction&tab=in_progress").content.decode()
    assert rows(french) == [articles["fresh"].pk] and counts(french)["in_progress"] == 0
    assert rows(english) == [articles["busy"].pk]


def test_it_filters_by_party_issue_suggestions_source_and_date(client, editor, articles):
    client.force_login(editor)
    assert counts(client.get("/inbox/?party=ukraine").content.decode())["tagged"] == 1
    assert sum(counts(client.get("/inbox/?party=ukraine").content.decode()).values()) == 1
    assert sum(counts(client.get("/inbox/?issue=sanctions").content.decode()).values()) == 1
    with_suggestions = counts(client.get("/inbox/?has_suggestions=on").content.decode())
    assert with_suggestions == {
        "new": 0,
        "in_progress": 1,
        "tagged": 0,
        "processing": 0,
        "failed": 0,
        "duplicate": 0,
    }
    wire = Source.objects.get(name="Wire")
    assert rows(client.get(f"/inbox/?source={wire.pk}").content.decode()) == [articles["fresh"].pk]
    assert sum(counts(client.get("/inbox/?since=2025-08-10").content.decode()).values()) == 2


def test_it_pages_and_answers_htmx_with_the_results_only(client, editor, db):
    for n in range(30):
        make_article(f"Dispatch number {n} on the talks.", published_on=date(2025, 1, 1 + n % 28))
    client.force_login(editor)

    first = client.get("/inbox/").content.decode()
    second = client.get("/inbox/?page=2", HTTP_HX_REQUEST="true").content.decode()

    assert len(rows(first)) == 25 and "page=2" in first
    assert second.lstrip().startswith('<section id="results">') and len(rows(second)) == 5
    assert not set(rows(first)) & set(rows(second))


def test_it_keeps_the_inbox_behind_login_and_roles(client, db, django_user_model, analyst):
    assert client.get("/inbox/").status_code == 302
    client.force_login(django_user_model.objects.create_user("nobody", password="x-y-z-123"))
    assert client.get("/inbox/", HTTP_HX_REQUEST="true").status_code == 403
    client.force_login(analyst)
    assert client.get("/inbox/").status_code == 200
