"""Background work of negotiations/: stance suggestions for ingested articles."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from articles.models import Article
from negotiations.services import suggest_statements

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def suggest_article_statements(article_id: int) -> int:
    """Propose the article's stance statements; safe to run again (it replaces its own)."""
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        logger.info("Article %s is gone: nothing to suggest.", article_id)
        return 0
    return len(suggest_statements(article=article))
