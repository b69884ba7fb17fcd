"""Ingestion writes: submissions, the pipeline's steps, feed polling. Tasks and views call these."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from articles import dedup, robots
from articles.extraction import (
    Extracted,
    ExtractionError,
    clean_text,
    detect_language,
    extract,
    parse_date,
    plain,
    sniff_content_type,
)
from articles.feeds import FeedError, parse_feed
from articles.fetching import FetchError, safe_fetch
from articles.models import (
    TERMINAL_STATUSES,
    Article,
    ArticleBand,
    ArticleEvent,
    ArticlePayload,
    ArticleRevision,
    ArticleStatus,
    DuplicateKind,
    Origin,
    Source,
    SourceKind,
)
from articles.signals import article_ready, article_revised

logger = logging.getLogger(__name__)
DATABASE_ERRORS = (OperationalError, InterfaceError)
# Not one article's fault: the task retries, or its time is up.
_NOT_THE_ARTICLES_FAULT = (*DATABASE_ERRORS, SoftTimeLimitExceeded)
ACCEPTED_TYPES = {"text/html", "application/xhtml+xml", "text/plain", "application/pdf"}
PENDING = (ArticleStatus.QUEUED, ArticleStatus.FETCHED)
URL_DUPLICATE_MIN_SIMILARITY = 0.5


class RetryLater(Exception):
    """A transient failure or a claim held elsewhere: run the task again after countdown."""

    def __init__(self, reason: str, *, countdown: float) -> None:
        super().__init__(reason)
        self.countdown = countdown


def _enqueue(article_id: int, refresh: bool = False) -> None:
    from articles.tasks import ingest_article

    ingest_article.delay(article_id, refresh)


def _on_commit_enqueue(article_id: int, *, refresh: bool = False) -> None:
    transaction.on_commit(partial(_enqueue, article_id, refresh))


def _event(
    article_id: int, status: str, message: str = "", *, attempt: int = 0, elapsed_ms=None
) -> None:
    ArticleEvent.objects.create(
        article_id=article_id,
        status=status,
        message=message[:2000],
        attempt=attempt,
        elapsed_ms=elapsed_ms,
    )


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise ValidationError("Enter an http(s) URL of at most 2000 characters.")
    return url


# Submissions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """A URL to queue, with what its feed or file already says about it."""

    url: str
    title: str = ""
    published_on: date | None = None
    summary: str = ""


def submit_url(
    *,
    url: str,
    user: AbstractBaseUser | None = None,
    source: Source | None = None,
    origin: str = Origin.URL,
    title: str = "",
    published_on: date | None = None,
    summary: str = "",
    enqueue: bool = True,
) -> tuple[Article, bool]:
    """Queue url unless an article with the same canonical URL exists; return it and created.

    With enqueue=False the caller sends the new article to the pipeline itself (in a batch).
    """
    submission = Submission(
        url=_check_url(url), title=title, published_on=published_on, summary=summary
    )
    with transaction.atomic():
        # The partial unique index on canonical_url makes two simultaneous submissions one row.
        article, created = Article.objects.get_or_create(
            canonical_url=dedup.canonicalize_url(submission.url),
            defaults=_new_article_fields(submission, user=user, source=source, origin=origin),
        )
        if created:
            _queued_event(article, origin).save()
            if enqueue:
                _on_commit_enqueue(article.id)
    return article, created


BATCH_SIZE = 20
# A batch's pages are fetched this many at a time once a server is slow to answer (they often
# come from one site: a few, to stay polite).
FETCH_CONCURRENCY = 4
FETCH_WAIT_BEFORE_CONCURRENCY = 0.05  # seconds


def _on_commit_enqueue_batches(article_ids: list[int]) -> None:
    from articles.tasks import ingest_batch

    for start in range(0, len(article_ids), BATCH_SIZE):
        chunk = article_ids[start : start + BATCH_SIZE]
        transaction.on_commit(partial(ingest_batch.delay, chunk))


def _queue_new(
    submissions: list[Submission],
    *,
    user: AbstractBaseUser | None,
    source: Source | None,
    origin: str,
) -> list[int]:
    """Store the submissions whose canonical URL is new, in a few round trips; their ids.

    Runs inside the caller's transaction; the caller enqueues the ids on commit.
    """
    by_canonical: dict[str, Submission] = {}
    for submission in submissions:
        by_canonical.setdefault(dedup.canonicalize_url(submission.url), submission)
    known = set(
        Article.objects.filter(canonical_url__in=by_canonical).values_list(
            "canonical_url", flat=True
        )
    )
    new = [
        Article(
            canonical_url=canonical,
            **_new_article_fields(submission, user=user, source=source, origin=origin),
        )
        for canonical, submission in by_canonical.items()
        if canonical not in known
    ]
    if not new:
        return []
    try:
        with transaction.atomic():
            Article.objects.bulk_create(new)
    except IntegrityError:
        # A simultaneous submission took one of the URLs since the look-up: one at a time,
        # where the unique index settles each.
        ids = []
        for submission in by_canonical.values():
            article, created = submit_url(
                url=submission.url,
                user=user,
                source=source,
                origin=origin,
                title=submission.title,
                published_on=submission.published_on,
                summary=submission.summary,
                enqueue=False,
            )
            if created:
                ids.append(article.id)
        return ids
    ArticleEvent.objects.bulk_create(_queued_event(article, origin) for article in new)
    return [article.id for article in new]


def _new_article_fields(
    submission: Submission,
    *,
    user: AbstractBaseUser | None,
    source: Source | None,
    origin: str,
) -> dict:
    return {
        "url": submission.url,
        "origin": origin,
        "source": source,
        "outlet": dedup.outlet_of(submission.url),
        "title": submission.title[:500],
        "published_on": submission.published_on,
        "summary": submission.summary,
        "submitted_by": user if user and user.is_authenticated else None,
    }


def _queued_event(article: Article, origin: str) -> ArticleEvent:
    return ArticleEvent(
        article_id=article.id,
        status=ArticleStatus.QUEUED,
        message=f"queued from {origin}: {article.url[:500]}",
    )


def submit_urls(
    *,
    urls: list[str],
    user: AbstractBaseUser | None = None,
    source: Source | None = None,
    origin: str = Origin.URL,
) -> list[int]:
    """Queue many URLs (feeds, imports, benchmarks) as a few batch tasks; return the new ids."""
    return submit_many(
        submissions=[Submission(url=_check_url(url)) for url in urls],
        user=user,
        source=source,
        origin=origin,
    )


def submit_many(
    *,
    submissions: list[Submission],
    user: AbstractBaseUser | None = None,
    source: Source | None = None,
    origin: str = Origin.URL,
) -> list[int]:
    """Queue checked submissions as batch tasks; return the ids of the new articles."""
    new_ids: list[int] = []
    # One transaction per batch: the workers start on the first batch while the rest is stored.
    for start in range(0, len(submissions), BATCH_SIZE):
        with transaction.atomic():
            batch = _queue_new(
                submissions[start : start + BATCH_SIZE], user=user, source=source, origin=origin
            )
            _on_commit_enqueue_batches(batch)
        new_ids += batch
    return new_ids


def submit_upload(
    *, data: bytes, filename: str, declared_type: str = "", user: AbstractBaseUser | None = None
) -> Article:
    if len(data) > settings.INGEST_MAX_UPLOAD_BYTES:
        raise ValidationError(f"The file is larger than {settings.INGEST_MAX_UPLOAD_BYTES} bytes.")
    if not data.strip():
        raise ValidationError("The file is empty.")
    content_type = sniff_content_type(data, declared=declared_type, filename=filename)
    if content_type is None:
        raise ValidationError("Only HTML, plain text and PDF files can be ingested.")
    with transaction.atomic():
        article = Article.objects.create(
            origin=Origin.UPLOAD,
            title=plain(Path(filename).stem, limit=500),
            submitted_by=user if user and user.is_authenticated else None,
        )
        ArticlePayload.objects.create(
            article=article, filename=filename[:300], content_type=content_type, data=data
        )
        _event(article.id, ArticleStatus.QUEUED, f"queued from upload {filename[:200]}")
        _on_commit_enqueue(article.id)
    return article


def submit_text(
    *,
    text: str,
    title: str,
    published_on: date | None = None,
    language: str = "",
    url: str = "",
    origin: str = Origin.PASTE,
    user: AbstractBaseUser | None = None,
) -> tuple[Article, bool]:
    text = clean_text(text or "")
    if not text:
        raise ValidationError("The text is empty.")
    if len(text.encode()) > settings.INGEST_MAX_UPLOAD_BYTES:
        raise ValidationError("The text is too long.")
    canonical = dedup.canonicalize_url(_check_url(url)) if url else ""
    fields = {
        "url": url,
        "origin": origin,
        "outlet": dedup.outlet_of(url) if url else "",
        "title": plain(title),
        "published_on": published_on,
        "language": (language or "")[:8],
        "submitted_by": user if user and user.is_authenticated else None,
    }
    with transaction.atomic():
        if canonical:
            article, created = Article.objects.get_or_create(
                canonical_url=canonical, defaults=fields
            )
        else:
            article, created = Article.objects.create(**fields), True
        if created:
            ArticlePayload.objects.create(
                article=article, content_type="text/plain", data=text.encode("utf-8")
            )
            _event(article.id, ArticleStatus.QUEUED, f"queued from {origin}")
            _on_commit_enqueue(article.id)
    return article, created


def retry_article(*, article_id: int, user: AbstractBaseUser | None = None) -> bool:
    """Send a failed article through the pipeline again, with a fresh count of attempts."""
    with transaction.atomic():
        updated = Article.objects.filter(id=article_id, status=ArticleStatus.FAILED).update(
            status=ArticleStatus.QUEUED, attempts=0, lease_until=None, updated_at=timezone.now()
        )
        if updated:
            who = getattr(user, "username", "") or "system"
            _event(article_id, ArticleStatus.QUEUED, f"retry requested by {who}")
            _on_commit_enqueue(article_id)
    return bool(updated)


def refetch_article(*, article_id: int, user: AbstractBaseUser | None = None) -> bool:
    """Fetch an extracted article again; an edited text becomes a new revision."""
    article = Article.objects.filter(
        id=article_id, status=ArticleStatus.EXTRACTED, origin__in=[Origin.URL, Origin.FEED]
    ).first()
    if article is None:
        return False
    who = getattr(user, "username", "") or "system"
    with transaction.atomic():
        _event(article_id, ArticleStatus.EXTRACTED, f"fetch again requested by {who}")
        _on_commit_enqueue(article_id, refresh=True)
    return True


def requeue_stalled() -> int:
    """Enqueue pending articles whose claim lapsed, or that no worker took up in time.

    PostgreSQL, not the broker, is the record: a worker killed between taking a message from
    Redis and registering it as unacknowledged loses that message for good.
    """
    now = timezone.now()
    waited = timedelta(seconds=settings.INGEST_REQUEUE_AFTER_SECONDS)
    stale = Article.objects.filter(status__in=PENDING).filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True, updated_at__lt=now - waited)
    )
    ids = list(stale.values_list("id", flat=True)[:1000])
    for article_id in ids:
        _enqueue(article_id)
    return len(ids)


# The pipeline ------------------------------------------------------------------------------

# Don't wait for the WAL flush on the pipeline's commits. Safe because every step is redone if
# lost: should PostgreSQL itself crash and drop the last commits, the article is still pending
# and requeue_stalled sends it through again. Sent with the transaction's first statement
# (psycopg binds parameters client-side, so one execute may carry several).
RELAXED_COMMIT_SQL = "SET LOCAL synchronous_commit TO OFF"


@dataclass
class _Content:
    data: bytes
    content_type: str
    charset: str
    final_url: str


@dataclass
class _Prepared:
    """An article fetched and extracted, with the keys deduplication compares; not yet stored."""

    article: Article
    extracted: Extracted
    fetched_at: datetime
    fetch_message: str
    fetch_ms: float
    extract_seconds: float
    text_hash: str
    page_canonical: str
    # Filled in by _identify_and_sign.
    language: str = ""
    sig: list[int] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.article.id


@dataclass
class _Decision:
    original_id: int | None = None
    kind: str = ""
    why: str = ""


def _last_result(sql: str, params: list) -> list[dict]:
    """Run several statements in one round trip; the rows of the last one, as dicts.

    psycopg binds parameters client-side here, so the statements travel as one simple query,
    which PostgreSQL runs as one transaction unless a transaction is already open.
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while cursor.nextset():
            pass
        if cursor.description is None:
            return []
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _instance(model, row: dict):
    # from_db wants the model's field order, which need not be the table's column order.
    names = [f.attname for f in model._meta.concrete_fields if f.attname in row]
    return model.from_db(connection.alias, names, [row[name] for name in names])


