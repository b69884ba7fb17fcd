"""The codebook's rules, read from the database: positions as of a date, shifts and concessions.

Everything here is computed by PostgreSQL (aggregates, LATERAL look-ups and window functions) so
that the cost follows the size of the answer, not the number of statements stored.

A party's position on an issue on a day is the set of its statements of that day: usually one
value, a range [low, high] when statements of the same day disagree. Its position as of a date is
the latest such day on or before that date. A shift is a change between two consecutive days with
statements; each bound of the range moves, and the shift's size is the larger of the two moves
(for single values, simply the number of stops moved).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Q, QuerySet

from negotiations.models import (
    Actor,
    ActorAlias,
    Cue,
    Issue,
    IssueCue,
    Office,
    OfficeAlias,
    Party,
    PartyAlias,
    ReviewState,
    ScaleStop,
    Statement,
    Tenure,
)
from negotiations.suggestions import EXTRACTOR_VERSION, Lexicon, build_lexicon


class ShiftKind:
    CONCESSION = "concession"
    HARDENING = "hardening"
    TOWARD_HIGH = "toward_high"  # toward the high pole's position (Ukraine's on the defaults)
    TOWARD_LOW = "toward_low"  # toward the low pole's position (Russia's on the defaults)
    MIXED = "mixed"  # the range widened or narrowed on both sides: no direction

    ALL = (CONCESSION, HARDENING, TOWARD_HIGH, TOWARD_LOW, MIXED)


@dataclass(frozen=True)
class Position:
    party_id: int
    issue_id: int
    stated_on: date
    low: int
    high: int
    statement_ids: tuple[int, ...]

    @property
    def is_range(self) -> bool:
        return self.low != self.high


@dataclass(frozen=True)
class Shift:
    party_id: int
    issue_id: int
    from_on: date
    to_on: date
    from_low: int
    from_high: int
    to_low: int
    to_high: int
    size: int
    direction: str  # "up", "down" or "mixed"
    kind: str  # one of ShiftKind.ALL
    statement_ids: tuple[int, ...] = field(default=())  # the evidence: statements of to_on

    @property
    def from_value(self) -> int | tuple[int, int]:
        return self.from_low if self.from_low == self.from_high else (self.from_low, self.from_high)

    @property
    def to_value(self) -> int | tuple[int, int]:
        return self.to_low if self.to_low == self.to_high else (self.to_low, self.to_high)


def _states(include_suggested: bool) -> list[str]:
    if include_suggested:
        return [ReviewState.CONFIRMED, ReviewState.SUGGESTED]
    return [ReviewState.CONFIRMED]


def _ids(objects: QuerySet | Iterable | None) -> list[int] | None:
    if objects is None:
        return None
    if isinstance(objects, QuerySet):
        return list(objects.values_list("pk", flat=True))
    return [getattr(o, "pk", o) for o in objects]


def positions_as_of(
    *,
    on: date,
    parties: QuerySet[Party] | Sequence[Party | int] | None = None,
    issues: QuerySet[Issue] | Sequence[Issue | int] | None = None,
    include_suggested: bool = False,
) -> list[Position]:
    """Each party's position on each issue as of a date: its latest day of statements up to it.

    Pairs without any statement up to that date are absent. Two index look-ups per
    (party, issue) pair, whatever the number of statements.
    """
    party_ids, issue_ids = _ids(parties), _ids(issues)
    sql = """
        SELECT p.id, i.id, latest.day, agg.low, agg.high, agg.ids
        FROM negotiations_party p
        CROSS JOIN negotiations_issue i
        CROSS JOIN LATERAL (
            SELECT max(s.stated_on) AS day FROM negotiations_statement s
            WHERE s.party_id = p.id AND s.issue_id = i.id
              AND s.review_state = ANY(%(states)s) AND s.stated_on <= %(on)s
        ) latest
        CROSS JOIN LATERAL (
            SELECT min(s.value) AS low, max(s.value) AS high, array_agg(s.id ORDER BY s.id) AS ids
            FROM negotiations_statement s
            WHERE s.party_id = p.id AND s.issue_id = i.id
              AND s.review_state = ANY(%(states)s) AND s.stated_on = latest.day
        ) agg
        WHERE latest.day IS NOT NULL
          AND (%(party_ids)s::bigint[] IS NULL OR p.id = ANY(%(party_ids)s::bigint[]))
          AND (%(issue_ids)s::bigint[] IS NULL OR i.id = ANY(%(issue_ids)s::bigint[]))
        ORDER BY p."order", p.id, i."order", i.id
    """
    params = {
        "on": on,
        "states": _states(include_suggested),
        "party_ids": party_ids,
        "issue_ids": issue_ids,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            Position(
                party_id=r[0],
                issue_id=r[1],
                stated_on=r[2],
                low=r[3],
                high=r[4],
                statement_ids=tuple(r[5]),
            )
            for r in cursor.fetchall()
        ]


def shifts(
    *,
    statements: QuerySet[Statement] | None = None,
    since: date | None = None,
    until: date | None = None,
    kinds: Sequence[str] | None = None,
    include_suggested: bool = False,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[Shift]:
    """Consecutive changes of a party's position on an issue, with size, direction and kind.

    `statements` narrows the evidence (e.g. to some parties or issues); the period and the kinds
    filter the shifts themselves, so a shift in the period still compares with the position held
    before it began.
    """
    base = statements if statements is not None else Statement.objects.all()
    base = base.filter(review_state__in=_states(include_suggested))
    base_sql, base_params = base.values(
        "id", "party_id", "issue_id", "stated_on", "value"
    ).query.sql_with_params()
    order = "DESC" if newest_first else "ASC"
    sql = f"""
        WITH days AS (
            SELECT b.party_id, b.issue_id, b.stated_on,
                   min(b.value) AS low, max(b.value) AS high, array_agg(b.id ORDER BY b.id) AS ids
            FROM ({base_sql}) b
            GROUP BY b.party_id, b.issue_id, b.stated_on
        ), steps AS (
            SELECT d.*,
                   lag(d.stated_on) OVER w AS prev_on,
                   lag(d.low) OVER w AS prev_low,
                   lag(d.high) OVER w AS prev_high
            FROM days d
            WINDOW w AS (PARTITION BY d.party_id, d.issue_id ORDER BY d.stated_on)
        ), moves AS (
            SELECT st.*,
                   st.low - st.prev_low AS d_low, st.high - st.prev_high AS d_high,
                   CASE
                     WHEN st.low >= st.prev_low AND st.high >= st.prev_high THEN 'up'
                     WHEN st.low <= st.prev_low AND st.high <= st.prev_high THEN 'down'
                     ELSE 'mixed'
                   END AS direction
            FROM steps st
            WHERE st.prev_on IS NOT NULL
              AND (st.low <> st.prev_low OR st.high <> st.prev_high)
        ), shifts AS (
            SELECT m.party_id, m.issue_id, m.prev_on, m.stated_on, m.prev_low, m.prev_high,
                   m.low, m.high, greatest(abs(m.d_low), abs(m.d_high)) AS size, m.direction,
                   CASE
                     WHEN m.direction = 'mixed' THEN 'mixed'
                     WHEN m.party_id = i.low_pole_party_id THEN
                       CASE m.direction WHEN 'up' THEN 'concession' ELSE 'hardening' END
                     WHEN m.party_id = i.high_pole_party_id THEN
                       CASE m.direction WHEN 'down' THEN 'concession' ELSE 'hardening' END
                     ELSE CASE m.direction WHEN 'up' THEN 'toward_high' ELSE 'toward_low' END
                   END AS kind,
                   m.ids
            FROM moves m JOIN negotiations_issue i ON i.id = m.issue_id
        )
        SELECT * FROM shifts
        WHERE (%s::date IS NULL OR stated_on >= %s::date)
          AND (%s::date IS NULL OR stated_on <= %s::date)
          AND (%s::text[] IS NULL OR kind = ANY(%s::text[]))
        ORDER BY stated_on {order}, party_id, issue_id
        LIMIT %s OFFSET %s
    """
    kinds_list = list(kinds) if kinds else None
    params = [*base_params, since, since, until, until, kinds_list, kinds_list, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            Shift(
                party_id=r[0],
                issue_id=r[1],
                from_on=r[2],
                to_on=r[3],
                from_low=r[4],
                from_high=r[5],
                to_low=r[6],
                to_high=r[7],
                size=r[8],
                direction=r[9],
                kind=r[10],
                statement_ids=tuple(r[11]),
            )
            for r in cursor.fetchall()
        ]


def shift_label(*, shift: Shift, party: Party, issue: Issue) -> str:
    """The codebook's words for a shift: concession, hardening, or a direction for the others."""
    if shift.kind == ShiftKind.CONCESSION:
        return "concession"
    if shift.kind == ShiftKind.HARDENING:
        return "hardening"
    if shift.kind == ShiftKind.TOWARD_HIGH:
        return f"toward {issue.high_pole_party.name}'s position"
    if shift.kind == ShiftKind.TOWARD_LOW:
        return f"toward {issue.low_pole_party.name}'s position"
    return "mixed: the range of statements changed on both sides"


