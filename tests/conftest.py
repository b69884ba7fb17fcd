from __future__ import annotations

import hashlib
import importlib
import itertools
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from articles.models import Article, ArticleStatus
from negotiations.models import Cue, Issue, Party, ReviewState, Statement
from negotiations.services import create_statement, quote_offsets

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED_ARTICLE = SHARED / "samples" / "seed-article-fr.txt"


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Tests serve static files from the finders rather than from a collectstatic run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    # Hashing passwords at full strength would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def ensure_default_data() -> None:
    """The codebook and the roles, as the migrations install them.

    Transactional tests (live server, real Celery worker) end with a flush that empties every
    table; the next test that needs the default data gets it back from the same installers.
    """
    if (
        Party.objects.exists()
        and Group.objects.filter(name="editors").exists()
        and Cue.objects.exists()
    ):
        return
    from django.apps import apps

    for migration in ("0003_default_codebook", "0004_roles", "0009_default_lexicon"):
        importlib.import_module(f"negotiations.migrations.{migration}").install(apps, None)


@pytest.fixture(autouse=True)
def _default_data_after_flushes(request: pytest.FixtureRequest) -> None:
    """Tests on a transactional database start with the default data, whatever ran before."""
    marker = request.node.get_closest_marker("django_db")
    if (marker and marker.kwargs.get("transaction")) or "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
        ensure_default_data()


def _user(username: str, group: str | None) -> User:
    ensure_default_data()
    user = User.objects.create_user(username=username, password="pw-for-tests-1")
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def analyst(db) -> User:
    return _user("ana", "analysts")


@pytest.fixture
def editor(db) -> User:
    return _user("ed", "editors")


@pytest.fixture
def admin_user(db) -> User:
    user = _user("adm", "admins")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def parties(db) -> dict[str, Party]:
    ensure_default_data()
    return {p.slug: p for p in Party.objects.all()}


@pytest.fixture
def issues(db) -> dict[str, Issue]:
    ensure_default_data()
    return {i.slug: i for i in Issue.objects.all()}


def make_article(text: str, *, published_on: date | None = date(2025, 8, 1), **fields) -> Article:
    fields.setdefault("title", text[:60])
    fields.setdefault("status", ArticleStatus.EXTRACTED)
    return Article.objects.create(
        text=text,
        published_on=published_on,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        **fields,
    )


_dispatch_numbers = itertools.count(1)


def make_statement(
    party: Party,
    issue: Issue,
    value: int,
    stated_on: date,
    *,
    quote: str | None = None,
    article: Article | None = None,
    review_state: str = ReviewState.CONFIRMED,
    **fields,
) -> Statement:
    """A statement with its own small article unless one is given."""
    quote = quote or f"{party.name} holds {value:+d} on {issue.name} as of {stated_on}."
    # Each its own article: identical texts would be one article to the deduplication.
    article = article or make_article(
        f"Dispatch {next(_dispatch_numbers)}. {quote} End.", published_on=stated_on
    )
    start, end = quote_offsets(text=article.text, quote=quote)
    return create_statement(
        article=article,
        party=party,
        issue=issue,
        value=value,
        quote_start=start,
        quote_end=end,
        stated_on=stated_on,
        review_state=review_state,
        **fields,
    )


from tests.browser import browser, page  # noqa: E402, F401  (fixtures)

# Ingestion: a loopback HTTP server and a real Celery worker, both started once per session.


@pytest.fixture(scope="session")
def _loopback_server():
    from tests.ingest_support import LoopbackServer

    server = LoopbackServer()
    yield server
    server.shutdown()


@pytest.fixture
def web(_loopback_server):
    """The loopback server with no routes; tests add theirs to web.routes."""
    _loopback_server.reset()
    yield _loopback_server
    _loopback_server.reset()


@pytest.fixture(scope="session")
def pipeline_worker(django_db_setup, django_db_blocker):
    from config.celery import app
    from tests.ingest_support import Worker

    app.control.purge()
    worker = Worker()
    worker.start()
    yield worker
    worker.stop()
    app.control.purge()


@pytest.fixture
def loopback_allowed(settings):
    settings.INGEST_ALLOW_LOOPBACK = True
    return settings
