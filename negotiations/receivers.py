"""What negotiations/ does when articles/ announces something (connected in apps.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from articles.signals import article_ready, article_revised
from negotiations.services import reconcile_quotes


def enqueue_suggestions(sender, *, article_id: int, **kwargs) -> None:
    """Queue the suggester once the article's text is committed, never before."""
    from negotiations.tasks import suggest_article_statements

    if not settings.SUGGEST_ON_INGEST:
        return
    transaction.on_commit(lambda: suggest_article_statements.delay(article_id))


def on_article_revised(sender, *, article_id: int, **kwargs) -> None:
    reconcile_quotes(article_id=article_id)


def connect() -> None:
    article_ready.connect(enqueue_suggestions, dispatch_uid="negotiations.enqueue_suggestions")
    article_revised.connect(on_article_revised, dispatch_uid="negotiations.reconcile_quotes")
