from datetime import date

import pytest

from negotiations.models import ArticleTagging, ReviewState, Shift, Statement
from tests.conftest import make_article, make_statement

TEXT = "Intro. Moscow demands all of Donbas. Kyiv refuses any cession. End."


@pytest.fixture
def article(db):
    return make_article(TEXT, published_on=date(2025, 8, 15))


@pytest.fixture
def suggestion(article, parties, issues):
    return make_statement(
        parties["russia"],
        issues["donbas"],
        -2,
        date(2025, 8, 15),
        article=article,
        quote="Moscow demands all of Donbas.",
        review_state=ReviewState.SUGGESTED,
        confidence=0.8,
        extractor_version="test-1",
    )


def post(client, url, data=None):
    return client.post(url, data or {}, HTTP_HX_REQUEST="true")


def test_it_shows_the_workspace_with_controls_to_editors_only(
    client, editor, analyst, article, suggestion
):
    client.force_login(editor)
    html = client.get(f"/read/{article.pk}/").content.decode()
    assert (
        f'id="statement-{suggestion.pk}"' in html and 'button type="submit" class="accept"' in html
    )
    assert 'data-new-url="' in html

    client.force_login(analyst)
    html = client.get(f"/read/{article.pk}/").content.decode()
    assert f'id="statement-{suggestion.pk}"' in html
    assert 'class="accept"' not in html and "data-new-url" not in html


@pytest.mark.parametrize(
    "url",
    [
        "/statements/{s}/accept/",
        "/statements/{s}/reject/",
        "/statements/{s}/edit/",
        "/read/{a}/statements/",
        "/read/{a}/tagged/",
    ],
)
def test_it_refuses_every_write_to_analysts_htmx_or_not(client, analyst, suggestion, url):
    client.force_login(analyst)
    url = url.format(s=suggestion.pk, a=suggestion.article_id)
    assert client.post(url, {"version": suggestion.version}).status_code == 403
    assert post(client, url, {"version": suggestion.version}).status_code == 403
    suggestion.refresh_from_db()
    assert suggestion.review_state == ReviewState.SUGGESTED and suggestion.version == 1


def test_it_sends_anonymous_users_to_login(client, suggestion):
    response = client.post(f"/statements/{suggestion.pk}/accept/", {"version": 1})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_accepts_a_suggestion_in_place_and_records_who(client, editor, suggestion):
    client.force_login(editor)

    response = post(client, f"/statements/{suggestion.pk}/accept/", {"version": 1})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<div id="statement-{suggestion.pk}" class="card confirmed"')
    assert 'id="article-text"' in html and 'hx-swap-oob="true"' in html  # highlights follow
    suggestion.refresh_from_db()
    assert suggestion.review_state == ReviewState.CONFIRMED
    assert suggestion.reviewed_by == editor and suggestion.version == 2
    assert suggestion.history.latest().history_user == editor


def test_it_rejects_a_suggestion(client, editor, suggestion):
    client.force_login(editor)
    response = post(client, f"/statements/{suggestion.pk}/reject/", {"version": 1})
    assert 'class="card rejected"' in response.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.review_state == ReviewState.REJECTED


def test_it_refuses_to_overwrite_a_change_made_meanwhile(
    client, editor, admin_user, suggestion, parties, issues
):
    client.force_login(editor)
    form = {
        "party": parties["russia"].pk,
        "issue": issues["donbas"].pk,
        "value": -1,
        "stated_on": "2025-08-15",
        "attribution": "own",
        "credibility": 2,
        "quote_start": suggestion.quote_start,
        "quote_end": suggestion.quote_end,
        "version": 1,
    }
    post(client, f"/statements/{suggestion.pk}/reject/", {"version": 1})  # someone else, first

    response = post(client, f"/statements/{suggestion.pk}/edit/", form)

    assert "Someone changed this statement" in response.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.value == -2 and suggestion.review_state == ReviewState.REJECTED


def test_it_edits_a_statement_and_keeps_its_history(client, editor, suggestion, parties, issues):
    client.force_login(editor)
    form = {
        "party": parties["russia"].pk,
        "issue": issues["donbas"].pk,
        "value": -1,
        "stated_on": "2025-08-16",
        "attribution": "reported",
        "reported_by": parties["us"].pk,
        "credibility": 3,
        "quote_start": suggestion.quote_start,
        "quote_end": suggestion.quote_end,
        "version": 1,
    }

    response = post(client, f"/statements/{suggestion.pk}/edit/", form)

    assert 'class="card confirmed"' in response.content.decode()
    suggestion.refresh_from_db()
    assert (suggestion.value, suggestion.attribution, suggestion.reported_by) == (
        -1,
        "reported",
        parties["us"],
    )
    assert suggestion.stated_on == date(2025, 8, 16) and suggestion.version == 2
    history = client.get(f"/statements/{suggestion.pk}/history/").content.decode()
    assert "value -2 → -1" in history and "reported_by — → United States" in history
    assert "ed:" in history


def test_it_creates_a_statement_from_a_selected_passage(client, editor, article, parties, issues):
    client.force_login(editor)
    start = TEXT.index("Kyiv refuses")
    end = start + len("Kyiv refuses any cession.")

    form = client.get(
        f"/read/{article.pk}/statements/?start={start}&end={end}", HTTP_HX_REQUEST="true"
    ).content.decode()
    response = post(
        client,
        f"/read/{article.pk}/statements/",
        {
            "party": parties["ukraine"].pk,
            "issue": issues["donbas"].pk,
            "value": 2,
            "stated_on": "2025-08-15",
            "attribution": "own",
            "credibility": 2,
            "quote_start": start,
            "quote_end": end,
        },
    )

    assert "“Kyiv refuses any cession.”" in form
    assert response.status_code == 200 and "Statement recorded." in response.content.decode()
    statement = Statement.objects.get(article=article)
    assert statement.quote == "Kyiv refuses any cession."
    assert statement.review_state == ReviewState.CONFIRMED and statement.created_by == editor


def test_it_refuses_a_passage_outside_the_text(client, editor, article, parties, issues):
    client.force_login(editor)
    response = post(
        client,
        f"/read/{article.pk}/statements/",
        {
            "party": parties["ukraine"].pk,
            "issue": issues["donbas"].pk,
            "value": 2,
            "stated_on": "2025-08-15",
            "attribution": "own",
            "credibility": 2,
            "quote_start": 10,
            "quote_end": 10_000,
        },
    )
    assert "outside the article" in response.content.decode()
    assert not Statement.objects.filter(article=article).exists()


def test_it_updates_shifts_when_an_editor_confirms(client, editor, suggestion, parties, issues):
    make_statement(parties["russia"], issues["donbas"], -1, date(2025, 2, 1), quote="Swaps ok.")
    client.force_login(editor)
    assert not Shift.objects.exists()
    post(client, f"/statements/{suggestion.pk}/accept/", {"version": 1})
    assert Shift.objects.get().kind == "hardening"


def test_it_shows_who_else_works_on_the_article_and_marks_it_tagged(
    client, editor, admin_user, article
):
    client.force_login(admin_user)
    client.get(f"/read/{article.pk}/")
    client.force_login(editor)

    html = client.get(f"/read/{article.pk}/").content.decode()
    assert "Also working on this article: <strong>adm</strong>" in html
    assert ArticleTagging.objects.get(article=article).state == "in_progress"

    response = post(client, f"/read/{article.pk}/tagged/")
    assert response.status_code == 204
    assert ArticleTagging.objects.get(article=article).state == "tagged"
