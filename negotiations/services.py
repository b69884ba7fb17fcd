"""Writes to the record of statements. Every write goes through here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from articles.models import Article
from negotiations.models import (
    Actor,
    ArticleClaim,
    ArticleTagging,
    Attribution,
    Credibility,
    Issue,
    Party,
    ReviewState,
    Statement,
    TaggingState,
)
from negotiations.selectors import SHIFT_COLUMNS, shifts_sql, suggestion_lexicon
from negotiations.suggestions import Lexicon, extract_suggestions


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


class EditConflict(Exception):
    """The statement changed since the editor loaded it; nothing was saved."""

    def __init__(self, current: Statement) -> None:
        super().__init__(f"Statement {current.pk} is at version {current.version} now.")
        self.current = current


def review_statement(
    *, statement: Statement, state: str, user, version: int | None = None
) -> Statement:
    """Confirm or reject a statement, recording who did it and when.

    With `version` (the one the editor loaded), raises EditConflict if it moved meanwhile.
    """
    if state not in (ReviewState.CONFIRMED, ReviewState.REJECTED):
        raise ValidationError(f"A review confirms or rejects, not {state!r}.")
    with transaction.atomic():
        current = Statement.objects.select_for_update().get(pk=statement.pk)
        if version is not None and current.version != version:
            raise EditConflict(current)
        was_confirmed = current.review_state == ReviewState.CONFIRMED
        current.review_state = state
        current.reviewed_by = user
        current.reviewed_at = timezone.now()
        current.version += 1
        current._history_user = user
        current.save(
            update_fields=["review_state", "reviewed_by", "reviewed_at", "version", "updated_at"]
        )
        if was_confirmed or state == ReviewState.CONFIRMED:
            refresh_shifts(pairs=[(current.party_id, current.issue_id)])
    return current


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


EDITABLE = (
    "party",
    "issue",
    "value",
    "stated_on",
    "speaker",
    "attribution",
    "reported_by",
    "credibility",
    "quote_start",
    "quote_end",
)


def edit_statement(
    *, statement_id: int, version: int, user, confirm: bool = True, **changes
) -> Statement:
    """Apply an editor's changes to a statement loaded at `version`.

    Raises EditConflict if someone else changed it meanwhile. Editing a suggestion confirms it
    (the editor vouches for the corrected statement); every change is kept in its history.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"Not editable: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        statement = (
            Statement.objects.select_for_update().select_related("article").get(pk=statement_id)
        )
        if statement.version != version:
            raise EditConflict(statement)
        before = (statement.party_id, statement.issue_id, statement.review_state)
        for name, value in changes.items():
            setattr(statement, name, value)
        if statement.attribution == Attribution.OWN:
            statement.reported_by = None
        elif statement.reported_by is None:
            raise ValidationError("A reported statement needs the party that reported it.")
        text = statement.article.text
        if not 0 <= statement.quote_start < statement.quote_end <= len(text):
            raise ValidationError("The passage falls outside the article's text.")
        statement.quote = text[statement.quote_start : statement.quote_end]
        if confirm:
            statement.review_state = ReviewState.CONFIRMED
            statement.reviewed_by = user
            statement.reviewed_at = timezone.now()
        statement.version += 1
        statement._history_user = user
        statement.save()
        refresh_shifts(
            pairs=[
                (before[0], before[1]),
                (statement.party_id, statement.issue_id),
            ]
        )
    return statement


def claim_article(*, article: Article, user) -> list:
    """Note that an editor has the article open, and move it to "in progress" if it was new.
    Returns the other editors seen on it in the last 15 minutes."""
    now = timezone.now()
    ArticleClaim.objects.update_or_create(article=article, user=user, defaults={"seen_at": now})
    tagging, created = ArticleTagging.objects.get_or_create(
        article=article, defaults={"state": TaggingState.IN_PROGRESS, "updated_by": user}
    )
    if not created and tagging.state == TaggingState.NEW:
        ArticleTagging.objects.filter(article=article, state=TaggingState.NEW).update(
            state=TaggingState.IN_PROGRESS, updated_by=user, updated_at=now
        )
    return [
        claim.user
        for claim in ArticleClaim.objects.filter(
            article=article, seen_at__gte=now - timedelta(minutes=15)
        )
        .exclude(user=user)
        .select_related("user")
    ]


