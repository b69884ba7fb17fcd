"""Ingestion writes: submissions, the pipeline's steps, feed polling. Tasks and views call these."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from articles import dedup
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
    url = _check_url(url)
    canonical = dedup.canonicalize_url(url)
    with transaction.atomic():
        # The partial unique index on canonical_url makes two simultaneous submissions one row.
        article, created = Article.objects.get_or_create(
            canonical_url=canonical,
            defaults={
                "url": url,
                "origin": origin,
                "source": source,
                "outlet": dedup.outlet_of(url),
                "title": title[:500],
                "published_on": published_on,
                "summary": summary,
                "submitted_by": user if user and user.is_authenticated else None,
            },
        )
        if created:
            _event(article.id, ArticleStatus.QUEUED, f"queued from {origin}: {url[:500]}")
            if enqueue:
                _on_commit_enqueue(article.id)
    return article, created


BATCH_SIZE = 20


def _on_commit_enqueue_batches(article_ids: list[int]) -> None:
    from articles.tasks import ingest_batch

    for start in range(0, len(article_ids), BATCH_SIZE):
        chunk = article_ids[start : start + BATCH_SIZE]
        transaction.on_commit(partial(ingest_batch.delay, chunk))


def submit_urls(
    *,
    urls: list[str],
    user: AbstractBaseUser | None = None,
    source: Source | None = None,
    origin: str = Origin.URL,
) -> list[int]:
    """Queue many URLs (feeds, imports, benchmarks) as a few batch tasks; return the new ids."""
    new_ids: list[int] = []
    # One transaction per batch: the workers start on the first batch while the rest is stored.
    for start in range(0, len(urls), BATCH_SIZE):
        with transaction.atomic():
            batch = []
            for url in urls[start : start + BATCH_SIZE]:
                article, created = submit_url(
                    url=url, user=user, source=source, origin=origin, enqueue=False
                )
                if created:
                    batch.append(article.id)
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
    """Enqueue pending articles whose claim lapsed: PostgreSQL, not the broker, is the record."""
    now = timezone.now()
    stale = Article.objects.filter(status__in=PENDING).filter(
        Q(lease_until__lt=now)
        | Q(lease_until__isnull=True, updated_at__lt=now - timedelta(minutes=5))
    )
    ids = list(stale.values_list("id", flat=True)[:1000])
    for article_id in ids:
        _enqueue(article_id)
    return len(ids)


# The pipeline ------------------------------------------------------------------------------


@dataclass
class _Content:
    data: bytes
    content_type: str
    charset: str
    final_url: str


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


def _claim(article_id: int, *, refresh: bool) -> Article | None:
    now = timezone.now()
    statuses = [ArticleStatus.EXTRACTED] if refresh else list(PENDING)
    # The attempt is counted (and committed) before any work, so a worker killed mid-task
    # still used one up: a task that always kills its worker is parked, not looped.
    # One round trip, its own transaction: the conditional UPDATE returns the claimed row (the
    # claim is the read), and the commit does not wait for the disk (RELAXED_COMMIT_SQL).
    claimed = _last_result(
        f"{RELAXED_COMMIT_SQL}; "
        f"UPDATE {Article._meta.db_table} SET attempts = attempts + 1, lease_until = %s "
        "WHERE id = %s AND status = ANY(%s) AND attempts < %s "
        "AND (lease_until IS NULL OR lease_until < %s) RETURNING *",
        [
            now + timedelta(seconds=settings.INGEST_LEASE_SECONDS),
            article_id,
            [str(status) for status in statuses],
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


def release_after_timeout(*, article_id: int, reason: str) -> None:
    with transaction.atomic():
        Article.objects.filter(id=article_id).update(lease_until=None)
        article = Article.objects.filter(id=article_id).only("status", "attempts").first()
        if article:
            _event(article_id, article.status, f"will retry: {reason}", attempt=article.attempts)


def _obtain(article: Article, *, refresh: bool) -> _Content:
    started = time.monotonic()
    payload = (
        ArticlePayload.objects.filter(article_id=article.id).first()
        if article.origin in (Origin.UPLOAD, Origin.PASTE, Origin.IMPORT)
        else None
    )
    if payload is not None:
        content = _Content(bytes(payload.data), payload.content_type, "utf-8", "")
        message = f"read {len(content.data)} bytes from the {article.get_origin_display().lower()}"
    else:
        result = safe_fetch(article.url)
        mime = result.content_type
        if mime not in ACCEPTED_TYPES:
            sniffed = sniff_content_type(result.body, declared=mime)
            if sniffed is None or (mime and not mime.startswith("text/")):
                raise ExtractionError(f"not an article: content type {mime or 'unknown'}")
            mime = sniffed
        content = _Content(result.body, mime, result.charset, result.url)
        message = f"fetched {len(result.body)} bytes ({mime})"
        if result.url != article.url:
            message += f" from {result.url[:300]}"
    elapsed = int((time.monotonic() - started) * 1000)
    if not refresh:
        # One statement list, one round trip, one transaction: the status and its history row.
        now = timezone.now()
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
                    now,
                    article.id,
                    str(ArticleStatus.QUEUED),
                    article.id,
                    str(ArticleStatus.FETCHED),
                    message[:2000],
                    article.attempts,
                    elapsed,
                    now,
                ],
            )
    return content


def process_article(*, article_id: int, refresh: bool = False) -> str:
    """Fetch, extract, clean, deduplicate and store one article; idempotent.

    Returns what happened ("extracted", "duplicate", "failed", "unchanged", "revised", "done").
    Raises RetryLater for transient trouble while attempts remain.
    """
    article = _claim(article_id, refresh=refresh)
    if article is None:
        return "done"
    fetched_at = timezone.now()
    try:
        content = _obtain(article, refresh=refresh)
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
    except FetchError as exc:
        if exc.permanent or article.attempts >= settings.INGEST_MAX_ATTEMPTS:
            suffix = "" if exc.permanent else f" (after {article.attempts} attempts)"
            return _fail(article_id, exc.reason + suffix, refresh=refresh, attempt=article.attempts)
        release_after_timeout(article_id=article_id, reason=exc.reason)
        backoff = settings.INGEST_RETRY_BACKOFF_SECONDS * 2 ** (article.attempts - 1)
        raise RetryLater(exc.reason, countdown=backoff) from exc
    except ExtractionError as exc:
        return _fail(article_id, str(exc), refresh=refresh, attempt=article.attempts)
    return _store(
        article,
        extracted,
        fetched_at=fetched_at,
        final_url=content.final_url,
        refresh=refresh,
        started=started,
    )


# Don't wait for the WAL flush on this transaction's commit. Safe because every step is redone
# if lost: should PostgreSQL itself crash and drop the last commits, the article is still
# pending and requeue_stalled sends it through again. Sent with the transaction's first
# statement (psycopg binds parameters client-side, so one execute may carry several).
RELAXED_COMMIT_SQL = "SET LOCAL synchronous_commit TO OFF"


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


def _lock_and_find_original(
    article: Article, *, page_canonical: str, text_hash: str, sig: list[int], keys: list[int]
) -> tuple[int | None, str, str]:
    """Take this text's locks, then find the article it copies: (its id, kind, why) or None.

    Concurrent stores of similar texts take the same advisory locks, so they run one after the
    other and the second sees the first. One round trip relaxes the commit
    (RELAXED_COMMIT_SQL), takes the locks and runs the look-up: the original with the same text
    (the partial unique index), else the originals sharing a band key with this text (at most
    20 per key), a bounded number of index probes whatever the number of stored articles.
    Written so that the plan stays right without statistics (a new database, autovacuum off):
    the band probes run once (an InitPlan), never a scan of the bands or a loop over articles.
    """
    article_table, band_table = Article._meta.db_table, ArticleBand._meta.db_table
    found = _last_result(
        f"{RELAXED_COMMIT_SQL}; "
        "SELECT count(pg_advisory_xact_lock(k)) FROM "
        "(SELECT DISTINCT unnest(%s::bigint[]) AS k ORDER BY 1) AS keys; "
        f"SELECT 'exact' AS match, id, minhash FROM {article_table} "
        "WHERE content_hash = %s AND content_hash <> '' AND duplicate_of_id IS NULL "
        "AND id <> %s "
        f"UNION ALL SELECT 'near' AS match, id, minhash FROM {article_table} "
        "WHERE id = ANY(ARRAY(SELECT band.article_id FROM unnest(%s::bigint[]) AS k(key) "
        f"CROSS JOIN LATERAL (SELECT article_id FROM {band_table} "
        "WHERE key = k.key AND article_id <> %s LIMIT 20) AS band)) "
        "AND duplicate_of_id IS NULL",
        [sorted({*keys, int(text_hash[:15], 16)}), text_hash, article.id, keys, article.id],
    )
    if page_canonical and page_canonical != article.canonical_url:
        other = Article.objects.filter(canonical_url=page_canonical).exclude(id=article.id).first()
        # Some sites declare their home page as every article's canonical URL: the texts must
        # agree too before the URL makes this a copy.
        if (
            other is not None
            and other.minhash
            and dedup.similarity(sig, other.minhash) >= URL_DUPLICATE_MIN_SIMILARITY
        ):
            return other.duplicate_of_id or other.id, DuplicateKind.URL, "same canonical URL"
    for row in found:
        if row["match"] == "exact":
            return row["id"], DuplicateKind.EXACT, "same text"
    best, best_score = None, 0.0
    for row in found:
        score = dedup.similarity(sig, row["minhash"] or [])
        if score > best_score:
            best, best_score = row["id"], score
    if best is not None and best_score >= settings.INGEST_NEAR_DUPLICATE_THRESHOLD:
        return best, DuplicateKind.NEAR, f"near-duplicate, similarity {best_score:.2f}"
    return None, "", ""


def _store(
    article: Article,
    extracted: Extracted,
    *,
    fetched_at,
    final_url: str,
    refresh: bool,
    started: float,
) -> str:
    text = extracted.text
    text_hash = dedup.content_hash(text)
    sig = dedup.signature(text)
    keys = dedup.band_keys(sig)
    language = article.language or detect_language(text)
    page_url = extracted.canonical_url or final_url
    page_canonical = dedup.canonicalize_url(page_url) if page_url.startswith("http") else ""
    if refresh:
        return _store_revision(article, text, text_hash, sig, keys, fetched_at, started)
    with transaction.atomic():
        original_id, kind, why = _lock_and_find_original(
            article, page_canonical=page_canonical, text_hash=text_hash, sig=sig, keys=keys
        )
        # This worker holds the claim, so the claimed row is current; the conditional UPDATE
        # (which takes the row lock) still finds a re-delivered task's article already stored.
        fields = {
            "title": (
                article.title
                if article.origin in (Origin.PASTE, Origin.IMPORT) and article.title
                else (extracted.title or article.title)
            )[:500],
            "author": article.author or extracted.author,
            "published_on": article.published_on or extracted.published_on,
            "language": language,
            "text": text,
            "content_hash": text_hash,
            "fetched_at": Coalesce(F("fetched_at"), Value(fetched_at)),
            "lease_until": None,
            "failure_reason": "",
            "updated_at": timezone.now(),
        }
        if not article.outlet and page_canonical:
            fields["outlet"] = dedup.outlet_of(page_canonical)
        if original_id is not None:
            fields.update(
                status=ArticleStatus.DUPLICATE, duplicate_of_id=original_id, duplicate_kind=kind
            )
        else:
            fields.update(status=ArticleStatus.EXTRACTED, minhash=sig, attempts=0)
        if not Article.objects.filter(id=article.id, status__in=PENDING).update(**fields):
            return "done"
        elapsed = int((time.monotonic() - started) * 1000)
        if original_id is not None:
            _insert_stored_rows(
                article.id,
                text=text,
                text_hash=text_hash,
                fetched_at=fetched_at,
                status=ArticleStatus.DUPLICATE,
                message=f"duplicate of article {original_id} ({why})",
                attempt=article.attempts,
                elapsed_ms=elapsed,
            )
            return "duplicate"
        if page_canonical and not article.canonical_url:
            try:
                with transaction.atomic():
                    Article.objects.filter(id=article.id).update(canonical_url=page_canonical)
            except IntegrityError:
                pass  # the look-up saw no holder under our locks; a racing URL keeps its own
        _insert_stored_rows(
            article.id,
            text=text,
            text_hash=text_hash,
            fetched_at=fetched_at,
            status=ArticleStatus.EXTRACTED,
            message=f"extracted {len(text)} characters ({language or 'language unknown'})",
            attempt=0,
            elapsed_ms=elapsed,
            band_keys=keys,
        )
        transaction.on_commit(partial(article_ready.send, sender=Article, article_id=article.id))
    return "extracted"


def _insert_stored_rows(
    article_id: int,
    *,
    text: str,
    text_hash: str,
    fetched_at,
    status: str,
    message: str,
    attempt: int,
    elapsed_ms: int,
    band_keys: list[int] | None = None,
) -> None:
    """Revision 1, the band keys (originals) and the history row: one round trip."""
    now = timezone.now()
    sql = (
        f"INSERT INTO {ArticleRevision._meta.db_table} "
        "(article_id, number, text, content_hash, fetched_at, created_at) "
        "VALUES (%s, 1, %s, %s, %s, %s); "
        f"INSERT INTO {ArticleEvent._meta.db_table} "
        "(article_id, status, message, attempt, elapsed_ms, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s)"
    )
    params = [article_id, text, text_hash, fetched_at, now]
    params += [article_id, str(status), message[:2000], attempt, elapsed_ms, now]
    if band_keys:
        sql += (
            f"; INSERT INTO {ArticleBand._meta.db_table} (article_id, key) "
            "SELECT %s, k FROM unnest(%s::bigint[]) AS k ON CONFLICT DO NOTHING"
        )
        params += [article_id, sorted(set(band_keys))]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _store_revision(article, text, text_hash, sig, keys, fetched_at, started) -> str:
    with transaction.atomic():
        current = Article.objects.select_for_update().get(id=article.id)
        latest = current.revisions.order_by("-number").first()
        current.lease_until = None
        current.attempts = 0
        if latest is not None and latest.content_hash == text_hash:
            current.save(update_fields=["lease_until", "attempts", "updated_at"])
            _event(current.id, ArticleStatus.EXTRACTED, "fetched again: text unchanged")
            return "unchanged"
        number = (latest.number if latest else 0) + 1
        ArticleRevision.objects.create(
            article=current, number=number, text=text, content_hash=text_hash, fetched_at=fetched_at
        )
        current.text, current.content_hash, current.minhash = text, text_hash, sig
        current.fetched_at = fetched_at
        current.save()
        ArticleBand.objects.filter(article=current).delete()
        ArticleBand.objects.bulk_create(
            [ArticleBand(article=current, key=key) for key in set(keys)], ignore_conflicts=True
        )
        _event(
            current.id,
            ArticleStatus.EXTRACTED,
            f"the outlet edited the text: stored revision {number}",
            elapsed_ms=int((time.monotonic() - started) * 1000),
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
            skipped = 0
            with transaction.atomic():
                for entry in entries:
                    try:
                        article, created = submit_url(
                            url=entry.link,
                            source=source,
                            origin=Origin.FEED,
                            title=entry.title,
                            published_on=entry.published_on,
                            summary=entry.summary,
                            enqueue=False,
                        )
                    except ValidationError:
                        skipped += 1
                        continue
                    if created:
                        new_ids.append(article.id)
                _on_commit_enqueue_batches(new_ids)
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
