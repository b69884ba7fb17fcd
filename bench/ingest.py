"""Ingestion benchmark: N generated article pages on loopback, through the whole pipeline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/stance REDIS_URL=redis://127.0.0.1:6379/2 \\
        SECRET_KEY=bench .venv/bin/python bench/ingest.py [-n 2000]

Uses its own database (the DATABASE_URL's name + "_bench", created and migrated here, its
articles deleted first) and one Celery worker process (--concurrency 1). Prints articles per
second end to end and per stage, the worker's peak memory, bare trafilatura's extraction rate
on the same pages (the ceiling), and whether deduplication slows down as articles accumulate.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ingest_support import distinct_text, page  # noqa: E402


def _bench_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_bench"))


def _ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _pages(count: int) -> dict[str, bytes]:
    """News-site pages: the article amid navigation, related links, scripts and comments."""
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(40))
    styles = "<style>" + "".join(f".c{i}{{margin:{i}px}}" for i in range(200)) + "</style>"
    pages = {}
    for n in range(count):
        head = (
            f'<meta name="author" content="Reporter {n % 37}">'
            f'<meta property="article:published_time" content="2025-{n % 12 + 1:02d}-15">'
            f'<link rel="canonical" href="/news/{n}">{styles}'
            "<script>window.dataLayer=[];function track(){return 1}</script>"
        )
        related = "".join(
            f'<li><a href="/news/{(n + k) % count}">{distinct_text(n + k, 12)}</a></li>'
            for k in range(1, 16)
        )
        comments = "".join(
            f'<div class="comment"><p>{distinct_text(n * 7 + k, 30)}</p></div>' for k in range(6)
        )
        html = page(f"Story {n}", distinct_text(n, 600), extra_head=head).replace(
            "<nav><a href='/'>Home</a></nav>", f"<header><nav><ul>{nav}</ul></nav></header>"
        )
        html = html.replace(
            "<footer>",
            f'<aside class="related"><h2>Related</h2><ul>{related}</ul></aside>'
            f'<section class="comments"><h2>Comments</h2>{comments}</section><footer>',
        )
        pages[f"/news/{n}"] = html.encode()
    return pages


def _serve(pages: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = pages.get(urlsplit(self.path).path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _ceiling(pages: dict[str, bytes]) -> float:
    """Bare trafilatura on the same pages, with the options the pipeline uses."""
    import trafilatura

    started = time.perf_counter()
    for body in pages.values():
        trafilatura.bare_extraction(
            body.decode("utf-8"), with_metadata=True, include_comments=False
        )
    return len(pages) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=2000, help="pages (default 2000)")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()

    database_url = _bench_database_url()
    _ensure_database(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["INGEST_ALLOW_LOOPBACK"] = "1"
    # The bench measures ingestion: suggestion tasks (negotiations/ listens to article_ready)
    # would share the single worker with it. Off for the worker and this process.
    os.environ["SUGGEST_ON_INGEST"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"

    import django

    django.setup()
    import psutil
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Max, Sum
    from django.utils import timezone

    from articles import services
    from articles.models import Article, ArticleEvent, ArticleStatus, Source
    from config.celery import app

    call_command("migrate", verbosity=0)
    # Emptied, not deleted row by row: deleted rows stay in the tables and their indexes until
    # a vacuum, and this machine's PostgreSQL runs without autovacuum: run after run, the bench
    # measured the garbage of the runs before it (183 articles/s fell to 166 in forty runs).
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {Article._meta.db_table}, {Source._meta.db_table} RESTART IDENTITY CASCADE"
        )
    app.control.purge()

    pages = _pages(args.count)
    server = _serve(pages)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"{args.count} pages served on {base}; SUGGEST_ON_INGEST=0 (ingestion only)", flush=True)

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env={**os.environ, "CONN_MAX_AGE": "600"},
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("the worker did not start")
        processes = [psutil.Process(worker.pid)]
        # peak RSS: the largest process (the pool process, which does the work), as measured
        # since the first version; peak PSS: the whole worker, parent and pool process, each
        # page they share (forked, copy on write) counted once.
        peak_rss = peak_pss = 0

        started, started_at = time.perf_counter(), timezone.now()
        ids = services.submit_urls(urls=[f"{base}{path}" for path in pages])
        submitted = time.perf_counter() - started
        # Cheap polling (one count a second): the bench shares the machine with the worker.
        pending_count = len(ids)
        while pending_count and time.perf_counter() - started < args.timeout:
            try:
                processes = [processes[0], *processes[0].children(recursive=True)]
                memory = [p.memory_full_info() for p in processes]
                peak_rss = max(peak_rss, max(m.rss for m in memory))
                peak_pss = max(peak_pss, sum(m.pss for m in memory))
            except psutil.NoSuchProcess:
                pass
            pending_count = Article.objects.filter(
                status__in=[ArticleStatus.QUEUED, ArticleStatus.FETCHED]
            ).count()
            time.sleep(1.0 if pending_count > 50 else 0.05)
        # The end is when the last article was stored, not when a poll noticed (up to a
        # second later).
        last = Article.objects.exclude(status__in=[ArticleStatus.QUEUED, ArticleStatus.FETCHED])
        finished_at = last.aggregate(at=Max("updated_at"))["at"] or timezone.now()
        elapsed = (finished_at - started_at).total_seconds()
    finally:
        worker.terminate()
        worker.wait(30)
        server.shutdown()

    statuses = dict(
        Article.objects.values_list("status").annotate(n=Sum(1)).values_list("status", "n")
    )
    fetch_ms = ArticleEvent.objects.filter(status="fetched").aggregate(t=Sum("elapsed_ms"))["t"]
    store_events = ArticleEvent.objects.filter(
        status__in=["extracted", "duplicate"], elapsed_ms__isnull=False
    ).order_by("article_id")
    store_ms = [e for e in store_events.values_list("elapsed_ms", flat=True)]
    rate = (len(ids) - pending_count) / elapsed
    fetch_rate = len(ids) / (fetch_ms / 1000) if fetch_ms else 0.0
    store_rate = len(store_ms) / (sum(store_ms) / 1000) if store_ms else 0.0
    tenth = max(1, len(store_ms) // 10)
    first, last = store_ms[:tenth], store_ms[-tenth:]
    ceiling = _ceiling(pages)

    print(f"statuses: {statuses}; unfinished: {pending_count}")
    print(f"submitted {len(ids)} URLs in {submitted:.1f}s")
    print(f"end to end: {rate:.1f} articles/s ({elapsed:.1f}s)")
    print(f"stage fetch: {fetch_rate:.1f} articles/s")
    print(f"stage extract+clean+dedup+store: {store_rate:.1f} articles/s")
    print(
        "extract+store per article, first tenth vs last tenth: "
        f"{sum(first) / len(first):.1f} ms vs {sum(last) / len(last):.1f} ms"
    )
    print(f"bare trafilatura (ceiling): {ceiling:.1f} articles/s")
    print(
        f"worker peak RSS: {peak_rss / 2**20:.0f} MB "
        f"(PSS of the whole worker: {peak_pss / 2**20:.0f} MB)"
    )
    print(
        json.dumps(
            {
                "articles_per_s": round(rate, 1),
                "ceiling_articles_per_s": round(ceiling, 1),
                "peak_rss_mb": round(peak_rss / 2**20, 1),
                "peak_pss_mb": round(peak_pss / 2**20, 1),
                "suggest_on_ingest": False,
            }
        )
    )
    return 0 if not pending_count else 1


if __name__ == "__main__":
    sys.exit(main())
