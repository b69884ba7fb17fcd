from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from negotiations.models import Issue, ScaleStop, Statement
from negotiations.services import create_statement
from tests.conftest import make_article, make_statement


def _raw(article, party, issue, **overrides) -> Statement:
    """A statement saved without the service's checks, to reach the database's own."""
    fields = dict(
        article=article,
        party=party,
        issue=issue,
        value=0,
        stated_on=date(2025, 8, 1),
        quote=article.text[:10],
        quote_start=0,
        quote_end=10,
        attribution="own",
        credibility=2,
        review_state="confirmed",
    )
    fields.update(overrides)
    return Statement.objects.create(**fields)


@pytest.fixture
def article(db):
    return make_article("Moscow says the war will go on until its goals are met.")


@pytest.mark.parametrize(
    "overrides",
    [
        {"value": 3},
        {"value": -3},
        {"quote_end": 12},  # offsets no longer span the quote
        {"quote_start": 10, "quote_end": 10, "quote": ""},
        {"attribution": "reported"},  # without reported_by
        {"credibility": 7},
        {"credibility": 0},
        {"review_state": "maybe"},
        {"confidence": 1.5},
    ],
)
def test_it_refuses_inconsistent_statements_in_the_database(article, parties, issues, overrides):
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(article, parties["russia"], issues["donbas"], **overrides)
    assert not Statement.objects.exists()


def test_it_refuses_own_statements_with_a_reporter_and_self_reports(article, parties, issues):
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(article, parties["russia"], issues["donbas"], reported_by=parties["us"])
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(
            article,
            parties["russia"],
            issues["donbas"],
            attribution="reported",
            reported_by=parties["russia"],
        )


def test_it_accepts_a_reported_statement_with_its_reporter(article, parties, issues):
    statement = _raw(
        article,
        parties["russia"],
        issues["donbas"],
        attribution="reported",
        reported_by=parties["us"],
    )
    assert statement.pk


def test_it_refuses_a_value_that_is_not_a_stop_of_the_issues_scale(article, parties):
    issue = Issue.objects.create(
        slug="grain",
        name="Black Sea grain",
        low_pole_party=parties["russia"],
        high_pole_party=parties["ukraine"],
    )
    for value in (-2, 0, 2):  # an admin left out the intermediate stops
        ScaleStop.objects.create(issue=issue, value=value, label=str(value), description="x")

    _raw(article, parties["russia"], issue, value=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw(article, parties["russia"], issue, value=1)


def test_it_cuts_the_quote_from_the_article_and_checks_the_offsets(article, parties, issues):
    statement = create_statement(
        article=article,
        party=parties["russia"],
        issue=issues["ceasefire"],
        value=-2,
        quote_start=0,
        quote_end=len("Moscow says the war will go on"),
    )
    assert statement.quote == "Moscow says the war will go on"
    assert statement.stated_on == article.published_on
    with pytest.raises(ValidationError):
        create_statement(
            article=article,
            party=parties["russia"],
            issue=issues["ceasefire"],
            value=-2,
            quote_start=10,
            quote_end=len(article.text) + 1,
        )


def test_it_requires_the_reporter_of_a_reported_statement(parties, issues):
    with pytest.raises(ValidationError):
        make_statement(
            parties["russia"], issues["donbas"], 0, date(2025, 8, 1), attribution="reported"
        )
