"""From fetched or uploaded bytes to clean text and metadata; libraries do the hard parts."""

from __future__ import annotations

import html
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

import charset_normalizer
import dateparser
import nh3
import trafilatura
from django.conf import settings

from articles.language import identify_language

DATE_LANGUAGES = ["fr", "en", "uk", "ru"]
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_\-.]+)["']""", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")

SUMMARY_TAGS = {"p", "br", "a", "em", "strong", "b", "i", "ul", "ol", "li", "blockquote", "q"}


class ExtractionError(Exception):
    """The content holds no article (always permanent: fetching it again changes nothing)."""


@dataclass
class Extracted:
    text: str
    title: str = ""
    author: str = ""
    published_on: date | None = None
    language: str = ""
    canonical_url: str = ""


def decode(body: bytes, *, declared: str = "", xml: bool = False) -> str:
    """Decode bytes whose charset declaration may be wrong or missing.

    Valid UTF-8 with non-ASCII bytes is almost never anything else, so it wins over a declaration;
    then the HTTP or in-document declaration if the bytes decode with it; then detection.
    """
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    candidates = [declared]
    pattern = _XML_ENCODING if xml else _META_CHARSET
    match = pattern.search(body[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii", "ignore"))
    if not xml:
        match = _XML_ENCODING.search(body[:4096])
        if match:
            candidates.append(match.group(1).decode("ascii", "ignore"))
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    detected = best.encoding if best else ""
    for encoding in candidates:
        if not encoding or encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
            continue
        # Single-byte code pages decode anything: only trust one the detector agrees with, or
        # the only one we have.
        try:
            text = body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
        if not detected or _same_family(encoding, detected):
            return text
    if detected:
        return str(best)
    return body.decode("utf-8", errors="replace")


def _same_family(a: str, b: str) -> bool:
    def norm(name: str) -> str:
        name = name.lower().replace("_", "-")
        return {"latin-1": "cp1252", "iso-8859-1": "cp1252", "windows-1252": "cp1252"}.get(
            name, name.replace("windows-", "cp")
        )

    return norm(a) == norm(b)


def clean_text(text: str) -> str:
    """Normalize what the extractors return: NFC, no control characters, tidy whitespace."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    # Most texts have only single spaces: the substitution would rewrite each one for nothing.
    if "  " in text or "\t" in text or "\u00a0" in text:
        text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def plain(value: str, *, limit: int = 500) -> str:
    """Text of a title or author that may carry markup or entities."""
    value = html.unescape(nh3.clean(value or "", tags=set()))
    return clean_text(value).replace("\n", " ")[:limit]


def sanitize_summary(value: str) -> str:
    return nh3.clean(value or "", tags=SUMMARY_TAGS, link_rel="noopener noreferrer nofollow")


def parse_date(value: object) -> date | None:
    """A date from what sources give: ISO strings, struct_time, or words in fr/en/uk/ru."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "tm_year"):
        return date(value.tm_year, value.tm_mon, value.tm_mday)
    text = str(value).strip()[:100]
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    parsed = dateparser.parse(
        text, languages=DATE_LANGUAGES, settings={"PREFER_DAY_OF_MONTH": "first"}
    )
    return parsed.date() if parsed else None


def detect_language(text: str) -> str:
    return identify_language(text=text, languages=settings.INGEST_LANGUAGES)


def extract_html(document: str, *, url: str = "") -> Extracted:
    result = trafilatura.bare_extraction(
        document, url=url or None, with_metadata=True, include_comments=False
    )
    if result is None or not (result.text or "").strip():
        raise ExtractionError("no article text found in the page")
    return Extracted(
        text=clean_text(result.text),
        title=plain(result.title or ""),
        author=plain(result.author or "", limit=300),
        published_on=parse_date(result.date),
        canonical_url=result.url or "",
    )


def extract_pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExtractionError("the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages[:500]]
        meta = reader.metadata
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ExtractionError(f"unreadable PDF: {exc}") from exc
    try:
        created = meta.creation_date if meta else None
    except (ValueError, TypeError):
        created = None  # a malformed /CreationDate: the date is not worth losing the text
    text = clean_text("\n\n".join(pages))
    if not text:
        raise ExtractionError("the PDF has no text layer (scanned?)")
    return Extracted(
        text=text,
        title=plain((meta.title if meta else "") or ""),
        author=plain((meta.author if meta else "") or "", limit=300),
        published_on=created.date() if created else None,
    )


def extract(data: bytes, *, content_type: str, charset: str = "", url: str = "") -> Extracted:
    """Dispatch on the content type; the caller has already checked it is one we accept."""
    if content_type == "application/pdf" or data[:5] == b"%PDF-":
        return extract_pdf(data)
    text = decode(data, declared=charset)
    if content_type == "text/plain":
        return Extracted(text=clean_text(text))
    return extract_html(text, url=url)


def sniff_content_type(data: bytes, *, declared: str = "", filename: str = "") -> str | None:
    """One of text/html, text/plain, application/pdf, or None for anything else."""
    head = data[:1024].lstrip().lower()
    name = filename.lower()
    if data[:5] == b"%PDF-":
        return "application/pdf"
    if b"\x00" in data[:8192]:
        return None  # binary, and not a PDF
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in data[:8192].lower():
        return "text/html"
    if declared in ("text/html", "application/xhtml+xml") or name.endswith((".html", ".htm")):
        return "text/html"
    if declared == "text/plain" or name.endswith((".txt", ".text", ".md")) or not declared:
        return "text/plain"
    return None
