import io
from datetime import date

import pytest
from django.core.management import call_command
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token

from negotiations.models import Shift, Statement


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def token(analyst) -> str:
    return Token.objects.create(user=analyst).key


def get(client, url: str, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
    return client.get(url, **headers)


def test_it_publishes_a_valid_openapi_schema(client, token):
    response = get(client, "/api/schema/?format=json", token)
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    for path in (
        "/api/parties/",
        "/api/issues/",
        "/api/statements/",
        "/api/shifts/",
        "/api/positions/",
    ):
        assert path in schema["paths"]


def test_it_requires_a_token_or_a_session_with_the_analysts_rights(
    client, db, django_user_model, token
):
    assert get(client, "/api/parties/").status_code == 401
    assert get(client, "/api/parties/", "not-a-token").status_code == 401
    nobody = django_user_model.objects.create_user("nobody", password="x-y-z-123")
    assert get(client, "/api/parties/", Token.objects.create(user=nobody).key).status_code == 403
    assert get(client, "/api/parties/", token).status_code == 200


def test_it_lists_the_taxonomy(client, token):
    parties = get(client, "/api/parties/", token).json()
    donbas = get(client, "/api/issues/donbas/", token).json()
    assert [p["slug"] for p in parties["results"]] == ["us", "russia", "ukraine", "eu"]
    assert [s["value"] for s in donbas["stops"]] == [-2, -1, 0, 1, 2]
    assert (donbas["low_pole_party"], donbas["high_pole_party"]) == ("russia", "ukraine")


def test_it_pages_through_filtered_statements(client, token, demo):
    first = get(client, "/api/statements/?party=russia&page_size=10", token).json()
    second = get(client, first["next"], token).json()
    ids = [s["id"] for s in first["results"] + second["results"]]

    assert len(first["results"]) == 10 and len(set(ids)) == len(ids)
    assert {s["party"] for s in first["results"]} == {"russia"}
    expected = Statement.objects.filter(party__slug="russia").order_by("stated_on", "id")
    assert ids == list(expected.values_list("id", flat=True)[: len(ids)])
    assert first["results"][0]["article"]["source"]


def test_it_lists_shifts_with_their_codebook_labels(client, token, demo):
    data = get(client, "/api/shifts/?party=russia&kind=concession&page_size=100", token).json()
    assert (
        len(data["results"])
        == Shift.objects.filter(party__slug="russia", kind="concession").count()
    )
    example = next(s for s in data["results"] if s["issue"] == "kyiv_government")
    assert (example["from_low"], example["to_low"], example["label"]) == (-2, 1, "concession")


def test_it_gives_positions_as_of_a_date(client, token, demo):
    before = get(
        client, "/api/positions/?on=2025-08-01&party=russia&issue=kyiv_government", token
    ).json()
    after = get(
        client, "/api/positions/?on=2025-08-30&party=russia&issue=kyiv_government", token
    ).json()
    assert before["on"] == "2025-08-01"
    assert [(p["low"], p["low_label"]) for p in before["positions"]] == [
        (-2, "Replace the government")
    ]
    assert [(p["low"], p["stated_on"]) for p in after["positions"]] == [
        (1, date(2025, 8, 24).isoformat())
    ]
