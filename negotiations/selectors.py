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
from datetime import date, timedelta

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from articles.models import Article
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
    Shift,
    ShiftKind,
    Statement,
    Tenure,
)
from negotiations.suggestions import EXTRACTOR_VERSION, Lexicon, build_lexicon


# Slotted, not frozen: a large matrix builds thousands of these per request.
@dataclass(slots=True)
class Position:
    party_id: int
    issue_id: int
    stated_on: date
    low: int
    high: int
    statement_ids: tuple[int, ...]
    source: str = ""  # where the latest statement of the day was published
    # The position held on `compared_on`, when positions_as_of() was asked to compare; None if
    # there was none yet then.
    before: tuple[int, int] | None = None

    @property
    def is_range(self) -> bool:
        return self.low != self.high


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
    compared_on: date | None = None,
) -> list[Position]:
    """Each party's position on each issue as of a date: its latest day of statements up to it.

    Pairs without any statement up to that date are absent. With `compared_on`, each position
    also carries the one held then (`before`). A few index look-ups per (party, issue) pair,
    whatever the number of statements.
    """
    party_ids, issue_ids = _ids(parties), _ids(issues)
    day_of = """
        SELECT max(s.stated_on) FROM negotiations_statement s
        WHERE s.party_id = p.id AND s.issue_id = i.id
          AND s.review_state = ANY(%(states)s) AND s.stated_on <= {bound}
    """
    sql = f"""
        SELECT p.id, i.id, latest.day, agg.low, agg.high, agg.ids, src.name,
               prev.low, prev.high
        FROM negotiations_party p
        CROSS JOIN negotiations_issue i
        CROSS JOIN LATERAL ({day_of.format(bound="%(on)s")}) latest (day)
        CROSS JOIN LATERAL (
            SELECT min(s.value) AS low, max(s.value) AS high,
                   array_agg(s.id ORDER BY s.id) AS ids,
                   (array_agg(s.article_id ORDER BY s.id DESC))[1] AS article_id
            FROM negotiations_statement s
            WHERE s.party_id = p.id AND s.issue_id = i.id
              AND s.review_state = ANY(%(states)s) AND s.stated_on = latest.day
        ) agg
        LEFT JOIN articles_article a ON a.id = agg.article_id
        LEFT JOIN articles_source src ON src.id = a.source_id
        LEFT JOIN LATERAL (
            SELECT min(s.value) AS low, max(s.value) AS high
            FROM negotiations_statement s
            WHERE s.party_id = p.id AND s.issue_id = i.id
              AND s.review_state = ANY(%(states)s)
              AND s.stated_on = ({day_of.format(bound="%(compared_on)s")})
        ) prev ON %(compared_on)s::date IS NOT NULL
        WHERE latest.day IS NOT NULL
          AND (%(party_ids)s::bigint[] IS NULL OR p.id = ANY(%(party_ids)s::bigint[]))
          AND (%(issue_ids)s::bigint[] IS NULL OR i.id = ANY(%(issue_ids)s::bigint[]))
        ORDER BY p."order", p.id, i."order", i.id
    """
    params = {
        "on": on,
        "compared_on": compared_on,
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
                source=r[6] or "",
                before=(r[7], r[8]) if r[7] is not None else None,
            )
            for r in cursor.fetchall()
        ]