def _fail(article_id: int, reason: str, *, refresh: bool, attempt: int = 0) -> str:
    with transaction.atomic():
        if refresh:
            # The stored text stays the evidence; only this fetch failed.
            Article.objects.filter(id=article_id).update(lease_until=None, attempts=0)
            _event(article_id, ArticleStatus.EXTRACTED, f"fetch again failed: {reason}")
            return "unchanged"
        updated = Article.objects.filter(id=article_id, status__in=PENDING).update(
            status=ArticleStatus.FAILED,
            failure_reason=reason[:2000],
            lease_until=None,
            updated_at=timezone.now(),
        )
        if updated:
            _event(article_id, ArticleStatus.FAILED, reason, attempt=attempt)
    return "failed"


def _claim_sql(*, fresh_only: bool) -> str:
    # The attempt is counted (and committed) before any work, so a worker killed mid-task
    # still used one up: a task that always kills its worker is parked, not looped. One round
    # trip, its own transaction: the conditional UPDATE returns the claimed rows (the claim is
    # the read), and the commit does not wait for the disk.
    # The statuses are given as those the article must not have: no index answers "<> ALL",
    # so the planner probes the primary key even without statistics, rather than scanning
    # every article of a status (a queue of 100,000 pending ones, say).
    attempts = "attempts = 0" if fresh_only else "attempts < %s"
    return (
        f"{RELAXED_COMMIT_SQL}; "
        f"UPDATE {Article._meta.db_table} SET attempts = attempts + 1, lease_until = %s "
        f"WHERE id = ANY(%s::bigint[]) AND status <> ALL(%s) AND {attempts} "
        "AND (lease_until IS NULL OR lease_until < %s) RETURNING *"
    )