def resolve_actor(*, name: str, on: date) -> Actor | None:
    """The actor a name or a title designates on a date.

    A name ("Lavrov", "Сергей Лавров") designates its actor at any date; a title
    ("the US Secretary of State", "le chef de la diplomatie russe") the actor who held that office
    on that date.
    """
    name = name.strip()
    by_name = Actor.objects.filter(aliases__alias__iexact=name).distinct()
    if (actor := by_name.first()) is not None:
        return actor
    # One filter() call, so that the title, the start and the end all bind to the same tenure.
    return (
        Actor.objects.filter(
            Q(tenures__office__aliases__alias__iexact=name),
            Q(tenures__start__lte=on),
            Q(tenures__end__isnull=True) | Q(tenures__end__gte=on),
        )
        .order_by("-tenures__start")
        .first()
    )


@dataclass(frozen=True)
class Cell:
    party: Party
    issue: Issue
    position: Position | None
    low_label: str = ""
    high_label: str = ""


@dataclass(frozen=True)
class Matrix:
    on: date
    parties: list[Party]
    issues: list[Issue]
    rows: list[list[Cell]]  # one row per party, one cell per issue


def position_matrix(*, on: date, include_suggested: bool = False) -> Matrix:
    """Every party's position on every issue as of a date, with the scale's labels."""
    parties = list(Party.objects.all())
    issues = list(Issue.objects.select_related("low_pole_party", "high_pole_party"))
    labels = {
        (stop.issue_id, stop.value): stop.label
        for stop in ScaleStop.objects.only("issue_id", "value", "label")
    }
    positions = {
        (p.party_id, p.issue_id): p
        for p in positions_as_of(on=on, include_suggested=include_suggested)
    }
    rows = []
    for party in parties:
        row = []
        for issue in issues:
            position = positions.get((party.pk, issue.pk))
            row.append(
                Cell(
                    party=party,
                    issue=issue,
                    position=position,
                    low_label=labels.get((issue.pk, position.low), "") if position else "",
                    high_label=labels.get((issue.pk, position.high), "") if position else "",
                )
            )
        rows.append(row)
    return Matrix(on=on, parties=parties, issues=issues, rows=rows)


