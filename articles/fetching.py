"""Outbound HTTP for ingestion: one guarded fetch that the rest of the pipeline trusts.

Every address a host name resolves to is checked, and the connection goes to the checked
address (no second lookup that a rebinding DNS could answer differently). Redirects are followed
by hand so that each hop is checked too. Size is capped after decompression, and a wall-clock
deadline stops a server that trickles one byte at a time.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import httpx
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


def _client() -> httpx.Client:
    """This thread's client, its cookies from earlier fetches forgotten.

    One client per thread, as building one costs more than a loopback fetch. It keeps no
    connection alive: each fetch connects afresh to the address it has just checked, so a
    connection opened for one host name is never reused for another at the same address, nor
    are cookies (they would be filed under the address).
    """
    client = getattr(_local, "client", None)
    if client is None:
        client = _local.client = httpx.Client(
            follow_redirects=False,
            trust_env=False,
            verify=_tls_context(),
            limits=httpx.Limits(max_keepalive_connections=0),
        )
    client.cookies.clear()
    return client


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


def _read_capped(response: httpx.Response, *, deadline: float, max_bytes: int) -> bytes:
    """Read the body, decompressing in bounded steps so a gzip bomb stops at the cap."""
    decoder = _decoder(response.headers.get("content-encoding", ""))
    out = bytearray()
    too_large = FetchError(f"response larger than {max_bytes} bytes", permanent=True)
    # No chunk size: a buffering chunker would hide a trickle from the deadline check.
    for chunk in response.iter_raw():
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
    current = url
    client = _client()
    for _hop in range(settings.INGEST_MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"refused: not an http(s) URL: {current[:200]}", permanent=True)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve_public(parts.hostname, port)
        host_for_url = f"[{address}]" if ":" in address else address
        target = parts._replace(netloc=f"{host_for_url}:{port}", fragment="").geturl()
        host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("response too slow: wall-clock deadline passed", permanent=False)
        timeout = httpx.Timeout(min(remaining, settings.INGEST_READ_TIMEOUT_SECONDS))
        request = client.build_request(
            "GET",
            target,
            headers={**headers, "Host": host_header},
            timeout=timeout,
            # Certificates are checked against the name, while we connect to the address.
            extensions={"sni_hostname": parts.hostname, "timeout": timeout.as_dict()},
        )
        try:
            response = client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out fetching {current[:200]}", permanent=False) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"connection failed: {exc}", permanent=False) from exc
        try:
            if response.status_code in REDIRECT_CODES:
                location = response.headers.get("location")
                if not location:
                    raise FetchError("redirect without a Location", permanent=True)
                current = urljoin(current, location)
                continue
            declared = int(response.headers.get("content-length") or 0)
            if declared > max_bytes:
                raise FetchError(
                    f"response larger than {max_bytes} bytes ({declared} declared)",
                    permanent=True,
                )
            status = response.status_code
            if status == 304:
                body = b""
            elif status >= 400:
                permanent = status not in (408, 425, 429) and status < 500
                raise FetchError(f"HTTP {status} from {current[:200]}", permanent=permanent)
            else:
                try:
                    body = _read_capped(response, deadline=deadline, max_bytes=max_bytes)
                except httpx.TimeoutException as exc:
                    raise FetchError(f"timed out reading {current[:200]}", permanent=False) from exc
                except zlib.error as exc:
                    raise FetchError(f"corrupt compressed body: {exc}", permanent=True) from exc
                except httpx.HTTPError as exc:
                    raise FetchError(f"broken response: {exc}", permanent=False) from exc
            mime, charset = _content_type(response.headers.get("content-type", ""))
            return FetchResult(
                url=current,
                status=status,
                body=body,
                content_type=mime,
                charset=charset,
                etag=response.headers.get("etag", ""),
                last_modified=response.headers.get("last-modified", ""),
                headers=dict(response.headers),
            )
        finally:
            response.close()
    raise FetchError(
        f"too many redirects (more than {settings.INGEST_MAX_REDIRECTS})", permanent=True
    )