def _other_statuses(statuses) -> list[str]:
    return [str(status) for status in ArticleStatus if status not in statuses]


def _claim(article_id: int, *, refresh: bool) -> Article | None:
    now = timezone.now()
    statuses = [ArticleStatus.EXTRACTED] if refresh else list(PENDING)
    claimed = _last_result(
        _claim_sql(fresh_only=False),
        [
            now + timedelta(seconds=settings.INGEST_LEASE_SECONDS),
            [article_id],
            _other_statuses(statuses),
            settings.INGEST_MAX_ATTEMPTS,
            now,
        ],
    )
    if claimed:
        return _instance(Article, claimed[0])
    article = Article.objects.filter(id=article_id).first()
    if article is None or article.status not in statuses:
        return None
    if article.attempts >= settings.INGEST_MAX_ATTEMPTS:
        _fail(
            article_id,
            f"gave up after {article.attempts} attempts: the worker died or timed out each time",
            refresh=refresh,
            attempt=article.attempts,
        )
        return None
    wait = (article.lease_until - now).total_seconds() if article.lease_until else 1.0
    raise RetryLater("another worker holds this article", countdown=max(1.0, wait))


def _claim_fresh(article_ids: list[int]) -> dict[int, Article]:
    """Claim, in one round trip, those of a batch's articles that no worker has tried yet."""
    now = timezone.now()
    claimed = _last_result(
        _claim_sql(fresh_only=True),
        [
            now + timedelta(seconds=settings.INGEST_LEASE_SECONDS),
            article_ids,
            _other_statuses(PENDING),
            now,
        ],
    )
    return {row["id"]: _instance(Article, row) for row in claimed}


def release_after_timeout(*, article_id: int, reason: str) -> None:
    release_claims(article_ids=[article_id], reason=reason)


def release_claims(
    *, article_ids: list[int], reason: str, lease_until: datetime | None = None
) -> list[int]:
    """Give up the claims on the articles still pending; return their ids.

    With lease_until, only the claims made with that lease (this batch's own): an article
    another worker has claimed since keeps its claim.
    """
    held = Article.objects.filter(
        id__in=article_ids, status__in=[*PENDING, ArticleStatus.EXTRACTED]
    ).exclude(lease_until=None)
    if lease_until is not None:
        held = held.filter(lease_until=lease_until)
    with transaction.atomic():
        released = list(held.select_for_update().values_list("id", "status", "attempts"))
        Article.objects.filter(id__in=[row[0] for row in released]).update(
            lease_until=None, updated_at=timezone.now()
        )
        ArticleEvent.objects.bulk_create(
            ArticleEvent(
                article_id=article_id,
                status=status,
                message=f"will retry: {reason}"[:2000],
                attempt=attempts,
            )
            for article_id, status, attempts in released
        )
    return [row[0] for row in released if row[1] in PENDING]