def shifts_sql(statements: QuerySet[Statement]) -> tuple[str, list]:
    """The shift rule in SQL: one row per change between consecutive days of a (party, issue).

    Columns: party_id, issue_id, from_on, to_on, from_low, from_high, to_low, to_high, size,
    direction, kind, statement_ids.
    """
    base_sql, base_params = (
        statements.order_by()
        .values("id", "party_id", "issue_id", "stated_on", "value")
        .query.sql_with_params()
    )
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
                   CASE
                     WHEN st.low >= st.prev_low AND st.high >= st.prev_high THEN 'up'
                     WHEN st.low <= st.prev_low AND st.high <= st.prev_high THEN 'down'
                     ELSE 'mixed'
                   END AS direction
            FROM steps st
            WHERE st.prev_on IS NOT NULL
              AND (st.low <> st.prev_low OR st.high <> st.prev_high)
        )
        SELECT m.party_id, m.issue_id, m.prev_on AS from_on, m.stated_on AS to_on,
               m.prev_low AS from_low, m.prev_high AS from_high, m.low AS to_low,
               m.high AS to_high,
               greatest(abs(m.low - m.prev_low), abs(m.high - m.prev_high)) AS size,
               m.direction,
               CASE
                 WHEN m.direction = 'mixed' THEN 'mixed'
                 WHEN m.party_id = i.low_pole_party_id THEN
                   CASE m.direction WHEN 'up' THEN 'concession' ELSE 'hardening' END
                 WHEN m.party_id = i.high_pole_party_id THEN
                   CASE m.direction WHEN 'down' THEN 'concession' ELSE 'hardening' END
                 ELSE CASE m.direction WHEN 'up' THEN 'toward_high' ELSE 'toward_low' END
               END AS kind,
               m.ids AS statement_ids
        FROM moves m JOIN negotiations_issue i ON i.id = m.issue_id
    """
    return sql, list(base_params)


SHIFT_COLUMNS = (
    "party_id",
    "issue_id",
    "from_on",
    "to_on",
    "from_low",
    "from_high",
    "to_low",
    "to_high",
    "size",
    "direction",
    "kind",
    "statement_ids",
)


def compute_shifts(
    *,
    statements: QuerySet[Statement],
    since: date | None = None,
    until: date | None = None,
    kinds: Sequence[str] | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[Shift]:
    """The shifts between the given statements (unsaved rows), computed by the database.

    The period and the kinds filter the shifts themselves, so a shift in the period still
    compares with the position held before it began.
    """
    rule_sql, params = shifts_sql(statements)
    order = "DESC" if newest_first else "ASC"
    kinds_list = list(kinds) if kinds else None
    sql = f"""
        SELECT * FROM ({rule_sql}) s
        WHERE (%s::date IS NULL OR s.to_on >= %s::date)
          AND (%s::date IS NULL OR s.to_on <= %s::date)
          AND (%s::text[] IS NULL OR s.kind = ANY(%s::text[]))
        ORDER BY s.to_on {order}, s.party_id, s.issue_id
        LIMIT %s OFFSET %s
    """
    params += [since, since, until, until, kinds_list, kinds_list, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [Shift(**dict(zip(SHIFT_COLUMNS, row, strict=True))) for row in cursor.fetchall()]


def shift_label(*, shift: Shift) -> str:
    """The codebook's words for a shift: concession, hardening, or a direction for the others."""
    if shift.kind == ShiftKind.TOWARD_HIGH:
        return f"toward {shift.issue.high_pole_party.name}'s position"
    if shift.kind == ShiftKind.TOWARD_LOW:
        return f"toward {shift.issue.low_pole_party.name}'s position"
    if shift.kind == ShiftKind.MIXED:
        return "mixed: the statements' range changed on both sides"
    return shift.get_kind_display().lower()


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


def stop_labels() -> dict[tuple[int, int], str]:
    """The label of every stop of every scale, by (issue_id, value)."""
    return {
        (issue_id, value): label
        for issue_id, value, label in ScaleStop.objects.values_list("issue_id", "value", "label")
    }


@dataclass(slots=True)
class Cell:
    party: Party
    issue: Issue
    position: Position | None
    low_label: str = ""
    high_label: str = ""
    source: str = ""  # where the latest statement of the position was published
    changed: bool = False  # the position differs from the one held `recent_days` earlier


@dataclass(frozen=True)
class Matrix:
    on: date
    recent_days: int
    parties: list[Party]
    issues: list[Issue]
    rows: list[list[Cell]]  # one row per party, one cell per issue


def position_matrix(*, on: date, recent_days: int = 30, include_suggested: bool = False) -> Matrix:
    """Every party's position on every issue as of a date, with the scale's labels, the latest
    statement's source, and a mark on the cells that changed in the last `recent_days` days.

    Four queries whatever the size of the record."""
    parties = list(Party.objects.all())
    issues = list(Issue.objects.select_related("low_pole_party", "high_pole_party"))
    labels = stop_labels()
    positions = {
        (p.party_id, p.issue_id): p
        for p in positions_as_of(
            on=on,
            include_suggested=include_suggested,
            compared_on=on - timedelta(days=recent_days),
        )
    }
    rows = []
    for party in parties:
        row = []
        for issue in issues:
            position = positions.get((party.pk, issue.pk))
            if position is None:
                row.append(Cell(party=party, issue=issue, position=None))
                continue
            row.append(
                Cell(
                    party=party,
                    issue=issue,
                    position=position,
                    low_label=labels.get((issue.pk, position.low), ""),
                    high_label=labels.get((issue.pk, position.high), ""),
                    source=position.source,
                    changed=position.before != (position.low, position.high),
                )
            )
        rows.append(row)
    return Matrix(on=on, recent_days=recent_days, parties=parties, issues=issues, rows=rows)


