from datetime import date, timedelta

import pytest

from negotiations.models import Actor, Attribution, ReviewState, Shift, ShiftKind, Statement
from negotiations.selectors import compute_shifts, shift_feed
from negotiations.services import create_statement, quote_offsets, rebuild_shifts, review_statement
from tests.conftest import SEED_ARTICLE, make_article, make_statement


def shifts(**filters) -> list[Shift]:
    return compute_shifts(
        statements=Statement.objects.filter(review_state=ReviewState.CONFIRMED), **filters
    )


def test_it_finds_consecutive_changes_with_size_and_direction(parties, issues):
    us, sanctions = parties["us"], issues["sanctions"]
    make_statement(us, sanctions, 0, date(2025, 2, 18))
    make_statement(us, sanctions, 0, date(2025, 3, 1))  # same stance again: no shift
    make_statement(us, sanctions, 1, date(2025, 7, 14))
    make_statement(us, sanctions, 2, date(2025, 8, 6))
    make_statement(us, sanctions, -1, date(2025, 8, 20))

    found = shifts()

    assert [(s.from_on, s.to_on, s.from_value, s.to_value, s.size, s.direction) for s in found] == [
        (date(2025, 3, 1), date(2025, 7, 14), 0, 1, 1, "up"),
        (date(2025, 7, 14), date(2025, 8, 6), 1, 2, 1, "up"),
        (date(2025, 8, 6), date(2025, 8, 20), 2, -1, 3, "down"),
    ]
    assert [s.kind for s in found] == [
        ShiftKind.TOWARD_HIGH,
        ShiftKind.TOWARD_HIGH,
        ShiftKind.TOWARD_LOW,
    ]


def test_it_calls_moves_of_the_poles_concessions_and_hardenings(parties, issues):
    russia, ukraine, ceasefire = parties["russia"], parties["ukraine"], issues["ceasefire"]
    make_statement(russia, ceasefire, -2, date(2025, 3, 1))
    make_statement(russia, ceasefire, -1, date(2025, 3, 18))  # away from -2: concession
    make_statement(russia, ceasefire, -2, date(2025, 5, 1))  # back toward -2: hardening
    make_statement(ukraine, ceasefire, 2, date(2025, 3, 1))
    make_statement(ukraine, ceasefire, 0, date(2025, 9, 1))  # away from +2: concession
    make_statement(ukraine, ceasefire, 1, date(2025, 10, 1))  # toward +2: hardening

    found = [(s.party_id, s.to_on, s.kind, s.size) for s in shifts()]

    assert found == [
        (russia.pk, date(2025, 3, 18), ShiftKind.CONCESSION, 1),
        (russia.pk, date(2025, 5, 1), ShiftKind.HARDENING, 1),
        (ukraine.pk, date(2025, 9, 1), ShiftKind.CONCESSION, 2),
        (ukraine.pk, date(2025, 10, 1), ShiftKind.HARDENING, 1),
    ]


def test_it_labels_the_other_parties_shifts_by_direction(parties, issues):
    eu, guarantees = parties["eu"], issues["security_guarantees"]
    make_statement(eu, guarantees, 0, date(2025, 2, 1))
    make_statement(eu, guarantees, 1, date(2025, 9, 4))
    make_statement(eu, guarantees, -1, date(2025, 10, 1))

    labels = [entry.label for entry in reversed(shift_feed())]

    assert labels == ["toward Ukraine's position", "toward Russia's position"]


def test_it_codes_the_codebooks_worked_example_as_a_concession_of_three_stops(parties, issues):
    russia, us, kyiv = parties["russia"], parties["us"], issues["kyiv_government"]
    make_statement(russia, kyiv, -2, date(2025, 2, 24), quote="Moscow demands denazification.")
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    article = make_article(text, published_on=date(2025, 8, 25), title="Vance et les concessions")
    start, end = quote_offsets(
        text=text,
        quote="Les concessions russes évoquées par Vance incluent l’abandon de l’objectif "
        "d’installer un régime fantoche à Kiev",
    )
    vance = Actor.objects.get(slug="jd-vance")
    reported = create_statement(
        article=article,
        party=russia,
        issue=kyiv,
        value=1,
        quote_start=start,
        quote_end=end,
        stated_on=date(2025, 8, 24),
        speaker=vance,
        attribution=Attribution.REPORTED,
        reported_by=us,
        review_state="confirmed",
    )

    [entry] = shift_feed()

    assert entry.shift.party == russia and entry.shift.issue == kyiv
    assert (entry.shift.from_value, entry.shift.to_value, entry.shift.size) == (-2, 1, 3)
    assert entry.shift.kind == ShiftKind.CONCESSION and entry.label == "concession"
    assert entry.statements == [reported]
    assert entry.statements[0].reported_by == us and entry.statements[0].speaker == vance
    assert article.text[start:end] == reported.quote


