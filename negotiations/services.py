"""Writes to the record of statements. Every write goes through here."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
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
from negotiations.selectors import suggestion_lexicon
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
    statement.full_clean(validate_constraints=False)
    with transaction.atomic():
        statement.save()
    return statement


def review_statement(*, statement: Statement, state: str, user) -> Statement:
    """Confirm or reject a statement, recording who did it and when."""
    if state not in (ReviewState.CONFIRMED, ReviewState.REJECTED):
        raise ValidationError(f"A review confirms or rejects, not {state!r}.")
    statement.review_state = state
    statement.reviewed_by = user
    statement.reviewed_at = timezone.now()
    statement.save(update_fields=["review_state", "reviewed_by", "reviewed_at", "updated_at"])
    return statement


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
        stated_on = article.published_on
        found = extract_suggestions(
            text=article.text,
            lexicon=lexicon,
            lang=article.language or None,
            published=stated_on,
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
        if stated_on is None or not found:
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