@dataclass(frozen=True)
class ShiftEntry:
    shift: Shift
    party: Party
    issue: Issue
    label: str
    statements: list[Statement]  # the evidence of the new position


def shift_feed(
    *,
    statements: QuerySet[Statement] | None = None,
    since: date | None = None,
    until: date | None = None,
    kinds: Sequence[str] | None = None,
    include_suggested: bool = False,
    limit: int | None = 50,
    offset: int = 0,
) -> list[ShiftEntry]:
    """Shifts, newest first, with their party, issue, codebook label and evidence: four queries."""
    found = shifts(
        statements=statements,
        since=since,
        until=until,
        kinds=kinds,
        include_suggested=include_suggested,
        newest_first=True,
        limit=limit,
        offset=offset,
    )
    parties = Party.objects.in_bulk({s.party_id for s in found})
    issues = Issue.objects.select_related("low_pole_party", "high_pole_party").in_bulk(
        {s.issue_id for s in found}
    )
    evidence = Statement.objects.select_related(
        "speaker", "reported_by", "article", "article__source"
    ).in_bulk([pk for s in found for pk in s.statement_ids])
    return [
        ShiftEntry(
            shift=s,
            party=parties[s.party_id],
            issue=issues[s.issue_id],
            label=shift_label(shift=s, party=parties[s.party_id], issue=issues[s.issue_id]),
            statements=[evidence[pk] for pk in s.statement_ids],
        )
        for s in found
    ]


# A worker keeps the compiled lexicon for a few minutes: compiling it costs more than reading an
# article, and admins' edits still arrive without a restart.
_LEXICON_TTL_S = 300.0
_lexicon_cache: tuple[float, Lexicon] | None = None


def suggestion_lexicon(*, fresh: bool = False) -> Lexicon:
    """The taxonomy's aliases and the suggester's cues, compiled (cached per process)."""
    global _lexicon_cache
    now = time.monotonic()
    if not fresh and _lexicon_cache is not None and now - _lexicon_cache[0] < _LEXICON_TTL_S:
        return _lexicon_cache[1]
    actors = defaultdict(list)
    for actor_id, alias in ActorAlias.objects.values_list("actor_id", "alias"):
        actors[actor_id].append(alias)
    office_aliases = defaultdict(list)
    for office_id, alias in OfficeAlias.objects.values_list("office_id", "alias"):
        office_aliases[office_id].append(alias)
    tenures = defaultdict(list)
    for office_id, actor_slug, start, end in Tenure.objects.values_list(
        "office_id", "actor__slug", "start", "end"
    ):
        tenures[office_id].append((actor_slug, start, end))
    lexicon = build_lexicon(
        version=EXTRACTOR_VERSION,
        party_aliases=[
            *PartyAlias.objects.values_list("party__slug", "alias", "lang"),
            *((slug, name, "") for slug, name in Party.objects.values_list("slug", "name")),
        ],
        actors=[
            (slug, party, [name, *actors[pk]])
            for pk, slug, party, name in Actor.objects.values_list(
                "pk", "slug", "party__slug", "name"
            )
        ],
        offices=[
            (party, [title, *office_aliases[pk]], tenures[pk])
            for pk, party, title in Office.objects.values_list("pk", "party__slug", "title")
        ],
        cues=Cue.objects.values_list("kind", "lang", "term", "act"),
        issue_cues=IssueCue.objects.values_list(
            "issue__slug", "lang", "term", "value", "opposed_value", "conditional_value"
        ),
    )
    _lexicon_cache = (now, lexicon)
    return lexicon