@dataclass(frozen=True)
class Evidence:
    party: Party
    issue: Issue
    on: date
    position: Position | None
    low_label: str
    high_label: str
    statements: list[Statement]  # of the position's day
    history: list[ShiftEntry]  # the pair's shifts up to `on`, newest first


def position_evidence(
    *, party: Party, issue: Issue, on: date, include_suggested: bool = False
) -> Evidence:
    """What a matrix cell stands on: the statements of the position as of a date, and the
    shifts that led to it."""
    found = positions_as_of(
        on=on, parties=[party], issues=[issue], include_suggested=include_suggested
    )
    position = found[0] if found else None
    statements = []
    if position is not None:
        statements = list(
            Statement.objects.filter(pk__in=position.statement_ids)
            .select_related("party", "speaker", "reported_by", "article", "article__source")
            .order_by("value", "id")
        )
    history = shift_feed(
        parties=[party], issues=[issue], until=on, include_suggested=include_suggested, limit=None
    )
    labels = stop_labels()
    return Evidence(
        party=party,
        issue=issue,
        on=on,
        position=position,
        low_label=labels.get((issue.pk, position.low), "") if position else "",
        high_label=labels.get((issue.pk, position.high), "") if position else "",
        statements=statements,
        history=history,
    )


@dataclass(slots=True)
class Point:
    day: date
    low: int
    high: int


@dataclass(frozen=True)
class Series:
    party: Party
    issue: Issue
    points: list[Point]  # the position held from each day on, in date order


def position_series(
    *,
    since: date,
    until: date,
    parties: QuerySet[Party] | Sequence[Party | int] | None = None,
    issues: QuerySet[Issue] | Sequence[Issue | int] | None = None,
    include_suggested: bool = False,
) -> list[Series]:
    """Each (party, issue)'s positions day by day over a period, starting with the position
    held when the period begins. Three queries; the cost follows the period's statements."""
    party_ids, issue_ids = _ids(parties), _ids(issues)
    start = {
        (p.party_id, p.issue_id): Point(day=since, low=p.low, high=p.high)
        for p in positions_as_of(
            on=since, parties=party_ids, issues=issue_ids, include_suggested=include_suggested
        )
    }
    days = Statement.objects.filter(
        review_state__in=_states(include_suggested), stated_on__gt=since, stated_on__lte=until
    )
    if party_ids is not None:
        days = days.filter(party_id__in=party_ids)
    if issue_ids is not None:
        days = days.filter(issue_id__in=issue_ids)
    points: dict[tuple[int, int], list[Point]] = {key: [point] for key, point in start.items()}
    for party_id, issue_id, day, low, high in (
        days.values_list("party_id", "issue_id", "stated_on")
        .annotate(low=Min("value"), high=Max("value"))
        .order_by("party_id", "issue_id", "stated_on")
    ):
        points.setdefault((party_id, issue_id), []).append(Point(day=day, low=low, high=high))
    parties_by_id = Party.objects.in_bulk({key[0] for key in points})
    issues_by_id = Issue.objects.in_bulk({key[1] for key in points})
    return sorted(
        (
            Series(party=parties_by_id[p], issue=issues_by_id[i], points=pts)
            for (p, i), pts in points.items()
        ),
        key=lambda s: (s.party.order, s.party.pk, s.issue.order, s.issue.pk),
    )


def statements_period(
    *,
    parties: Sequence[Party | int] | None = None,
    issues: Sequence[Issue | int] | None = None,
    include_suggested: bool = False,
) -> tuple[date, date] | None:
    """The first and last days with statements, to frame a chart by default."""
    statements = Statement.objects.filter(review_state__in=_states(include_suggested))
    if parties is not None:
        statements = statements.filter(party_id__in=_ids(parties))
    if issues is not None:
        statements = statements.filter(issue_id__in=_ids(issues))
    bounds = statements.aggregate(first=Min("stated_on"), last=Max("stated_on"))
    return (bounds["first"], bounds["last"]) if bounds["first"] else None


