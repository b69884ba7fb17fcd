"""Writes to the record of statements. Every write goes through here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from articles.models import Article
from negotiations.models import (
    Actor,
    Attribution,
    Credibility,
    Issue,
    Party,
    ReviewState,
    Statement,
)
from negotiations.selectors import SHIFT_COLUMNS, shifts_sql


def quote_offsets(*, text: str, quote: str, near: int = 0) -> tuple[int, int]:
    """The offsets of a quote in a text: its occurrence closest to `near`."""
    if not quote:
        raise ValidationError("The quote is empty.")
    starts = []
    start = text.find(quote)
    while start != -1:
        starts.append(start)
        start = text.find(quote, start + 1)
    if not starts:
        raise ValidationError("The quote is not in the article's text.")
    start = min(starts, key=lambda s: abs(s - near))
    return start, start + len(quote)


def create_statement(
    *,
    article: Article,
    party: Party,
    issue: Issue,
    value: int,
    quote_start: int,
    quote_end: int,
    stated_on: date | None = None,
    speaker: Actor | None = None,
    attribution: str = Attribution.OWN,
    reported_by: Party | None = None,
    credibility: int = Credibility.CANNOT_BE_JUDGED,
    review_state: str = ReviewState.SUGGESTED,
    created_by=None,
    confidence: float | None = None,
    extractor_version: str = "",
    reason: str = "",
) -> Statement:
    """Record a statement whose quote is the article's text between the offsets.

    The quote is cut from the article, never typed, so that the evidence always matches it.
    """
    if not 0 <= quote_start < quote_end <= len(article.text):
        raise ValidationError(
            f"Quote offsets {quote_start}-{quote_end} fall outside the article's text "
            f"({len(article.text)} characters)."
        )
    stated_on = stated_on or article.published_on
    if stated_on is None:
        raise ValidationError("The statement needs a date: the article has none.")
    if attribution == Attribution.OWN:
        reported_by = None
    elif reported_by is None:
        raise ValidationError("A reported statement needs the party that reported it.")
    statement = Statement(
        article=article,
        party=party,
        issue=issue,
        value=value,
        stated_on=stated_on,
        quote=article.text[quote_start:quote_end],
        quote_start=quote_start,
        quote_end=quote_end,
        speaker=speaker,
        attribution=attribution,
        reported_by=reported_by,
        credibility=credibility,
        review_state=review_state,
        created_by=created_by,
        confidence=confidence,
        extractor_version=extractor_version,
        reason=reason,
    )
    if review_state != ReviewState.SUGGESTED and created_by is not None:
        statement.reviewed_by = created_by
        statement.reviewed_at = timezone.now()
    with transaction.atomic():
        statement.save()
        if statement.review_state == ReviewState.CONFIRMED:
            refresh_shifts(pairs=[(statement.party_id, statement.issue_id)])
    return statement


def review_statement(*, statement: Statement, state: str, user) -> Statement:
    """Confirm or reject a statement, recording who did it and when."""
    if state not in (ReviewState.CONFIRMED, ReviewState.REJECTED):
        raise ValidationError(f"A review confirms or rejects, not {state!r}.")
    was_confirmed = statement.review_state == ReviewState.CONFIRMED
    statement.review_state = state
    statement.reviewed_by = user
    statement.reviewed_at = timezone.now()
    with transaction.atomic():
        statement.save(update_fields=["review_state", "reviewed_by", "reviewed_at", "updated_at"])
        if was_confirmed or state == ReviewState.CONFIRMED:
            refresh_shifts(pairs=[(statement.party_id, statement.issue_id)])
    return statement


def refresh_shifts(*, pairs: Iterable[tuple[int, int]]) -> None:
    """Store anew the shifts of each (party_id, issue_id) from its confirmed statements.

    Call it in the transaction that changed a confirmed statement of the pair.
    """
    columns = ", ".join(SHIFT_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        for party_id, issue_id in sorted(set(pairs)):
            # Two editors confirming statements of one pair at once would both delete and then
            # insert the same days; the lock makes the second wait for the first.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [party_id, issue_id])
            cursor.execute(
                "DELETE FROM negotiations_shift WHERE party_id = %s AND issue_id = %s",
                [party_id, issue_id],
            )
            sql, params = shifts_sql(
                Statement.objects.filter(
                    review_state=ReviewState.CONFIRMED, party_id=party_id, issue_id=issue_id
                )
            )
            cursor.execute(
                f"INSERT INTO negotiations_shift ({columns}) SELECT {columns} FROM ({sql}) s",
                params,
            )


def rebuild_shifts() -> int:
    """Store anew every shift from all confirmed statements (after bulk loads): their count."""
    columns = ", ".join(SHIFT_COLUMNS)
    sql, params = shifts_sql(Statement.objects.filter(review_state=ReviewState.CONFIRMED))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE negotiations_shift IN EXCLUSIVE MODE")
        cursor.execute("DELETE FROM negotiations_shift")
        cursor.execute(
            f"INSERT INTO negotiations_shift ({columns}) SELECT {columns} FROM ({sql}) s", params
        )
        return cursor.rowcount