def still_pending(*, article_ids: list[int]) -> list[int]:
    return list(
        Article.objects.filter(id__in=article_ids, status__in=PENDING).values_list("id", flat=True)
    )


def _obtain(article: Article) -> tuple[_Content, str]:
    payload = (
        ArticlePayload.objects.filter(article_id=article.id).first()
        if article.origin in (Origin.UPLOAD, Origin.PASTE, Origin.IMPORT)
        else None
    )
    if payload is not None:
        content = _Content(bytes(payload.data), payload.content_type, "utf-8", "")
        message = f"read {len(content.data)} bytes from the {article.get_origin_display().lower()}"
        return content, message
    if article.origin == Origin.FEED:
        robots.check(article.url)
    result = safe_fetch(article.url)
    mime = result.content_type
    if mime not in ACCEPTED_TYPES:
        sniffed = sniff_content_type(result.body, declared=mime)
        if sniffed is None or (mime and not mime.startswith("text/")):
            raise ExtractionError(f"not an article: content type {mime or 'unknown'}")
        mime = sniffed
    message = f"fetched {len(result.body)} bytes ({mime})"
    if result.url != article.url:
        message += f" from {result.url[:300]}"
    return _Content(result.body, mime, result.charset, result.url), message


def _mark_fetched(item: _Prepared) -> None:
    """Show a single article's progress: status fetched and its history row, one round trip."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"{RELAXED_COMMIT_SQL}; "
            f"UPDATE {Article._meta.db_table} SET status = %s, fetched_at = %s "
            "WHERE id = %s AND status = %s; "
            f"INSERT INTO {ArticleEvent._meta.db_table} "
            "(article_id, status, message, attempt, elapsed_ms, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [
                str(ArticleStatus.FETCHED),
                item.fetched_at,
                item.id,
                str(ArticleStatus.QUEUED),
                item.id,
                str(ArticleStatus.FETCHED),
                item.fetch_message[:2000],
                item.article.attempts,
                item.fetch_ms,
                item.fetched_at,
            ],
        )
    # Recorded: the store does not write the fetch's history row again.
    item.fetch_message = ""


@dataclass
class _Obtained:
    content: _Content
    message: str
    fetched_at: datetime
    fetch_ms: float


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _obtain_timed(article: Article) -> _Obtained:
    fetched_at, started = timezone.now(), time.monotonic()
    content, message = _obtain(article)
    return _Obtained(content, message, fetched_at, _ms(time.monotonic() - started))


def _prepare(article: Article, obtained: _Obtained | None = None) -> _Prepared:
    """Extract, check and sign one claimed article, fetched (or read) here unless given."""
    obtained = obtained or _obtain_timed(article)
    content = obtained.content
    started = time.monotonic()
    extracted = extract(
        content.data,
        content_type=content.content_type,
        charset=content.charset,
        url=content.final_url or article.url,
    )
    needs_length = article.origin not in (Origin.PASTE, Origin.IMPORT) or not article.title
    if needs_length and len(extracted.text) < settings.INGEST_MIN_TEXT_CHARS:
        raise ExtractionError(
            f"not an article: only {len(extracted.text)} characters of text "
            f"(at least {settings.INGEST_MIN_TEXT_CHARS} needed)"
        )
    page_url = extracted.canonical_url or content.final_url
    return _Prepared(
        article=article,
        extracted=extracted,
        fetched_at=obtained.fetched_at,
        fetch_message=obtained.message,
        fetch_ms=obtained.fetch_ms,
        extract_seconds=time.monotonic() - started,
        text_hash=dedup.content_hash(extracted.text),
        page_canonical=dedup.canonicalize_url(page_url) if page_url.startswith("http") else "",
    )


def _identify_and_sign(items: list[_Prepared]) -> None:
    """Each text's language and MinHash signature, one step over all the texts at a time.

    After extraction rather than beside it: trafilatura, the language model and MinHash each
    run faster over a whole batch while their data stays in the processor's caches (measured
    here: 4.1 ms an article interleaved, 3.7 ms in steps).
    """
    started = time.monotonic()
    for item in items:
        item.language = item.article.language or detect_language(item.extracted.text)
    for item in items:
        item.sig = dedup.signature(item.extracted.text)
        item.keys = dedup.band_keys(item.sig)
    share = (time.monotonic() - started) / max(1, len(items))
    for item in items:
        item.extract_seconds += share


def _retry_or_fail(article: Article, exc: FetchError, *, refresh: bool) -> str:
    """A failed fetch: parked if permanent or out of attempts, else RetryLater with backoff."""
    if exc.permanent or article.attempts >= settings.INGEST_MAX_ATTEMPTS:
        suffix = "" if exc.permanent else f" (after {article.attempts} attempts)"
        return _fail(article.id, exc.reason + suffix, refresh=refresh, attempt=article.attempts)
    release_after_timeout(article_id=article.id, reason=exc.reason)
    backoff = settings.INGEST_RETRY_BACKOFF_SECONDS * 2 ** (article.attempts - 1)
    raise RetryLater(exc.reason, countdown=backoff) from exc


def process_article(*, article_id: int, refresh: bool = False) -> str:
    """Fetch, extract, clean, deduplicate and store one article; idempotent.

    Returns what happened ("extracted", "duplicate", "failed", "unchanged", "revised", "done").
    Raises RetryLater for transient trouble while attempts remain.
    """
    article = _claim(article_id, refresh=refresh)
    if article is None:
        return "done"
    try:
        item = _prepare(article)
    except FetchError as exc:
        return _retry_or_fail(article, exc, refresh=refresh)
    except ExtractionError as exc:
        return _fail(article_id, str(exc), refresh=refresh, attempt=article.attempts)
    _identify_and_sign([item])
    if refresh:
        return _store_revision(item)
    _mark_fetched(item)
    return _store([item])[article_id]


def process_batch(*, article_ids: list[int]) -> list[tuple[int, float]]:
    """Run a batch through the pipeline, storing it in one transaction; idempotent.

    Returns the (article id, countdown) of the articles to run again later, on their own.
    Articles tried before (a re-delivered batch, a retry) go through one by one: a text that
    kills its worker then uses up its own attempts only, not its batch's.
    """
    claimed = _claim_fresh(article_ids)
    try:
        return _run_batch(article_ids, claimed)
    except BaseException:
        # A time limit, a lost database, a bug: what this batch claimed and did not finish is
        # free again at once (other workers' claims on these articles are left alone).
        if claimed:
            release_claims(
                article_ids=list(claimed),
                reason="the batch stopped before storing it",
                lease_until=next(iter(claimed.values())).lease_until,
            )
        raise


def _run_batch(article_ids: list[int], claimed: dict[int, Article]) -> list[tuple[int, float]]:
    retries: list[tuple[int, float]] = []
    prepared: list[_Prepared] = []
    for article_id in article_ids:
        if article_id not in claimed:
            try:
                process_article(article_id=article_id)
            except RetryLater as exc:
                retries.append((article_id, exc.countdown))
    for article, obtain in _fetched([claimed[i] for i in article_ids if i in claimed]):
        try:
            prepared.append(_prepare(article, obtain()))
        except FetchError as exc:
            try:
                _retry_or_fail(article, exc, refresh=False)
            except RetryLater as later:
                retries.append((article.id, later.countdown))
        except ExtractionError as exc:
            _fail(article.id, str(exc), refresh=False, attempt=article.attempts)
        except _NOT_THE_ARTICLES_FAULT:
            raise
        except Exception as exc:
            # A page that breaks a library fails alone, not its batch.
            logger.exception("article %s could not be extracted", article.id)
            _fail(article.id, f"unexpected error: {exc!r}", refresh=False, attempt=article.attempts)
    if not prepared:
        return retries
    try:
        _identify_and_sign(prepared)
        _store(prepared)
    except _NOT_THE_ARTICLES_FAULT:
        raise
    except Exception:
        logger.exception("a batch could not be stored; storing its articles one by one")
        for item in prepared:
            try:
                if not item.sig:  # the batch failed before signing it
                    _identify_and_sign([item])
                _store([item])
            except _NOT_THE_ARTICLES_FAULT:
                raise
            except Exception as exc:
                logger.exception("article %s could not be stored", item.id)
                _fail(
                    item.id,
                    f"unexpected error: {exc!r}",
                    refresh=False,
                    attempt=item.article.attempts,
                )
    return retries


def _fetched(articles: list[Article]) -> Iterator[tuple[Article, Callable[[], _Obtained]]]:
    """Each article with the call that gives its content or raises its fetch's error.

    One after the other while the servers answer at once (threads would cost more than they
    save); once a fetch makes us wait, the rest of the batch FETCH_CONCURRENCY at a time, in
    threads, each wave fetched before any of it is extracted (no fetch thread competes with
    extraction for the interpreter, and one wave of pages at most is held in memory).
    Uploads and pasted texts are always read in this thread, with its database connection.
    """
    queue = list(articles)
    while queue:
        article = queue.pop(0)
        started = time.monotonic()
        obtain = _settled(partial(_obtain_timed, article))
        waited = time.monotonic() - started
        yield article, obtain
        if waited > FETCH_WAIT_BEFORE_CONCURRENCY:
            break
    if not queue:
        return
    pool = ThreadPoolExecutor(max_workers=FETCH_CONCURRENCY, thread_name_prefix="fetch")
    try:
        for start in range(0, len(queue), FETCH_CONCURRENCY):
            wave = [
                (
                    a,
                    pool.submit(_obtain_timed, a)
                    if a.origin in (Origin.URL, Origin.FEED)
                    else None,
                )
                for a in queue[start : start + FETCH_CONCURRENCY]
            ]
            futures_wait([future for _, future in wave if future is not None])
            for article, future in wave:
                yield article, future.result if future else partial(_obtain_timed, article)
    finally:
        # Not waiting for fetches still running: a time limit must stop the batch now (each
        # fetch ends by its own deadline anyway).
        pool.shutdown(wait=False, cancel_futures=True)


def _settled(call: Callable[[], _Obtained]) -> Callable[[], _Obtained]:
    """Run call now; the returned call gives its result or raises its error (where the
    batch handles each article's errors, as it does those of a fetch run in a thread)."""
    try:
        result = call()
    except _NOT_THE_ARTICLES_FAULT:
        raise
    except Exception as exc:
        error = exc

        def fail() -> _Obtained:
            raise error

        return fail
    return lambda: result


# The texts' keys are folded into this many advisory locks: a batch holds at most this many
# (PostgreSQL's shared lock table is small: 64 a connection by default), and two texts that
# share a key always share a lock; unrelated stores sometimes wait for each other.
DEDUP_LOCKS = 64


def _lock_and_look_up(items: list[_Prepared]) -> list[dict]:
    """Take the items' locks, then read the stored originals they may copy.

    Concurrent stores of similar texts take the same advisory locks (DEDUP_LOCKS), so they run
    one after the other and the second sees the first. One round trip relaxes the commit,
    takes the locks and runs the look-up: the originals with the same texts (the partial
    unique index), and the originals sharing a band key with a text (at most 20 per key), a
    bounded number of index probes whatever the number of stored articles. Written so that the
    plan stays right without statistics (a new database, autovacuum off): the band probes run
    once (an InitPlan), never
    a scan of the bands or a loop over the articles.
    """
    article_table, band_table = Article._meta.db_table, ArticleBand._meta.db_table
    own_ids = [item.id for item in items]
    keys = sorted({key for item in items for key in item.keys})
    hash_locks = {int(item.text_hash[:15], 16) for item in items}
    return _last_result(
        f"{RELAXED_COMMIT_SQL}; "
        "SELECT count(pg_advisory_xact_lock(k)) FROM "
        "(SELECT DISTINCT unnest(%s::bigint[]) AS k ORDER BY 1) AS keys; "
        f"SELECT 'exact' AS match, id, content_hash, minhash FROM {article_table} "
        "WHERE content_hash = ANY(%s) AND content_hash <> '' AND duplicate_of_id IS NULL "
        "AND id <> ALL(%s) "
        f"UNION ALL SELECT 'near' AS match, id, content_hash, minhash FROM {article_table} "
        "WHERE id = ANY(ARRAY(SELECT band.article_id FROM unnest(%s::bigint[]) AS k(key) "
        f"CROSS JOIN LATERAL (SELECT article_id FROM {band_table} "
        "WHERE key = k.key AND article_id <> ALL(%s) LIMIT 20) AS band)) "
        "AND duplicate_of_id IS NULL",
        [
            sorted({key % DEDUP_LOCKS for key in (*keys, *hash_locks)}),
            [i.text_hash for i in items],
            own_ids,
            keys,
            own_ids,
        ],
    )


def _canonical_holders(items: list[_Prepared]) -> dict[str, Article]:
    """Stored articles whose canonical URL a page declares, where it differs from its own."""
    wanted = {
        item.page_canonical
        for item in items
        if item.page_canonical and item.page_canonical != item.article.canonical_url
    }
    if not wanted:
        return {}
    holders = Article.objects.filter(canonical_url__in=wanted).exclude(
        id__in=[item.id for item in items]
    )
    return {
        a.canonical_url: a
        for a in holders.only("id", "canonical_url", "duplicate_of_id", "minhash")
    }


def _decide(
    items: list[_Prepared], found: list[dict], holders: dict[str, Article]
) -> list[_Decision]:
    """Which original each item copies, if any: the stored ones, then the batch's earlier ones.

    In order of evidence: the same canonical URL (if the texts agree too: some sites declare
    their home page as every article's canonical URL), the same text, a near-identical text.
    """
    exact = {row["content_hash"]: row["id"] for row in found if row["match"] == "exact"}
    originals = [(row["id"], row["minhash"] or []) for row in found]
    by_url = {c: (a.duplicate_of_id or a.id, a.minhash) for c, a in holders.items()}
    decisions = []
    for item in items:
        decision = _Decision()
        holder = (
            by_url.get(item.page_canonical)
            if item.page_canonical != item.article.canonical_url
            else None
        )
        if (
            holder
            and holder[1]
            and dedup.similarity(item.sig, holder[1]) >= URL_DUPLICATE_MIN_SIMILARITY
        ):
            decision = _Decision(holder[0], DuplicateKind.URL, "same canonical URL")
        elif item.text_hash in exact:
            decision = _Decision(exact[item.text_hash], DuplicateKind.EXACT, "same text")
        else:
            best, best_score = None, 0.0
            for original_id, sig in originals:
                score = dedup.similarity(item.sig, sig)
                if score > best_score:
                    best, best_score = original_id, score
            if best is not None and best_score >= settings.INGEST_NEAR_DUPLICATE_THRESHOLD:
                why = f"near-duplicate, similarity {best_score:.2f}"
                decision = _Decision(best, DuplicateKind.NEAR, why)
        decisions.append(decision)
        if decision.original_id is None:
            # Later items of the batch may copy this one.
            exact.setdefault(item.text_hash, item.id)
            originals.append((item.id, item.sig))
            for canonical in {item.article.canonical_url, item.page_canonical} - {""}:
                by_url.setdefault(canonical, (item.id, item.sig))
    return decisions


def _row(item: _Prepared, decision: _Decision, *, elapsed_ms: float) -> dict:
    """The stored values of one article: what it declares, kept over what extraction found."""
    article, extracted = item.article, item.extracted
    keep_title = article.origin in (Origin.PASTE, Origin.IMPORT) and article.title
    original = decision.original_id is None
    if original:
        status = ArticleStatus.EXTRACTED
        message = (
            f"extracted {len(extracted.text)} characters ({item.language or 'language unknown'})"
        )
    else:
        status = ArticleStatus.DUPLICATE
        message = f"duplicate of article {decision.original_id} ({decision.why})"
    published_on = article.published_on or extracted.published_on
    return {
        "id": item.id,
        "title": (article.title if keep_title else (extracted.title or article.title))[:500],
        "author": article.author or extracted.author,
        "published_on": published_on.isoformat() if published_on else None,
        "language": item.language,
        "text": extracted.text,
        "content_hash": item.text_hash,
        "fetched_at": item.fetched_at.isoformat(),
        "outlet": article.outlet
        or (dedup.outlet_of(item.page_canonical) if item.page_canonical else ""),
        "status": str(status),
        "duplicate_of_id": decision.original_id,
        "duplicate_kind": decision.kind,
        "minhash": item.sig if original else None,
        "keys": sorted(set(item.keys)) if original else [],
        "attempt": 0 if original else article.attempts,
        "fetch_message": item.fetch_message[:2000] or None,
        "fetch_ms": item.fetch_ms,
        "message": message[:2000],
        "elapsed_ms": elapsed_ms,
    }


# One statement writes a whole batch: each article's row (only if still pending: a re-delivered
# task's article already stored is left alone), and for those written, revision 1, the history
# rows and the band keys of the originals.
_WRITE_SQL = """
WITH v AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) AS v(
        id bigint, title text, author text, published_on date, language text, text text,
        content_hash text, fetched_at timestamptz, outlet text, status text,
        duplicate_of_id bigint, duplicate_kind text, minhash bigint[], keys bigint[],
        attempt int, fetch_message text, fetch_ms float8, message text, elapsed_ms float8)
), written AS (
    UPDATE {article} AS a SET
        title = v.title, author = v.author, published_on = v.published_on,
        language = v.language, text = v.text, content_hash = v.content_hash,
        fetched_at = coalesce(a.fetched_at, v.fetched_at), outlet = v.outlet, status = v.status,
        duplicate_of_id = v.duplicate_of_id, duplicate_kind = v.duplicate_kind,
        minhash = coalesce(v.minhash, a.minhash),
        attempts = CASE WHEN v.duplicate_of_id IS NULL THEN 0 ELSE a.attempts END,
        lease_until = NULL, failure_reason = '', updated_at = %(now)s
    FROM v WHERE a.id = v.id AND a.id = ANY(%(ids)s::bigint[]) AND a.status <> ALL(%(stored)s)
    RETURNING a.id
), revisions AS (
    INSERT INTO {revision} (article_id, number, text, content_hash, fetched_at, created_at)
    SELECT v.id, 1, v.text, v.content_hash, v.fetched_at, %(now)s FROM v JOIN written USING (id)
), events AS (
    INSERT INTO {event} (article_id, status, message, attempt, elapsed_ms, created_at)
    SELECT v.id, 'fetched', v.fetch_message, v.attempt, v.fetch_ms, v.fetched_at
    FROM v JOIN written USING (id) WHERE v.fetch_message IS NOT NULL
    UNION ALL
    SELECT v.id, v.status, v.message, v.attempt, v.elapsed_ms, %(now)s
    FROM v JOIN written USING (id)
), bands AS (
    INSERT INTO {band} (article_id, key)
    SELECT v.id, k FROM v JOIN written USING (id), unnest(v.keys) AS k
    ON CONFLICT DO NOTHING
)
SELECT id FROM written
"""


def _store(items: list[_Prepared]) -> dict[int, str]:
    """Deduplicate and store prepared articles in one transaction; what happened to each."""
    started = time.monotonic()
    outcomes = {item.id: "done" for item in items}
    with transaction.atomic():
        found = _lock_and_look_up(items)
        decisions = _decide(items, found, _canonical_holders(items))
        # The batch's share of the store, added to each article's own extraction time.
        store_seconds = (time.monotonic() - started) / len(items)
        rows = [
            _row(item, decision, elapsed_ms=_ms(item.extract_seconds + store_seconds))
            for item, decision in zip(items, decisions, strict=True)
        ]
        sql = _WRITE_SQL.format(
            article=Article._meta.db_table,
            revision=ArticleRevision._meta.db_table,
            event=ArticleEvent._meta.db_table,
            band=ArticleBand._meta.db_table,
        )
        params = {
            "rows": json.dumps(rows, ensure_ascii=False),
            # As in the claim (_claim_sql): the planner probes the primary key.
            "ids": [item.id for item in items],
            "stored": _other_statuses(PENDING),
            "now": timezone.now(),
        }
        written = {row["id"] for row in _last_result(sql, params)}
        for item, decision in zip(items, decisions, strict=True):
            if item.id not in written:
                continue
            if decision.original_id is not None:
                outcomes[item.id] = "duplicate"
                continue
            outcomes[item.id] = "extracted"
            if item.page_canonical and not item.article.canonical_url:
                try:
                    with transaction.atomic():
                        Article.objects.filter(id=item.id).update(canonical_url=item.page_canonical)
                except IntegrityError:
                    pass  # the look-up saw no holder under our locks; a racing URL keeps its own
            transaction.on_commit(partial(article_ready.send, sender=Article, article_id=item.id))
    return outcomes


def _store_revision(item: _Prepared) -> str:
    text, text_hash = item.extracted.text, item.text_hash
    with transaction.atomic():
        current = Article.objects.select_for_update().get(id=item.id)
        latest = current.revisions.order_by("-number").first()
        current.lease_until = None
        current.attempts = 0
        if latest is not None and latest.content_hash == text_hash:
            current.save(update_fields=["lease_until", "attempts", "updated_at"])
            _event(current.id, ArticleStatus.EXTRACTED, "fetched again: text unchanged")
            return "unchanged"
        number = (latest.number if latest else 0) + 1
        ArticleRevision.objects.create(
            article=current,
            number=number,
            text=text,
            content_hash=text_hash,
            fetched_at=item.fetched_at,
        )
        current.text, current.content_hash, current.minhash = text, text_hash, item.sig
        current.fetched_at = item.fetched_at
        current.save()
        ArticleBand.objects.filter(article=current).delete()
        ArticleBand.objects.bulk_create(
            [ArticleBand(article=current, key=key) for key in set(item.keys)],
            ignore_conflicts=True,
        )
        _event(
            current.id,
            ArticleStatus.EXTRACTED,
            f"the outlet edited the text: stored revision {number}",
            elapsed_ms=_ms(item.extract_seconds),
        )
        transaction.on_commit(
            partial(article_revised.send, sender=Article, article_id=current.id, revision=number)
        )
        transaction.on_commit(partial(article_ready.send, sender=Article, article_id=current.id))
    return "revised"


# Feeds -------------------------------------------------------------------------------------


def create_feed_source(*, url: str, name: str = "", interval_minutes: int = 60) -> Source:
    url = _check_url(url)
    existing = Source.objects.filter(kind=SourceKind.FEED, url=url).first()
    if existing is not None:
        return existing
    if interval_minutes < 1:
        raise ValidationError("The interval is at least one minute.")
    source = Source(
        name=(name or urlsplit(url).hostname or url)[:200],
        kind=SourceKind.FEED,
        url=url,
        poll_interval_minutes=interval_minutes,
        next_poll_at=timezone.now(),
    )
    source.full_clean()
    source.save()
    return source


def due_feed_ids() -> list[int]:
    return list(
        Source.objects.filter(
            kind=SourceKind.FEED, active=True, next_poll_at__lte=timezone.now()
        ).values_list("id", flat=True)
    )


def request_poll(*, source_id: int) -> None:
    """Poll now: make the feed due and enqueue its poll, on commit."""
    from articles.tasks import poll_feed

    with transaction.atomic():
        Source.objects.filter(id=source_id).update(next_poll_at=timezone.now())
        transaction.on_commit(partial(poll_feed.delay, source_id))


def _claim_feed(source_id: int) -> Source | None:
    now = timezone.now()
    source = Source.objects.filter(id=source_id, kind=SourceKind.FEED, active=True).first()
    if source is None:
        return None
    # Two triggers for one due feed: only the first moves next_poll_at and fetches.
    claimed = Source.objects.filter(
        Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now), id=source_id
    ).update(next_poll_at=now + timedelta(minutes=source.poll_interval_minutes))
    return source if claimed else None


