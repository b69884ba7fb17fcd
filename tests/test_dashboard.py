import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from negotiations.models import ReviewState
from tests.conftest import make_statement

DASHBOARD_URLS = [
    "/",
    "/positions/russia/donbas/",
    "/issues/donbas/",
    "/shifts/",
    "/parties/russia/",
]


def cell_values(html: str) -> dict[str, str]:
    return dict(re.findall(r'id="cell-([a-z_-]+)"[^>]*data-value="([^"]*)"', html))


@pytest.fixture
def record(parties, issues):
    """A small record whose positions are easy to compute by hand."""
    russia, ukraine, us = parties["russia"], parties["ukraine"], parties["us"]
    make_statement(russia, issues["kyiv_government"], -2, date(2025, 2, 24), quote="Denazify.")
    make_statement(russia, issues["kyiv_government"], 1, date(2025, 8, 24), quote="Deal w/ Kyiv.")
    make_statement(ukraine, issues["donbas"], 2, date(2025, 8, 9), quote="No land given.")
    make_statement(us, issues["sanctions"], 1, date(2025, 7, 14), quote="Fifty days.")
    make_statement(us, issues["sanctions"], 2, date(2025, 8, 6), quote="Tariffs on India.")
    make_statement(
        us,
        issues["donbas"],
        -1,
        date(2025, 8, 8),
        quote="Swaps.",
        review_state=ReviewState.SUGGESTED,
    )
    return parties


