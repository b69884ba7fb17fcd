"""robots.txt for what the pipeline fetches on its own: feeds and the articles they list.

An editor's own submission is fetched as a browser would (the editor asked for that page).
Each site's rules are read at most once an hour per worker process, through the guarded
fetcher, and parsed by the standard library. As RFC 9309 says: a robots.txt that does not
exist (4xx) allows everything; one that cannot be read now (5xx, timeout) disallows
everything for now, and the fetch is retried later.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from django.conf import settings

from articles.fetching import FetchError, safe_fetch

TTL_SECONDS = 3600
MAX_SITES = 1000
MAX_BYTES = 500_000  # RFC 9309 asks crawlers to read at least 500 KiB

_rules: dict[str, tuple[float, RobotFileParser | None]] = {}


def _agent() -> str:
    # The product token of our User-Agent ("StanceBot/0.1 (+…)" -> "StanceBot").
    return settings.INGEST_USER_AGENT.split("/", 1)[0].strip()


def _load(site: str) -> RobotFileParser | None:
    """The site's rules, or None when it has none; FetchError when they cannot be read now."""
    try:
        result = safe_fetch(f"{site}/robots.txt", max_bytes=MAX_BYTES, accept="text/plain")
    except FetchError as exc:
        if exc.permanent:
            return None
        raise
    parser = RobotFileParser()
    parser.parse(result.body.decode("utf-8", errors="replace").splitlines())
    return parser


def check(url: str) -> None:
    """Raise FetchError if the site's robots.txt disallows url for us."""
    parts = urlsplit(url)
    site = f"{parts.scheme}://{parts.netloc}"
    now = time.monotonic()
    cached = _rules.get(site)
    if cached is None or cached[0] < now:
        try:
            rules = _load(site)
        except FetchError as exc:
            raise FetchError(
                f"robots.txt of {parts.netloc} cannot be read now ({exc.reason})",
                permanent=False,
            ) from exc
        if len(_rules) >= MAX_SITES:
            _rules.pop(next(iter(_rules)))
        _rules[site] = cached = (now + TTL_SECONDS, rules)
    rules = cached[1]
    if rules is not None and not rules.can_fetch(_agent(), url):
        raise FetchError(f"refused by the robots.txt of {parts.netloc}", permanent=True)


def forget() -> None:
    """Drop the rules read so far (tests; a site that changed its rules)."""
    _rules.clear()
