"""Outbound HTTP for ingestion: one guarded fetch that the rest of the pipeline trusts.

Every address a host name resolves to is checked, and the connection goes to the checked
address (no second lookup that a rebinding DNS could answer differently). Redirects are followed
by hand so that each hop is checked too. Size is capped after decompression, and a wall-clock
deadline stops a server that trickles one byte at a time.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote, urljoin, urlsplit

import httpcore
from django.conf import settings

# Cloud metadata services reachable from instances; refused even where private ranges are not.
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("169.254.170.2"),
    ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("fd00:ec2::254"),
}
REDIRECT_CODES = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A fetch that failed; `permanent` ones are not worth retrying."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass
class FetchResult:
    url: str
    status: int
    body: bytes
    content_type: str = ""
    charset: str = ""
    etag: str = ""
    last_modified: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs more than a loopback fetch: do it once per process.
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


_local = threading.local()


def _within_deadline(timeout: float | None) -> float | None:
    """The timeout of one network operation, cut to what is left of this fetch's deadline."""
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("wall-clock deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the fetch's deadline: a server that
    trickles its headers, or its TLS handshake, is cut off like one that trickles its body."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _within_deadline(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _within_deadline(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, _within_deadline(timeout))
        )

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = super().connect_tcp(
            host, port, _within_deadline(timeout), local_address, socket_options
        )
        return _DeadlineStream(stream)


def _pool() -> httpcore.ConnectionPool:
    """This thread's connection pool, which keeps no connection alive.

    httpcore is httpx's transport, used bare: httpx's models and URL handling cost more than a
    loopback fetch, and this module does its own redirects and decoding anyway. Each fetch
    connects afresh to the address it has just checked, so a connection opened for one host
    name is never reused for another at the same address.
    """
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = httpcore.ConnectionPool(
            ssl_context=_tls_context(),
            max_keepalive_connections=0,
            network_backend=_DeadlineBackend(),
        )
    return pool


def _address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if settings.INGEST_ALLOW_LOOPBACK else "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private or address.is_reserved or address.is_unspecified:
        return "a private or reserved address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network(
        "100.64.0.0/10"
    ):
        return "a carrier-grade NAT address"
    return None


def resolve_public(host: str, port: int) -> str:
    """Resolve host and return one address to connect to, refusing if any answer is unsafe."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        # A name that does not resolve now may resolve later (DNS outage): transient.
        raise FetchError(f"cannot resolve {host}: {exc}", permanent=False) from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        refusal = _address_refusal(address)
        if refusal:
            raise FetchError(f"refused: {host} resolves to {refusal} ({address})", permanent=True)
    if not addresses:
        raise FetchError(f"cannot resolve {host}", permanent=False)
    # IPv4 first: a name like localhost answers ::1 too, where many servers do not listen.
    addresses.sort(key=lambda a: a.version)
    return str(addresses[0])


def _decoder(encoding: str):
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise FetchError(f"unsupported content encoding {encoding!r}", permanent=True)


def _read_capped(
    response: httpcore.Response, encoding: str, *, deadline: float, max_bytes: int
) -> bytes:
    """Read the body, decompressing in bounded steps so a gzip bomb stops at the cap."""
    decoder = _decoder(encoding)
    out = bytearray()
    too_large = FetchError(f"response larger than {max_bytes} bytes", permanent=True)
    # One chunk per read from the socket: a buffering reader would hide a trickle from the
    # deadline check.
    for chunk in response.iter_stream():
        if time.monotonic() > deadline:
            raise FetchError("response too slow: wall-clock deadline passed", permanent=False)
        if decoder is None:
            out += chunk
        else:
            data = chunk
            while data:
                out += decoder.decompress(data, max_bytes + 1 - len(out))
                if len(out) > max_bytes:
                    raise too_large
                data = decoder.unconsumed_tail
        if len(out) > max_bytes:
            raise too_large
    return bytes(out)


def _content_type(value: str) -> tuple[str, str]:
    mime, _, params = value.partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, val = param.strip().partition("=")
        if name.lower() == "charset":
            charset = val.strip().strip("\"'")
    return mime.strip().lower(), charset


@contextmanager
def _transport_failures(timed_out: str, broken: str) -> Iterator[None]:
    """httpcore's errors as FetchErrors worth retrying: the network may do better next time."""
    try:
        yield
    except httpcore.TimeoutException as exc:
        deadline = getattr(_local, "deadline", None)
        if deadline is not None and time.monotonic() >= deadline:
            timed_out = "response too slow: wall-clock deadline passed"
        raise FetchError(timed_out, permanent=False) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
        raise FetchError(f"{broken}: {exc or type(exc).__name__}", permanent=False) from exc


