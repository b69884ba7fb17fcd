"""The suggester behind a real Celery worker: ingestion's signal, the commit, the queue."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection, transaction

from articles.models import Article
from articles.signals import article_ready
from negotiations.models import ReviewState, Statement
from tests.conftest import make_article

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def worker():
    """A worker on the test database and this run's Redis, stopped (by its pid) afterwards."""
    # The run's DATABASE_URL (a TCP server or the embedded one's socket), on the test database.
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "WARNING"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": urlunsplit(url), "CELERY_TASK_ALWAYS_EAGER": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.pipeline
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_suggests_through_a_worker_once_the_article_is_committed(worker):
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
