"""Benchmark of the exports: a 1,000,000-row statements CSV streamed through the real view.

Builds (or with --reuse, reuses) the synthetic database of bench/dashboard.py, then downloads
/exports/statements.csv in-process through Django's streaming response, counting rows, time and
the process's peak resident memory while streaming.

    python bench/export.py                 # builds 1,000,000 statements first
    python bench/export.py --reuse         # the database left by bench/dashboard.py

The last line is one JSON object: {"rows": ..., "rows_per_s": ..., "peak_rss_mb": ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")

from bench.dashboard import bench_database, fill  # noqa: E402


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--reuse", action="store_true", help="reuse the existing bench database")
    args = parser.parse_args()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    os.environ["DATABASE_URL"] = bench_database(reuse=args.reuse)
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client

    from negotiations.models import Statement

    call_command("migrate", verbosity=0)
    if not args.reuse or not Statement.objects.exists():
        fill(statements=args.statements, articles=args.articles, parties=30, issues=40, log=log)
    user, _ = User.objects.get_or_create(username="bench-exporter")
    user.groups.add(Group.objects.get(name="analysts"))
    client = Client()
    client.force_login(user)

    rows = -1  # the header line
    peak = _rss_mb()
    started = time.perf_counter()
    response = client.get("/exports/statements.csv?suggested=on")
    assert response.status_code == 200 and response.streaming
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n")
        if rows % 20_000 < 50:
            peak = max(peak, _rss_mb())
    elapsed = time.perf_counter() - started
    peak = max(peak, _rss_mb())
    log(f"{rows:,} rows in {elapsed:.1f}s: {rows / elapsed:,.0f} rows/s, peak RSS {peak:.0f} MB")
    print(
        json.dumps(
            {"rows": rows, "rows_per_s": round(rows / elapsed), "peak_rss_mb": round(peak, 1)}
        )
    )


if __name__ == "__main__":
    main()
