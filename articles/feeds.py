"""RSS and Atom feeds to entries, without entity expansion and without feedparser fetching."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from xml.etree.ElementTree import ParseError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from articles.extraction import decode, parse_date, plain, sanitize_summary

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_DOCTYPE = re.compile(r"<!DOCTYPE", re.I)


class FeedError(Exception):
    """A feed we refuse or cannot read (permanent for this body)."""


@dataclass
class FeedEntry:
    link: str
    title: str
    published_on: date | None
    summary: str
    updated: str


def _own(item: dict, key: str):
    # feedparser's dict answers a missing "updated" with "published", and warns about it.
    return dict.get(item, key)


def parse_feed(body: bytes, *, charset: str = "") -> list[FeedEntry]:
    if not body.strip():
        raise FeedError("empty feed")
    text = decode(body, declared=charset, xml=True)
    # Re-encode as UTF-8 and say so: the original declaration may have been the wrong one.
    text = _XML_DECL.sub("", text, count=1).lstrip()
    if _DOCTYPE.search(text[:4096]):
        try:
            fromstring(text.encode("utf-8"), forbid_dtd=False)
        except DefusedXmlException as exc:
            raise FeedError(f"refused: the feed declares entities ({type(exc).__name__})") from exc
        except ParseError:
            pass  # malformed: feedparser's lenient parser gets it, without a DTD it can act on
    data = ('<?xml version="1.0" encoding="utf-8"?>\n' + text).encode("utf-8")
    # Bytes, never a str: feedparser treats a str as a URL or a path and would fetch or open it.
    parsed = feedparser.parse(
        data,
        response_headers={"content-type": "application/xml; charset=utf-8"},
        resolve_relative_uris=False,
        sanitize_html=True,
    )
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS or Atom structure"
        raise FeedError(f"not a feed: {str(reason)[:200]}")
    entries = []
    for item in parsed.entries:
        link = item.get("link") or ""
        if not link:
            for candidate in item.get("links", []):
                if candidate.get("href"):
                    link = candidate["href"]
                    break
        published = item.get("published_parsed") or _own(item, "updated_parsed")
        entries.append(
            FeedEntry(
                link=link.strip(),
                title=plain(item.get("title", "")),
                published_on=parse_date(published)
                or parse_date(item.get("published") or _own(item, "updated")),
                summary=sanitize_summary(item.get("summary", ""))[:20000],
                updated=_own(item, "updated") or item.get("published", ""),
            )
        )
    return entries