def poll_feed(*, source_id: int) -> list[int]:
    """Fetch one due feed (conditional GET) and queue its new entries; return their ids."""
    source = _claim_feed(source_id)
    if source is None:
        return []
    now = timezone.now()
    new_ids: list[int] = []
    try:
        robots.check(source.url)
        result = safe_fetch(
            source.url,
            etag=source.etag,
            last_modified=source.last_modified,
            accept="application/rss+xml,application/atom+xml,application/xml,text/xml;q=0.9",
        )
        if result.not_modified:
            status = "not modified (304)"
        else:
            entries = parse_feed(result.body, charset=result.charset)
            submissions = []
            for entry in entries:
                try:
                    url = _check_url(entry.link)
                except ValidationError:
                    continue
                submissions.append(
                    Submission(
                        url=url,
                        title=entry.title,
                        published_on=entry.published_on,
                        summary=entry.summary,
                    )
                )
            skipped = len(entries) - len(submissions)
            new_ids = submit_many(submissions=submissions, source=source, origin=Origin.FEED)
            status = f"{len(entries)} entries, {len(new_ids)} new"
            if skipped:
                status += f", {skipped} without a usable link"
            source.etag, source.last_modified = result.etag[:500], result.last_modified[:100]
    except (FetchError, FeedError) as exc:
        status = f"failed: {exc}"
    source.last_polled_at = now
    source.last_poll_status = status[:500]
    source.save(update_fields=["last_polled_at", "last_poll_status", "etag", "last_modified"])
    return new_ids


