from datetime import date

import pytest
from django.core.management import call_command

from articles.models import Article
from negotiations.models import Issue, Party, ReviewState, Shift, Statement


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def snapshot() -> list[tuple]:
    return sorted(
        Statement.objects.values_list("id", "party_id", "issue_id", "value", "updated_at")
    ) + sorted(Article.objects.values_list("id", "updated_at"))


def test_it_loads_dispatches_in_french_and_english_with_confirmed_statements(demo):
    assert Article.objects.count() >= 12
    assert set(Article.objects.values_list("language", flat=True)) == {"en", "fr"}
    statements = Statement.objects.all()
    assert statements.count() >= 50
    assert not statements.exclude(review_state=ReviewState.CONFIRMED).exists()
    for statement in statements.select_related("article"):
        assert statement.article.text[statement.quote_start : statement.quote_end] == (
            statement.quote
        )


def test_it_covers_every_party_and_every_issue(demo):
    assert set(Statement.objects.values_list("party__slug", flat=True)) == set(
        Party.objects.values_list("slug", flat=True)
    )
    assert set(Statement.objects.values_list("issue__slug", flat=True)) == set(
        Issue.objects.values_list("slug", flat=True)
    )
    for party in Party.objects.all():
        assert Statement.objects.filter(party=party).values("issue").distinct().count() >= 4


def test_it_has_real_shifts_including_the_codebooks_worked_example(demo):
    kinds = set(Shift.objects.values_list("kind", flat=True))
    assert {"concession", "hardening", "toward_high", "toward_low"} <= kinds
    example = Shift.objects.get(
        party__slug="russia", issue__slug="kyiv_government", to_on=date(2025, 8, 24)
    )
    assert (example.from_value, example.to_value, example.size, example.kind) == (
        -2,
        1,
        3,
        "concession",
    )
    [evidence] = Statement.objects.filter(pk__in=example.statement_ids)
    assert evidence.attribution == "reported" and evidence.reported_by.slug == "us"
    assert evidence.speaker.slug == "jd-vance"


def test_it_changes_nothing_when_run_twice(demo):
    before = snapshot()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert snapshot() == before


def test_it_creates_one_user_per_role_who_can_log_in(demo, client):
    for username, perm in [
        ("analyst", "negotiations.export_statement"),
        ("editor", "negotiations.tag_article"),
        ("admin", "negotiations.change_issue"),
    ]:
        assert client.login(username=username, password="stance-demo")
        assert client.get("/").status_code == 200
        from django.contrib.auth.models import User

        assert User.objects.get(username=username).has_perm(perm)
        client.logout()


def test_it_skips_a_demo_already_loaded_with_once(demo):
    Statement.objects.filter(party__slug="eu").delete()
    Shift.objects.filter(party__slug="eu").delete()
    call_command("seed_demo", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert not Statement.objects.filter(party__slug="eu").exists()
