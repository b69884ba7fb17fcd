"""Celery tasks: thin, idempotent wrappers over articles.services.

Each task takes ids and may run twice (re-delivery after a lost worker or the broker's visibility
timeout): the claims in services, backed by PostgreSQL, make the second run a no-op.
"""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from articles import services

DATABASE_ERRORS = services.DATABASE_ERRORS


@shared_task(
    bind=True,
    # Attempts are bounded in PostgreSQL (INGEST_MAX_ATTEMPTS), which also sees killed workers.
    max_retries=None,
    autoretry_for=DATABASE_ERRORS,
    retry_backoff=True,
    retry_backoff_max=300,
)
def ingest_article(self, article_id: int, refresh: bool = False) -> str:
    try:
        return services.process_article(article_id=article_id, refresh=refresh)
    except services.RetryLater as exc:
        raise self.retry(countdown=exc.countdown) from exc
    except SoftTimeLimitExceeded as exc:
        services.release_after_timeout(article_id=article_id, reason="the task ran out of time")
        raise self.retry(countdown=settings.INGEST_RETRY_BACKOFF_SECONDS) from exc


@shared_task(bind=True, max_retries=None, autoretry_for=DATABASE_ERRORS, retry_backoff=True)
def ingest_batch(self, article_ids: list[int]) -> int:
    """Many articles per message (feeds, imports): one claim and one store for the batch.

    A re-delivered batch skips the stored articles and runs the others one by one.
    """
    try:
        retries = services.process_batch(article_ids=article_ids)
    except SoftTimeLimitExceeded:
        # The batch released its claims; what it did not finish goes on as single tasks, each
        # with its own time limit (one another worker holds just waits for that claim).
        pending = services.still_pending(article_ids=article_ids)
        retries = [(article_id, settings.INGEST_RETRY_BACKOFF_SECONDS) for article_id in pending]
    for article_id, countdown in retries:
        ingest_article.apply_async((article_id,), countdown=countdown)
    return len(article_ids) - len(retries)


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=True, max_retries=5)
def poll_feed(source_id: int) -> int:
    return len(services.poll_feed(source_id=source_id))


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=True, max_retries=3)
def poll_due_feeds() -> int:
    """Beat's one-minute trigger; a second beat only adds polls that find nothing to claim."""
    ids = services.due_feed_ids()
    for source_id in ids:
        poll_feed.delay(source_id)
    return len(ids)


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=True, max_retries=3)
def requeue_stalled() -> int:
    return services.requeue_stalled()