def statements_matching(
    *,
    parties: QuerySet[Party] | Sequence[Party | int] | None = None,
    issues: QuerySet[Issue] | Sequence[Issue | int] | None = None,
    since: date | None = None,
    until: date | None = None,
    include_suggested: bool = False,
) -> QuerySet[Statement]:
    """The statements the dashboard's filters select (confirmed, and suggested if asked)."""
    statements = Statement.objects.filter(review_state__in=_states(include_suggested))
    if parties:
        statements = statements.filter(party_id__in=_ids(parties))
    if issues:
        statements = statements.filter(issue_id__in=_ids(issues))
    if since is not None:
        statements = statements.filter(stated_on__gte=since)
    if until is not None:
        statements = statements.filter(stated_on__lte=until)
    return statements


def shifts_matching(
    *,
    parties: QuerySet[Party] | Sequence[Party | int] | None = None,
    issues: QuerySet[Issue] | Sequence[Issue | int] | None = None,
    since: date | None = None,
    until: date | None = None,
    kinds: Sequence[str] | None = None,
) -> QuerySet[Shift]:
    """The stored (confirmed) shifts the dashboard's filters select, with what labels need."""
    shifts = Shift.objects.select_related(
        "party", "issue", "issue__low_pole_party", "issue__high_pole_party"
    )
    if parties:
        shifts = shifts.filter(party_id__in=_ids(parties))
    if issues:
        shifts = shifts.filter(issue_id__in=_ids(issues))
    if since is not None:
        shifts = shifts.filter(to_on__gte=since)
    if until is not None:
        shifts = shifts.filter(to_on__lte=until)
    if kinds:
        shifts = shifts.filter(kind__in=kinds)
    return shifts


@dataclass
class ShiftEntry:
    shift: Shift
    label: str
    statements: list[Statement]  # the evidence of the new position
    footnotes: list[int] = field(default_factory=list)  # when cited in a summary


def shift_feed(
    *,
    parties: QuerySet[Party] | Sequence[Party | int] | None = None,
    issues: QuerySet[Issue] | Sequence[Issue | int] | None = None,
    since: date | None = None,
    until: date | None = None,
    kinds: Sequence[str] | None = None,
    include_suggested: bool = False,
    limit: int | None = 50,
    offset: int = 0,
) -> list[ShiftEntry]:
    """Shifts, newest first, with their party, issue, codebook label and evidence.

    Confirmed shifts are read from their stored rows (an index scan whatever the size of the
    record); with suggestions they are computed on the fly for the parties and issues asked.
    """
    if include_suggested:
        # Only the chosen parties and issues: the period must not cut the comparison with the
        # position held before it, so the statements are not narrowed by date.
        found = compute_shifts(
            statements=statements_matching(parties=parties, issues=issues, include_suggested=True),
            since=since,
            until=until,
            kinds=kinds,
            newest_first=True,
            limit=limit,
            offset=offset,
        )
        parties_by_id = Party.objects.in_bulk({s.party_id for s in found})
        issues_by_id = Issue.objects.select_related("low_pole_party", "high_pole_party").in_bulk(
            {s.issue_id for s in found}
        )
        for s in found:
            s.party, s.issue = parties_by_id[s.party_id], issues_by_id[s.issue_id]
    else:
        rows = shifts_matching(
            parties=parties, issues=issues, since=since, until=until, kinds=kinds
        ).order_by("-to_on", "party_id", "issue_id")
        found = list(rows[offset : offset + limit] if limit is not None else rows[offset:])
    evidence = Statement.objects.select_related(
        "party", "speaker", "reported_by", "article", "article__source"
    ).in_bulk([pk for s in found for pk in s.statement_ids])
    return [
        ShiftEntry(
            shift=s,
            label=shift_label(shift=s),
            statements=[evidence[pk] for pk in s.statement_ids if pk in evidence],
        )
        for s in found
    ]


@dataclass
class SummaryEntry:
    party: Party
    issue: Issue
    position: Position
    low_label: str
    high_label: str
    last_shift: ShiftEntry | None
    quotes: list[Statement]
    footnotes: list[int]  # the quotes' footnote numbers


