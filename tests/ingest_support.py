"""Real servers for the ingestion tests: a loopback HTTP server and a Celery worker subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]

Route = Callable[[BaseHTTPRequestHandler], None]


_WORDS = (
    "ceasefire talks delegation minister kyiv moscow washington geneva istanbul front line "
    "sanctions prisoners exchange guarantees security council troops withdrawal referendum "
    "territory occupied donbas crimea zaporizhzhia kherson nuclear plant grain corridor sea "
    "envoy summit agreement proposal draft memorandum negotiators statement spokesman said "
    "monday tuesday wednesday thursday friday officials sources diplomats reporters army "
    "energy infrastructure strikes drones missiles air defence aid package billion euros "
    "reconstruction frozen assets central bank court tribunal war crimes investigation "
    "humanitarian corridor evacuation civilians children deported return mediation turkey "
    "vatican china india brazil africa peace plan points neutrality nato membership accession "
    "european union council parliament vote veto hungary slovakia poland baltic border"
)
_VOCABULARY = tuple(_WORDS.split())


def distinct_text(seed: int, words: int = 220) -> str:
    """An article-length text that shares no more with another seed's than chance allows."""
    import random

    rng = random.Random(seed)
    sentences = []
    for _ in range(words // 11):
        sentence = " ".join(rng.choice(_VOCABULARY) for _ in range(11))
        sentences.append(sentence.capitalize() + ".")
    return "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))


def page(title: str, body: str, *, extra_head: str = "", lang: str = "en") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n") if p.strip())
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f"{extra_head}</head><body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>"
        f"{paragraphs}</article><footer>© Test outlet</footer></body></html>"
    )


def respond(
    status: int = 200,
    body: bytes | str = b"",
    *,
    content_type: str = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> Route:
    data = body.encode() if isinstance(body, str) else body

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    return route


def redirect(location: str, status: int = 302) -> Route:
    return respond(status, b"", headers={"Location": location})


def slow_drip(interval: float = 0.5, limit: float = 60.0) -> Route:
    """One byte every interval, forever (until the client hangs up)."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.end_headers()
        started = time.monotonic()
        try:
            while time.monotonic() - started < limit:
                handler.wfile.write(b"<")
                handler.wfile.flush()
                time.sleep(interval)
        except OSError:
            pass

    return route


def huge(size: int, *, declare_length: bool) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        if declare_length:
            handler.send_header("Content-Length", str(size))
        handler.end_headers()
        chunk = b"<p>" + b"x" * 65530 + b"</p>"
        sent = 0
        try:
            while sent < size:
                handler.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        handler.close_connection = True

    return route


def gzip_bomb(uncompressed: int = 200 * 1024 * 1024) -> Route:
    """About 200 kB on the wire, 200 MB once decompressed."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    body = b"".join(compressor.compress(block) for _ in range(uncompressed // len(block)))
    body += compressor.flush()
    return respond(200, body, content_type="text/html", headers={"Content-Encoding": "gzip"})


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.hits[path] = self.server.hits.get(path, 0) + 1
        self.server.request_headers[path] = dict(self.headers)
        route = self.server.routes.get(path)
        if route is None:
            respond(404, "not found", content_type="text/plain")(self)
            return
        route(self)

    def log_message(self, format, *args) -> None:
        pass


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        self.request_headers: dict[str, dict[str, str]] = {}
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server_address[1]}{path}"

    def reset(self) -> None:
        self.routes.clear()
        self.hits.clear()
        self.request_headers.clear()


def worker_database_url() -> str:
    """DATABASE_URL with pytest-django's test database name in it."""
    from django.conf import settings

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + settings.DATABASES["default"]["NAME"]))


WORKER_ENV = {
    # The ingestion tests check ingestion; suggestions would race their database flushes.
    "SUGGEST_ON_INGEST": "0",
    "INGEST_ALLOW_LOOPBACK": "1",
    "INGEST_RETRY_BACKOFF_SECONDS": "0.3",
    "INGEST_MAX_ATTEMPTS": "3",
    "INGEST_FETCH_DEADLINE_SECONDS": "2",
    "INGEST_READ_TIMEOUT_SECONDS": "1",
    "INGEST_MAX_FETCH_BYTES": str(5 * 1024 * 1024),
    "INGEST_LEASE_SECONDS": "8",
    "CELERY_TASK_TIME_LIMIT": "20",
    "CELERY_TASK_SOFT_TIME_LIMIT": "15",
    "CELERY_VISIBILITY_TIMEOUT": "5",
    "CONN_MAX_AGE": "0",
}


class Worker:
    """`python -m celery -A config worker` against the test database and the test Redis."""

    def __init__(self, *, concurrency: int = 2, extra_env: dict[str, str] | None = None) -> None:
        self.concurrency = concurrency
        self.env = {
            **os.environ,
            **WORKER_ENV,
            **(extra_env or {}),
            "DATABASE_URL": worker_database_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen | None = None
        self.log = ROOT / ".local" / "test-worker.log"
        self.log.parent.mkdir(exist_ok=True)

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(self.concurrency),
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            command,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        from config.celery import app

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited; see {self.log}")
            replies = app.control.ping(timeout=0.5)
            if replies:
                return
        raise RuntimeError(f"the worker did not start; see {self.log}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its children), as an OOM killer would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or condition}")
