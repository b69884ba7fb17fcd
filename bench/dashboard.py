"""Benchmark of the analysts' dashboard on a large synthetic record.

Builds a fresh database `<name>_bench` on the server of DATABASE_URL (the embedded one through
`python -m config.devservices exec -- python bench/dashboard.py`), fills it in SQL with N
statements over M articles, P parties and I issues, then times the matrix, an issue timeline and
the concessions feed in-process (server time: URL routing, middleware, view, template) and counts
their queries, beside a trivial view of the same server as the floor.

    python bench/dashboard.py                    # 1,000,000 statements, 200,000 articles, 30 x 40
    python bench/dashboard.py --statements 100000 --articles 20000

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")


def bench_database(*, reuse: bool = False) -> str:
    """The URL of a fresh database `<name>_bench` beside DATABASE_URL's (kept with reuse)."""
    import environ
    import psycopg

    url = os.environ["DATABASE_URL"]
    config = environ.Env.db_url_config(url)
    name = f"{config['NAME']}_bench"
    params = {
        "dbname": "postgres",
        "user": config["USER"] or None,
        "password": config["PASSWORD"] or None,
        "host": config["HOST"] or config.get("OPTIONS", {}).get("host"),
        "port": config["PORT"] or None,
        "autocommit": True,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not (reuse and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")


def fill(*, statements: int, articles: int, parties: int, issues: int, log) -> None:
    from django.db import connection

    from articles.models import Source
    from negotiations.services import rebuild_shifts

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            """
            INSERT INTO negotiations_party (slug, name, short_name, color, "order")
            SELECT 'party-' || g, 'Party ' || g, 'P' || g, '#777777', 10 + g
            FROM generate_series(5, %s) g
            """,
            [parties],
        )
        cursor.execute(
            """
            INSERT INTO negotiations_issue
                (slug, name, description, low_pole_party_id, high_pole_party_id, "order")
            SELECT 'issue-' || g, 'Issue ' || g, '',
                   (SELECT id FROM negotiations_party WHERE slug = 'russia'),
                   (SELECT id FROM negotiations_party WHERE slug = 'ukraine'), 10 + g
            FROM generate_series(7, %s) g
            """,
            [issues],
        )
        cursor.execute(
            """
            INSERT INTO negotiations_scalestop (issue_id, value, label, description)
            SELECT i.id, v, 'Stop ' || v, 'Stop ' || v
            FROM negotiations_issue i CROSS JOIN generate_series(-2, 2) v
            WHERE i.slug LIKE 'issue-%%'
            """
        )
        Source.objects.create(
            name="Bench wire",
            kind="feed",
            url="https://bench.invalid/",
            language="en",
            reliability="C",
            active=False,
        )
        cursor.execute(
            """
            INSERT INTO articles_article (source_id, url, canonical_url, title, published_on,
                language, text, content_hash, status, created_at, updated_at, attempts, author,
                duplicate_kind, failure_reason, origin, outlet, summary)
            SELECT (SELECT id FROM articles_source WHERE name = 'Bench wire'),
                   'https://bench.invalid/a/' || g, 'https://bench.invalid/a/' || g,
                   'Dispatch ' || g, date '2022-01-01' + (g %% 1460),
                   CASE WHEN g %% 2 = 0 THEN 'en' ELSE 'fr' END,
                   'Dispatch ' || g || '. The parties restated their positions on the talks.',
                   md5(g::text), 'extracted', now(), now(), 1, '', '', '', 'feed',
                   'bench.invalid', ''
            FROM generate_series(1, %s) g
            """,
            [articles],
        )
        log(f"taxonomy and {articles:,} articles in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        cursor.execute(
            """
            WITH p AS (SELECT array_agg(id ORDER BY id) ids FROM negotiations_party),
                 i AS (SELECT array_agg(id ORDER BY id) ids FROM negotiations_issue),
                 a AS (SELECT min(id) lo, max(id) hi FROM articles_article)
            INSERT INTO negotiations_statement (party_id, issue_id, value, stated_on, article_id,
                quote, quote_start, quote_end, attribution, credibility, review_state,
                extractor_version, reason, created_at, updated_at, version, quote_missing)
            SELECT p.ids[1 + (random() * (cardinality(p.ids) - 1))::int],
                   i.ids[1 + (random() * (cardinality(i.ids) - 1))::int],
                   (random() * 4)::int - 2,
                   date '2022-01-01' + (random() * 1460)::int,
                   a.lo + (random() * (a.hi - a.lo))::int,
                   'Dispatch', 0, 8, 'own', 2,
                   CASE WHEN random() < 0.9 THEN 'confirmed' ELSE 'suggested' END,
                   '', '', now(), now(), 1, false
            FROM generate_series(1, %s) g, p, i, a
            """,
            [statements],
        )
        log(f"{statements:,} statements in {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    shifts = rebuild_shifts()
    log(f"{shifts:,} shifts stored in {time.perf_counter() - started:.1f}s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _measure(client, url: str, requests: int) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):  # warm caches, as a running server would have them
        assert client.get(url).status_code == 200, url
    timings = []
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    queries = len(captured)
    for _ in range(requests):
        reset_queries()
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "queries": queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--parties", type=int, default=30)
    parser.add_argument("--issues", type=int, default=40)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    os.environ["DATABASE_URL"] = bench_database()
    import django

    django.setup()
    from django.conf import settings

    # No collectstatic run here: hashed static names would need one.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    fill(
        statements=args.statements,
        articles=args.articles,
        parties=args.parties,
        issues=args.issues,
        log=log,
    )
    # Start as the web process does (config/wsgi.py), garbage-collector settings included.
    import config.wsgi  # noqa: F401

    user = User.objects.create_user("bench-analyst", password="bench-password-1")
    user.groups.add(Group.objects.get(name="analysts"))
    client = Client()
    client.force_login(user)

    pages = {
        "matrix": "/?on=2025-06-30",
        "timeline": "/issues/sanctions/",
        "concessions": "/shifts/?kind=concession",
    }
    results = {name: _measure(client, url, args.requests) for name, url in pages.items()}
    floor = _measure(client, "/healthz", args.requests)
    for name, figures in results.items():
        log(f"{name:12} {pages[name]:32} {figures}")
    log(f"{'floor':12} {'/healthz':32} {floor}")
    print(
        json.dumps(
            {
                "statements": args.statements,
                "pages": results,
                "floor_p95_ms": floor["p95_ms"],
            }
        )
    )


if __name__ == "__main__":
    main()