def poll_all_feeds() -> list[int]:
    """Poll every active feed now, in this process; return the ids of the new articles."""
    new_ids: list[int] = []
    for source_id in Source.objects.filter(kind=SourceKind.FEED, active=True).values_list(
        "id", flat=True
    ):
        Source.objects.filter(id=source_id).update(next_poll_at=timezone.now())
        new_ids += poll_feed(source_id=source_id)
    return new_ids


# Imports -----------------------------------------------------------------------------------

IMPORT_SUFFIXES = {".html", ".htm", ".txt", ".text", ".pdf", ".md"}


def import_path(*, path: Path, user: AbstractBaseUser | None = None) -> list[int]:
    """Queue files, folders (recursively) or JSONL lines; return the queued article ids."""
    ids: list[int] = []
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.suffix.lower() in IMPORT_SUFFIXES | {".jsonl"}:
                ids += import_path(path=child, user=user)
        return ids
    if path.suffix.lower() == ".jsonl":
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    ids.append(_import_record(record, user=user))
                except (ValueError, ValidationError, TypeError) as exc:
                    raise ValidationError(f"{path}:{number}: {exc}") from exc
        return ids
    if path.stat().st_size > settings.INGEST_MAX_UPLOAD_BYTES:
        raise ValidationError(f"{path}: larger than {settings.INGEST_MAX_UPLOAD_BYTES} bytes")
    article = submit_upload(data=path.read_bytes(), filename=path.name, user=user)
    Article.objects.filter(id=article.id).update(origin=Origin.IMPORT)
    return [article.id]


def _import_record(record: dict, *, user: AbstractBaseUser | None) -> int:
    if not isinstance(record, dict):
        raise ValidationError("each line is a JSON object")
    url, text = record.get("url") or "", record.get("text") or ""
    if text:
        article, _ = submit_text(
            text=text,
            title=record.get("title") or "",
            published_on=parse_date(record.get("published")),
            language=record.get("lang") or "",
            url=url,
            origin=Origin.IMPORT,
            user=user,
        )
    elif url:
        article, _ = submit_url(
            url=url,
            user=user,
            origin=Origin.IMPORT,
            title=plain(record.get("title") or ""),
            published_on=parse_date(record.get("published")),
        )
    else:
        raise ValidationError("a line needs a url or a text")
    return article.id


def pending_count(*, article_ids: list[int]) -> int:
    return Article.objects.filter(id__in=article_ids).exclude(status__in=TERMINAL_STATUSES).count()