def test_it_moves_each_bound_of_a_same_day_range(parties, issues):
    russia, kyiv = parties["russia"], issues["kyiv_government"]
    make_statement(russia, kyiv, -2, date(2025, 2, 1))
    make_statement(russia, kyiv, -2, date(2025, 8, 24), quote="Lavrov repeats the demand.")
    make_statement(russia, kyiv, 1, date(2025, 8, 24), quote="Vance says Moscow dropped it.")

    [shift] = shifts()

    assert (shift.from_value, shift.to_value) == (-2, (-2, 1))
    assert (shift.size, shift.direction, shift.kind) == (3, "up", ShiftKind.CONCESSION)


def test_it_filters_by_period_and_kind_yet_compares_with_the_position_before(parties, issues):
    russia, donbas = parties["russia"], issues["donbas"]
    make_statement(russia, donbas, -1, date(2024, 12, 1))
    make_statement(russia, donbas, -2, date(2025, 8, 15))
    make_statement(russia, donbas, -1, date(2025, 10, 1))

    in_period = shifts(since=date(2025, 8, 1), until=date(2025, 8, 31))
    hardenings = shifts(kinds=[ShiftKind.HARDENING])
    concessions = shifts(kinds=[ShiftKind.CONCESSION], newest_first=True)

    assert [(s.from_on, s.to_on, s.kind) for s in in_period] == [
        (date(2024, 12, 1), date(2025, 8, 15), ShiftKind.HARDENING)
    ]
    assert [s.to_on for s in hardenings] == [date(2025, 8, 15)]
    assert [s.to_on for s in concessions] == [date(2025, 10, 1)]


def test_it_narrows_the_evidence_to_a_statements_queryset(parties, issues):
    make_statement(parties["us"], issues["sanctions"], 0, date(2025, 1, 1))
    make_statement(parties["us"], issues["sanctions"], 2, date(2025, 8, 6))
    make_statement(parties["eu"], issues["sanctions"], 0, date(2025, 1, 1))
    make_statement(parties["eu"], issues["sanctions"], 2, date(2025, 7, 18))

    found = compute_shifts(statements=Statement.objects.filter(party__slug="eu"))

    assert [s.party_id for s in found] == [parties["eu"].pk]


@pytest.mark.parametrize("count", [5, 40])
def test_it_builds_the_feed_in_constant_queries(
    parties, issues, django_assert_max_num_queries, count
):
    for day in range(1, count + 1):
        stated_on = date(2025, 1, 1) + timedelta(days=day)
        make_statement(parties["us"], issues["sanctions"], day % 2, stated_on)

    with django_assert_max_num_queries(4):
        entries = shift_feed(limit=100)

    assert entries and all(e.statements for e in entries)


def stored() -> list[tuple]:
    return sorted(
        Shift.objects.values_list("party_id", "issue_id", "from_on", "to_on", "size", "kind")
    )


def computed() -> list[tuple]:
    return sorted((s.party_id, s.issue_id, s.from_on, s.to_on, s.size, s.kind) for s in shifts())


def test_it_keeps_the_stored_shifts_equal_to_the_rule_through_every_write(parties, issues, editor):
    russia, donbas = parties["russia"], issues["donbas"]
    make_statement(russia, donbas, -2, date(2025, 2, 1))
    late = make_statement(russia, donbas, -1, date(2025, 8, 15))
    suggested = make_statement(
        russia, donbas, 0, date(2025, 9, 1), review_state=ReviewState.SUGGESTED
    )
    assert stored() == computed() and len(stored()) == 1

    review_statement(statement=suggested, state=ReviewState.CONFIRMED, user=editor)
    assert stored() == computed() and len(stored()) == 2

    review_statement(statement=late, state=ReviewState.REJECTED, user=editor)
    assert stored() == computed()
    assert stored() == [(russia.pk, donbas.pk, date(2025, 2, 1), date(2025, 9, 1), 2, "concession")]


def test_it_rebuilds_every_stored_shift_after_a_bulk_load(parties, issues):
    make_statement(parties["us"], issues["sanctions"], 0, date(2025, 2, 1))
    make_statement(parties["us"], issues["sanctions"], 2, date(2025, 8, 6))
    Shift.objects.all().delete()

    assert rebuild_shifts() == 1
    assert stored() == computed()


def test_it_shows_suggested_shifts_only_when_asked(parties, issues):
    make_statement(parties["us"], issues["sanctions"], 0, date(2025, 2, 1))
    make_statement(
        parties["us"],
        issues["sanctions"],
        2,
        date(2025, 8, 6),
        review_state=ReviewState.SUGGESTED,
    )

    assert shift_feed() == []
    [entry] = shift_feed(include_suggested=True, parties=[parties["us"]])
    assert entry.shift.to_value == 2 and entry.label == "toward Ukraine's position"