@dataclass
class PositionSummary:
    on: date
    changed_since: date | None
    parties: list[Party]
    issues: list[Issue]
    entries: dict[int, list[SummaryEntry]]  # by party id, in issue order
    changes: list[ShiftEntry]  # between changed_since and on, oldest first
    footnotes: list[Statement]  # numbered from 1, in order of first citation


def position_summary(
    *,
    on: date,
    parties: Sequence[Party] | QuerySet[Party] | None = None,
    issues: Sequence[Issue] | QuerySet[Issue] | None = None,
    changed_since: date | None = None,
) -> PositionSummary:
    """As of a date: each party's stance per issue, its last shift and the key quotes, and what
    changed since an earlier date. Confirmed statements only: a summary is for citing."""
    chosen_parties = list(parties) if parties else list(Party.objects.all())
    chosen_issues = (
        list(issues)
        if issues
        else list(Issue.objects.select_related("low_pole_party", "high_pole_party"))
    )
    labels = stop_labels()
    positions = positions_as_of(on=on, parties=chosen_parties, issues=chosen_issues)
    quotes = Statement.objects.select_related(
        "party", "speaker", "reported_by", "article", "article__source"
    ).in_bulk([pk for p in positions for pk in p.statement_ids])
    last_shifts = {
        (entry.shift.party_id, entry.shift.issue_id): entry
        for entry in _last_shifts(on=on, parties=chosen_parties, issues=chosen_issues)
    }
    changes = []
    if changed_since is not None:
        changes = list(
            reversed(
                shift_feed(
                    parties=chosen_parties,
                    issues=chosen_issues,
                    since=changed_since,
                    until=on,
                    limit=None,
                )
            )
        )
    footnotes: list[Statement] = []
    numbers: dict[int, int] = {}

    def cite(statement: Statement) -> int:
        if statement.pk not in numbers:
            footnotes.append(statement)
            numbers[statement.pk] = len(footnotes)
        return numbers[statement.pk]

    parties_by_id = {p.pk: p for p in chosen_parties}
    issues_by_id = {i.pk: i for i in chosen_issues}
    entries: dict[int, list[SummaryEntry]] = {p.pk: [] for p in chosen_parties}
    for position in positions:
        cited = [quotes[pk] for pk in position.statement_ids if pk in quotes]
        entries[position.party_id].append(
            SummaryEntry(
                party=parties_by_id[position.party_id],
                issue=issues_by_id[position.issue_id],
                position=position,
                low_label=labels.get((position.issue_id, position.low), ""),
                high_label=labels.get((position.issue_id, position.high), ""),
                last_shift=last_shifts.get((position.party_id, position.issue_id)),
                quotes=cited,
                footnotes=[cite(s) for s in cited],
            )
        )
    for change in changes:
        change.footnotes = [cite(s) for s in change.statements]
    return PositionSummary(
        on=on,
        changed_since=changed_since,
        parties=chosen_parties,
        issues=chosen_issues,
        entries=entries,
        changes=changes,
        footnotes=footnotes,
    )


def _last_shifts(
    *, on: date, parties: Sequence[Party], issues: Sequence[Issue]
) -> list[ShiftEntry]:
    """The latest stored shift of each (party, issue) up to a date."""
    latest = (
        Shift.objects.filter(party__in=parties, issue__in=issues, to_on__lte=on)
        .order_by("party_id", "issue_id", "-to_on")
        .distinct("party_id", "issue_id")
        .select_related("party", "issue", "issue__low_pole_party", "issue__high_pole_party")
    )
    return [ShiftEntry(shift=s, label=shift_label(shift=s), statements=[]) for s in latest]


@dataclass
class ArticleReading:
    article: Article
    statements: list[Statement]  # every state: suggested and confirmed are marked in the text


def article_reading(*, article_id: int) -> ArticleReading:
    """An article with its statements, in the order of their passages."""
    article = get_object_or_404(Article.objects.select_related("source"), pk=article_id)
    statements = list(
        article.statements.select_related("party", "issue", "speaker", "reported_by").order_by(
            "quote_start", "id"
        )
    )
    return ArticleReading(article=article, statements=statements)