def _header_text(value: bytes) -> str:
    # Many sites send a Location with raw UTF-8 in it; HTTP's own charset is Latin-1.
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _target(parts) -> str:
    """The request target, percent-encoded where the URL was not (an IRI's path, a stray %)."""
    path = quote(_STRAY_PERCENT.sub("%25", parts.path or "/"), safe="/%:@!$&'()*+,;=-._~")
    query = quote(_STRAY_PERCENT.sub("%25", parts.query), safe="/?%:@!$&'()*+,;=-._~")
    return f"{path}?{query}" if query else path


def _receive(
    response: httpcore.Response, url: str, *, deadline: float, max_bytes: int
) -> FetchResult:
    headers: dict[str, str] = {}
    for name, value in response.headers:
        key, text = name.decode("latin-1").lower(), _header_text(value)
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    status = response.status
    body = b""
    if status in REDIRECT_CODES or status == 304:
        pass
    elif status >= 400:
        permanent = status not in (408, 425, 429) and status < 500
        raise FetchError(f"HTTP {status} from {url[:200]}", permanent=permanent)
    else:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(
                f"response larger than {max_bytes} bytes ({declared} declared)", permanent=True
            )
        try:
            with _transport_failures(f"timed out reading {url[:200]}", "broken response"):
                body = _read_capped(
                    response,
                    headers.get("content-encoding", ""),
                    deadline=deadline,
                    max_bytes=max_bytes,
                )
        except zlib.error as exc:
            raise FetchError(f"corrupt compressed body: {exc}", permanent=True) from exc
    mime, charset = _content_type(headers.get("content-type", ""))
    return FetchResult(
        url=url,
        status=status,
        body=body,
        content_type=mime,
        charset=charset,
        etag=headers.get("etag", ""),
        last_modified=headers.get("last-modified", ""),
        headers=headers,
    )


def safe_fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    max_bytes: int | None = None,
    accept: str = "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.5",
) -> FetchResult:
    """GET url within the ingestion limits; raise FetchError with a reason otherwise."""
    max_bytes = max_bytes or settings.INGEST_MAX_FETCH_BYTES
    deadline = time.monotonic() + settings.INGEST_FETCH_DEADLINE_SECONDS
    headers = {
        "User-Agent": settings.INGEST_USER_AGENT,
        "Accept": accept,
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    pool = _pool()
    _local.deadline = deadline
    try:
        return _follow(pool, url, headers, deadline=deadline, max_bytes=max_bytes)
    finally:
        _local.deadline = None


def _follow(
    pool: httpcore.ConnectionPool,
    url: str,
    headers: dict[str, str],
    *,
    deadline: float,
    max_bytes: int,
) -> FetchResult:
    """GET url, following redirects by hand, each hop's address checked."""
    current = url
    for _hop in range(settings.INGEST_MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"refused: not an http(s) URL: {current[:200]}", permanent=True)
        try:
            host = parts.hostname.encode("idna").decode("ascii")
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except (UnicodeError, ValueError) as exc:
            raise FetchError(f"refused: bad address {current[:200]}", permanent=True) from exc
        address = resolve_public(host, port)
        named = f"[{host}]" if ":" in host else host  # an IPv6 address
        host_header = named if parts.port is None else f"{named}:{parts.port}"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("response too slow: wall-clock deadline passed", permanent=False)
        timeout = min(remaining, settings.INGEST_READ_TIMEOUT_SECONDS)
        request_headers = [(k.encode(), v.encode("latin-1", "replace")) for k, v in headers.items()]
        with (
            _transport_failures(f"timed out fetching {current[:200]}", "connection failed"),
            pool.stream(
                "GET",
                # Connect to the checked address; the name travels in Host and in TLS (SNI),
                # where the certificate is checked against it.
                httpcore.URL(
                    scheme=parts.scheme.encode(),
                    host=address.encode(),
                    port=port,
                    target=_target(parts).encode("ascii"),
                ),
                headers=[(b"Host", host_header.encode()), *request_headers],
                extensions={
                    "sni_hostname": host,
                    "timeout": dict.fromkeys(("connect", "read", "write", "pool"), timeout),
                },
            ) as response,
        ):
            result = _receive(response, current, deadline=deadline, max_bytes=max_bytes)
        if result.status not in REDIRECT_CODES:
            return result
        location = result.headers.get("location")
        if not location:
            raise FetchError("redirect without a Location", permanent=True)
        current = urljoin(current, location)
    raise FetchError(
        f"too many redirects (more than {settings.INGEST_MAX_REDIRECTS})", permanent=True
    )