@pytest.mark.parametrize("url", DASHBOARD_URLS)
def test_it_sends_anonymous_users_to_login_from_every_page(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    htmx = client.get(url, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 302


@pytest.mark.parametrize("url", DASHBOARD_URLS)
def test_it_refuses_every_page_and_fragment_to_users_without_a_role(client, django_user_model, url):
    client.force_login(django_user_model.objects.create_user("nobody", password="x-y-z-123"))
    assert client.get(url).status_code == 403
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 403


def test_it_shows_the_matrix_as_of_any_date(client, analyst, record):
    client.force_login(analyst)

    before = cell_values(client.get("/?on=2025-08-01").content.decode())
    after = cell_values(client.get("/?on=2025-09-01").content.decode())

    assert before["russia-kyiv_government"] == "-2"
    assert before["us-sanctions"] == "1"
    assert before["ukraine-donbas"] == ""
    assert after["russia-kyiv_government"] == "1"
    assert after["us-sanctions"] == "2"
    assert after["ukraine-donbas"] == "2"
    assert after["us-donbas"] == ""  # a suggestion, not shown unless asked


def test_it_shows_suggestions_only_when_the_analyst_asks(client, analyst, record):
    client.force_login(analyst)
    html = client.get("/?on=2025-09-01&suggested=on").content.decode()
    assert cell_values(html)["us-donbas"] == "-1"
    assert "including suggestions" in html


def test_it_marks_the_cells_that_changed_in_the_last_days(client, analyst, record):
    client.force_login(analyst)
    html = client.get("/?on=2025-09-01&recent=10").content.decode()
    changed = set(re.findall(r'id="cell-([a-z_-]+)" class="[^"]*\bchanged\b', html))
    assert changed == {"russia-kyiv_government"}
    html = client.get("/?on=2025-09-01&recent=60").content.decode()
    changed = set(re.findall(r'id="cell-([a-z_-]+)" class="[^"]*\bchanged\b', html))
    assert changed == {"russia-kyiv_government", "ukraine-donbas", "us-sanctions"}


def test_it_answers_htmx_with_the_matrix_fragment_only(client, analyst, record):
    client.force_login(analyst)
    response = client.get("/?on=2025-09-01", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="matrix">')
    assert "<html" not in html
    assert cell_values(html)["us-sanctions"] == "2"


def test_it_keeps_bad_filters_from_breaking_the_page(client, analyst, record):
    client.force_login(analyst)
    response = client.get("/?on=not-a-date&recent=-5")
    assert response.status_code == 200
    assert "were not understood" in response.content.decode()


def test_it_opens_a_cells_evidence_with_its_quotes_and_history(client, analyst, record):
    client.force_login(analyst)
    response = client.get(
        reverse("position", args=["russia", "kyiv_government"]) + "?on=2025-09-01",
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Deal w/ Kyiv." in html and "Denazify." not in html
    assert "concession" in html and "3 stops" in html


def test_it_draws_an_issue_timeline_with_evidence_markers_and_the_poles_distance(
    client, analyst, parties, issues
):
    donbas = issues["donbas"]
    make_statement(parties["russia"], donbas, -2, date(2025, 2, 12), quote="All of Donbas.")
    make_statement(parties["ukraine"], donbas, 2, date(2025, 3, 1), quote="1991 borders.")
    make_statement(parties["ukraine"], donbas, 0, date(2025, 9, 1), quote="Freeze the line.")
    client.force_login(analyst)

    html = client.get("/issues/donbas/?since=2025-01-01&until=2025-12-31").content.decode()

    assert html.count('<g class="series"') == 2
    markers = re.findall(r'<a href="(/positions/[^"]+)"', html)
    assert "/positions/ukraine/donbas/?on=2025-09-01" in markers
    assert "Distance between Russia" in html
    assert "2 stops at the end of the period" in html


def test_it_filters_the_timeline_by_party_in_the_url(client, analyst, record, parties, issues):
    make_statement(
        parties["russia"],
        record and __import__("negotiations.models").models.Issue.objects.get(slug="sanctions"),
        -2,
        date(2025, 2, 18),
        quote="Lift.",
    )
    client.force_login(analyst)
    html = client.get("/issues/sanctions/?party=us").content.decode()
    assert re.findall(r'data-party="([a-z]+)"', html) == ["us"]


def test_it_lists_shifts_with_kind_size_attribution_and_evidence(client, analyst, parties, issues):
    us = parties["us"]
    make_statement(
        parties["russia"], issues["kyiv_government"], -2, date(2025, 2, 24), quote="Denazify."
    )
    make_statement(
        parties["russia"],
        issues["kyiv_government"],
        1,
        date(2025, 8, 24),
        quote="Vance: Moscow dropped it.",
        attribution="reported",
        reported_by=us,
    )
    make_statement(us, issues["sanctions"], 0, date(2025, 3, 1), quote="Keep them.")
    make_statement(us, issues["sanctions"], 2, date(2025, 8, 6), quote="Tariffs.")
    client.force_login(analyst)

    html = client.get("/shifts/").content.decode()
    concessions = client.get("/shifts/?kind=concession").content.decode()
    us_only = client.get("/shifts/?party=us").content.decode()
    august_24 = client.get("/shifts/?since=2025-08-10&until=2025-08-31").content.decode()

    assert html.index("Russia</strong>") < html.index("United States</strong>")  # newest first
    assert "concession</span>\n    of 3 stops" in html
    assert "toward Ukraine&#x27;s position</span>\n    of 2 stops" in html
    assert "reported by United States" in html and "Vance: Moscow dropped it." in html
    assert "Russia</strong>" in concessions and "United States</strong>" not in concessions
    assert "United States</strong>" in us_only and "Russia</strong>" not in us_only
    assert "Russia</strong>" in august_24 and "United States</strong>" not in august_24


def test_it_pages_through_the_shifts(client, analyst, parties, issues):
    for n in range(70):
        make_statement(
            parties["eu"],
            issues["sanctions"],
            n % 2,
            date(2024, 1, 1) + timedelta(days=n),
            quote=f"EU {n}.",
        )
    client.force_login(analyst)

    first = client.get("/shifts/").content.decode()
    second = client.get("/shifts/?page=2").content.decode()

    assert first.count('<li class="shift"') == 50 and "page=2" in first
    assert second.count('<li class="shift"') == 69 - 50 and "page=1" in second
    assert "2024-03-10" in first and "2024-03-10" not in second  # newest first


def test_it_shows_a_partys_stances_and_concessions(client, analyst, record):
    client.force_login(analyst)
    html = client.get("/parties/russia/?since=2025-01-01&until=2025-12-31").content.decode()
    assert html.count('<svg class="chart"') == 1
    assert "Government in Kyiv" in html
    assert "concession</span>" in html


@pytest.mark.parametrize(
    "url",
    [
        "/?on=2025-09-01",
        "/positions/russia/kyiv_government/?on=2025-09-01",
        "/issues/sanctions/?since=2024-01-01&until=2025-12-31",
        "/shifts/",
        "/parties/eu/?since=2024-01-01&until=2025-12-31",
    ],
)
def test_it_needs_the_same_number_of_queries_whatever_the_size_of_the_record(
    client, analyst, parties, issues, django_assert_max_num_queries, url
):
    client.force_login(analyst)
    client.get(url)  # session, permissions and content types cached

    def queries_for(count: int) -> int:
        for n in range(count):
            for party in ("eu", "russia"):
                for issue in ("sanctions", "kyiv_government"):
                    make_statement(
                        parties[party],
                        issues[issue],
                        n % 3 - 1,
                        date(2024, 1, 1).replace(day=1 + n % 28, month=1 + n // 28),
                        quote=f"{party} {issue} {n}.",
                    )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = queries_for(3)
    large = queries_for(60)
    assert large == small
    with django_assert_max_num_queries(16):
        client.get(url)
