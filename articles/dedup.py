"""The keys deduplication compares: canonical URLs, content hashes and MinHash LSH bands."""

from __future__ import annotations

import hashlib
import re
import zlib
from functools import cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import tldextract
from datasketch import MinHash

TRACKING_PARAMS = re.compile(
    r"^(utm_.*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|yclid|igshid|_ga|_gl|"
    r"ref|ref_src|ref_url|cmpid|cmp|xtor|at_medium|at_campaign|ns_mchannel|ns_source|"
    r"ocid|sr_share|share|smid|outputtype|amp|output)$",
    re.I,
)
MOBILE_PREFIXES = ("www.", "m.", "mobile.", "amp.")
NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
_WORD = re.compile(r"\w+", re.UNICODE)
# Fixed, like the scheme: band keys must be comparable across processes and deployments.
_SEED = 1
_SCHEME = "affine32"


# The Public Suffix List snapshot inside the wheel: no download, ever. Private suffixes count
# (blogspot.com, github.io), so two blogs on one platform stay two outlets.
_DOMAINS = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)


def _host(url: str) -> str:
    """The host as an identity: www., m. and amp. hosts are one site."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    for prefix in MOBILE_PREFIXES:
        if host.startswith(prefix):
            host = host[len(prefix) :]
    return host


def outlet_of(url: str) -> str:
    """The outlet that published url: its registered domain (edition.cnn.com -> cnn.com,
    www.bbc.co.uk -> bbc.co.uk), or the host where there is none (an address, a test name)."""
    host = _host(url)
    return _DOMAINS(host).top_domain_under_public_suffix or host


def canonicalize_url(url: str) -> str:
    """One spelling per article: no tracking parameters, fragment, AMP or mobile variant."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return url
    # An identity, not an address to fetch.
    host = _host(url)
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    # AMP pages live at …/amp, …/amp/ or …/amp.html beside the article.
    path = re.sub(r"/amp/?$", "/", path)
    path = re.sub(r"\.amp\.html$", ".html", path)
    path = re.sub(r"^/amp/", "/", path)
    if len(path) > 1:
        path = path.rstrip("/")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = sorted((k, v) for k, v in query if not TRACKING_PARAMS.match(k))
    return urlunsplit(("https", netloc, path, urlencode(query), ""))


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _shingles(text: str, size: int = 5) -> list[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return [" ".join(words).encode()]
    return [" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)]


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    # Drawing the permutations costs as much as hashing an article's shingles: once a process.
    return MinHash(num_perm=NUM_PERM, seed=_SEED, scheme=_SCHEME).permutations


def signature(text: str) -> list[int]:
    # crc32 (C) instead of datasketch's default sha1 per shingle: same quality for MinHash,
    # a third of the time. Changing it would need the stored signatures and bands recomputed.
    minhash = MinHash(
        num_perm=NUM_PERM,
        seed=_SEED,
        hashfunc=zlib.crc32,
        permutations=_permutations(),
        scheme=_SCHEME,
    )
    minhash.update_batch(_shingles(text))
    # Values are below 2**32: they fit PostgreSQL's bigint.
    return minhash.hashvalues.tolist()


def band_keys(sig: list[int]) -> list[int]:
    """One signed 64-bit key per band, the band's number mixed in."""
    keys = []
    for band in range(BANDS):
        chunk = np.asarray(sig[band * ROWS : (band + 1) * ROWS], dtype=np.uint64).tobytes()
        digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return keys


def similarity(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets."""
    return float(np.mean(np.asarray(a) == np.asarray(b)))