@dataclass
class Change:
    when: object
    who: object
    created: bool
    fields: list[tuple[str, object, object]]  # field, before, after (empty for the first record)


def statement_history(*, statement: Statement) -> list[Change]:
    """Every recorded change of a statement, oldest first: who, when, before and after."""
    names = {
        "party": dict(Party.objects.values_list("pk", "name")),
        "reported_by": dict(Party.objects.values_list("pk", "name")),
        "issue": dict(Issue.objects.values_list("pk", "name")),
        "speaker": dict(Actor.objects.values_list("pk", "name")),
    }
    records = list(statement.history.select_related("history_user").order_by("history_id"))
    changes = []
    for previous, record in zip([None, *records], records, strict=False):
        fields = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=["version", "reviewed_at"])
            for change in delta.changes:
                lookup = names.get(change.field, {})
                fields.append(
                    (
                        change.field,
                        lookup.get(change.old, change.old),
                        lookup.get(change.new, change.new),
                    )
                )
        changes.append(
            Change(
                when=record.history_date,
                who=record.history_user,
                created=record.history_type == "+",
                fields=fields,
            )
        )
    return changes


INBOX_PAGE = 25


@dataclass
class InboxPage:
    tab: str
    counts: dict[str, int]
    articles: list[Article]
    page: int
    has_next: bool


def _search(articles: QuerySet[Article], query: str) -> QuerySet[Article]:
    """Full text over titles and text, stemmed in English and in French (either may match)."""
    vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("text", weight="B", config="english")
        + SearchVector("title", weight="A", config="french")
        + SearchVector("text", weight="B", config="french")
    )
    search = SearchQuery(query, config="english", search_type="websearch") | SearchQuery(
        query, config="french", search_type="websearch"
    )
    return articles.annotate(rank=SearchRank(vector, search)).filter(rank__gt=0)


def inbox(
    *,
    tab: str = "new",
    query: str = "",
    source: object | None = None,
    language: str = "",
    since: date | None = None,
    until: date | None = None,
    party: Party | None = None,
    issue: Issue | None = None,
    has_suggestions: bool = False,
    page: int = 1,
) -> InboxPage:
    """The editors' inbox: articles by editorial state, with counts per state, filtered and
    searched; a page of them with their statement counts."""
    articles = Article.objects.all()
    if query:
        articles = _search(articles, query)
    if source is not None:
        articles = articles.filter(source=source)
    if language:
        articles = articles.filter(language=language)
    if since is not None:
        articles = articles.filter(published_on__gte=since)
    if until is not None:
        articles = articles.filter(published_on__lte=until)
    statements = Statement.objects.filter(article=OuterRef("pk")).exclude(
        review_state=ReviewState.REJECTED
    )
    if party is not None:
        statements = statements.filter(party=party)
    if issue is not None:
        statements = statements.filter(issue=issue)
    if party is not None or issue is not None:
        articles = articles.filter(Exists(statements))
    if has_suggestions:
        articles = articles.filter(Exists(statements.filter(review_state=ReviewState.SUGGESTED)))
    ready = Q(status="extracted")
    tabs = {
        "new": ready & (Q(tagging__isnull=True) | Q(tagging__state="new")),
        "in_progress": ready & Q(tagging__state="in_progress"),
        "tagged": ready & Q(tagging__state="tagged"),
        "processing": Q(status__in=["queued", "fetched"]),
        "failed": Q(status="failed"),
        "duplicate": Q(status="duplicate"),
    }
    counts = articles.aggregate(**{name: Count("pk", filter=cond) for name, cond in tabs.items()})
    chosen = articles.filter(tabs.get(tab, tabs["new"])).select_related("source", "tagging")
    chosen = chosen.annotate(
        suggestions=Count("statements", filter=Q(statements__review_state="suggested")),
        confirmed=Count("statements", filter=Q(statements__review_state="confirmed")),
    )
    order = ["-rank"] if query else []
    chosen = chosen.order_by(*order, "-published_on", "-id")
    offset = (page - 1) * INBOX_PAGE
    found = list(chosen[offset : offset + INBOX_PAGE + 1])
    return InboxPage(
        tab=tab if tab in tabs else "new",
        counts=counts,
        articles=found[:INBOX_PAGE],
        page=page,
        has_next=len(found) > INBOX_PAGE,
    )


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
