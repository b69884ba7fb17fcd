from datetime import date

from negotiations.models import ReviewState
from negotiations.selectors import position_matrix, positions_as_of
from tests.conftest import make_statement


def test_it_takes_the_latest_confirmed_statement_on_or_before_the_date(parties, issues):
    russia, donbas = parties["russia"], issues["donbas"]
    make_statement(russia, donbas, -2, date(2025, 2, 1))
    make_statement(russia, donbas, -1, date(2025, 6, 1))
    make_statement(russia, donbas, 0, date(2025, 9, 1))

    def value_on(day: date) -> int | None:
        found = positions_as_of(on=day, parties=[russia], issues=[donbas])
        return found[0].low if found else None

    assert value_on(date(2025, 1, 31)) is None
    assert value_on(date(2025, 2, 1)) == -2
    assert value_on(date(2025, 5, 31)) == -2
    assert value_on(date(2025, 6, 1)) == -1
    assert value_on(date(2025, 8, 31)) == -1
    assert value_on(date(2026, 1, 1)) == 0


def test_it_shows_same_day_statements_as_a_range_with_all_of_them(parties, issues):
    russia, kyiv = parties["russia"], issues["kyiv_government"]
    make_statement(russia, kyiv, -2, date(2025, 2, 1))
    a = make_statement(
        russia, kyiv, -2, date(2025, 8, 24), quote="Moscow insists on regime change."
    )
    b = make_statement(russia, kyiv, 1, date(2025, 8, 24), quote="Moscow will deal with Kyiv.")

    [position] = positions_as_of(on=date(2025, 9, 1), parties=[russia], issues=[kyiv])

    assert (position.low, position.high, position.is_range) == (-2, 1, True)
    assert position.stated_on == date(2025, 8, 24)
    assert position.statement_ids == (a.pk, b.pk)


def test_it_ignores_suggested_and_rejected_statements_unless_asked(parties, issues):
    us, sanctions = parties["us"], issues["sanctions"]
    make_statement(us, sanctions, 0, date(2025, 3, 1))
    make_statement(us, sanctions, 2, date(2025, 8, 6), review_state=ReviewState.SUGGESTED)
    make_statement(us, sanctions, -2, date(2025, 8, 7), review_state=ReviewState.REJECTED)

    [confirmed] = positions_as_of(on=date(2025, 9, 1), parties=[us], issues=[sanctions])
    [with_suggested] = positions_as_of(
        on=date(2025, 9, 1), parties=[us], issues=[sanctions], include_suggested=True
    )

    assert (confirmed.low, confirmed.stated_on) == (0, date(2025, 3, 1))
    assert (with_suggested.low, with_suggested.stated_on) == (2, date(2025, 8, 6))


def test_it_keeps_parties_and_issues_apart(parties, issues):
    make_statement(parties["russia"], issues["donbas"], -2, date(2025, 2, 1))
    make_statement(parties["ukraine"], issues["donbas"], 2, date(2025, 3, 1))
    make_statement(parties["ukraine"], issues["ceasefire"], 2, date(2025, 3, 11))

    found = {(p.party_id, p.issue_id): p.low for p in positions_as_of(on=date(2025, 12, 31))}

    assert found == {
        (parties["russia"].pk, issues["donbas"].pk): -2,
        (parties["ukraine"].pk, issues["donbas"].pk): 2,
        (parties["ukraine"].pk, issues["ceasefire"].pk): 2,
    }


def test_it_builds_the_whole_matrix_with_labels_in_constant_queries(
    parties, issues, django_assert_max_num_queries
):
    make_statement(parties["eu"], issues["security_guarantees"], 1, date(2025, 9, 4))
    for day in range(1, 20):
        make_statement(parties["us"], issues["sanctions"], day % 3 - 1, date(2025, 1, day))

    with django_assert_max_num_queries(4):
        matrix = position_matrix(on=date(2025, 12, 31))

    cells = {(c.party.slug, c.issue.slug): c for row in matrix.rows for c in row}
    assert len(cells) == 24
    assert cells["eu", "security_guarantees"].low_label == "European-led guarantees"
    assert cells["us", "sanctions"].position.low == 19 % 3 - 1
    assert cells["russia", "donbas"].position is None