def mark_article_tagged(*, article: Article, user) -> None:
    ArticleTagging.objects.update_or_create(
        article=article, defaults={"state": TaggingState.TAGGED, "updated_by": user}
    )


def reconcile_quotes(*, article_id: int) -> tuple[int, int]:
    """After the outlet edited an article: move each quote to where it now stands in the new
    text, or flag it as missing. Returns (moved, missing)."""
    article = Article.objects.get(pk=article_id)
    moved = missing = 0
    with transaction.atomic():
        for statement in Statement.objects.select_for_update().filter(article=article):
            text = article.text
            if text[statement.quote_start : statement.quote_end] == statement.quote:
                if statement.quote_missing:
                    statement.quote_missing = False
                    statement.save(update_fields=["quote_missing", "updated_at"])
                continue
            try:
                start, end = quote_offsets(
                    text=text, quote=statement.quote, near=statement.quote_start
                )
            except ValidationError:
                if not statement.quote_missing:
                    statement.quote_missing = True
                    statement.save(update_fields=["quote_missing", "updated_at"])
                missing += 1
                continue
            statement.quote_start, statement.quote_end = start, end
            statement.quote_missing = False
            statement.version += 1
            statement.save(
                update_fields=["quote_start", "quote_end", "quote_missing", "version", "updated_at"]
            )
            moved += 1
    return moved, missing


def suggest_statements(*, article: Article, lexicon: Lexicon | None = None) -> list[Statement]:
    """Store the extractor's suggestions for an article, replacing its own older ones.

    Confirmed and rejected statements are never touched, and a suggestion that an editor already
    confirmed or rejected is not proposed again. The article's row is locked for the replacement,
    so two runs for one article (a retried task, a new revision) follow each other; the unique
    constraint statement_suggestion_unique backs this up.
    """
    lexicon = lexicon or suggestion_lexicon()
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        # An undated article still yields suggestions: a stance was stated no later than the day
        # we stored the text. The editor corrects the date when confirming.
        stated_on = article.published_on or timezone.localdate(article.created_at)
        found = extract_suggestions(
            text=article.text,
            lexicon=lexicon,
            lang=article.language or None,
            published=article.published_on,
        )
        machine = Statement.objects.filter(
            article=article,
            review_state=ReviewState.SUGGESTED,
            created_by__isnull=True,
        ).exclude(extractor_version="")
        machine.delete()
        reviewed = set(
            Statement.objects.filter(article=article)
            .exclude(review_state=ReviewState.SUGGESTED)
            .values_list("party__slug", "issue__slug", "value")
        )
        if not found:
            return []
        parties = {p.slug: p for p in Party.objects.all()}
        issues = {i.slug: i for i in Issue.objects.all()}
        actors = Actor.objects.in_bulk({s.speaker for s in found if s.speaker}, field_name="slug")
        statements = [
            Statement(
                article=article,
                party=parties[s.party],
                issue=issues[s.issue],
                value=s.value,
                stated_on=s.stated_on or stated_on,
                quote=s.quote,
                quote_start=s.start,
                quote_end=s.end,
                speaker=actors.get(s.speaker),
                attribution=s.attribution,
                reported_by=parties[s.reported_by] if s.reported_by else None,
                review_state=ReviewState.SUGGESTED,
                confidence=s.confidence,
                extractor_version=lexicon.version,
                reason=s.reason,
            )
            for s in found
            if (s.party, s.issue, s.value) not in reviewed
            and s.party in parties
            and s.issue in issues
        ]
        return Statement.objects.bulk_create(statements)
