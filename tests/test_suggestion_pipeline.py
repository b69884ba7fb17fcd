"""The suggester behind a real Celery worker: ingestion's signal, the commit, the queue."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from articles.models import Article
from articles.signals import article_ready
from negotiations.models import ReviewState, Statement
from tests.conftest import make_article


@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_suggests_through_a_worker_once_the_article_is_committed(pipeline_worker):
    # The session's worker (tests/ingest_support.Worker) runs the suggestion task; it only
    # stops proposing by itself on ingestion, the signal here comes from this process.
    with transaction.atomic():
        article = make_article(
            "Vladimir Putin demanded that Ukraine withdraw from all of the Donbas.", language="en"
        )
        article_ready.send(sender=Article, article_id=article.pk)

    found = []
    deadline = time.monotonic() + 60
    while not found and time.monotonic() < deadline:
        time.sleep(0.5)
        found = list(
            Statement.objects.filter(
                article=article, review_state=ReviewState.SUGGESTED
            ).values_list("party__slug", "issue__slug", "value")
        )
    assert found == [("russia", "donbas", -2)]
