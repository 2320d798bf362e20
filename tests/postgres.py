"""A real PostgreSQL for the tests: `NEMOBOT_TEST_POSTGRES_URL`, or a throwaway cluster.

Without a URL, the local binaries (`initdb`, `pg_ctl`; Debian's `postgresql` package) start a
cluster on a free port in a temporary folder, once per test session. PostgreSQL refuses to
run as root, so as root the cluster runs as the `postgres` user (or `nobody`). Where neither
is possible the PostgreSQL tests skip with the reason; with `NEMOBOT_REQUIRE_POSTGRES=1`
(CI) that skip is a failure instead.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

__all__ = ["PostgresServer", "fresh_database", "postgres_server", "require_postgres"]

_USER = "nemobot"


@dataclass(frozen=True)
class PostgresServer:
    """A server the tests may create databases on (`url` points at its `postgres` db)."""

    url: str

    def database_url(self, name: str) -> str:
        """The URL of database `name` on this server."""
        base, _, _ = self.url.rpartition("/")
        return f"{base}/{name}"


def require_postgres() -> bool:
    """CI demands the PostgreSQL tests run."""
    return os.environ.get("NEMOBOT_REQUIRE_POSTGRES", "") not in ("", "0")


def _unavailable(reason: str) -> None:
    if require_postgres():
        pytest.fail(f"NEMOBOT_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


def _runner() -> str | None:
    """The user to run the cluster as (None: ourselves, when not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _cluster(bin_dir: Path) -> Iterator[PostgresServer]:
    user = _runner()
    if os.geteuid() == 0 and user is None:
        _unavailable("running as root and no unprivileged user to run PostgreSQL as")
    home = Path(tempfile.mkdtemp(prefix="nemobot-pg-"))
    data, sockets = home / "data", home / "sockets"
    sockets.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (home, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    home.chmod(0o700)
    port = _free_port()
    run = {"user": user, "capture_output": True, "text": True, "check": False, "timeout": 120}
    made = subprocess.run(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", _USER, "--auth=trust", "-E", "UTF8"],
        **run,  # type: ignore[call-overload]
    )
    if made.returncode != 0:
        shutil.rmtree(home, ignore_errors=True)
        _unavailable(f"initdb failed: {made.stderr.strip()[-300:]}")
    options = (
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    started = subprocess.run(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(home / "log"),
            "-w",
            "start",
        ],
        **run,  # type: ignore[call-overload]
    )
    if started.returncode != 0:
        log = (home / "log").read_text(errors="replace")[-500:] if (home / "log").exists() else ""
        shutil.rmtree(home, ignore_errors=True)
        _unavailable(f"pg_ctl start failed: {started.stderr.strip()[-300:]} {log}")
    try:
        yield PostgresServer(f"postgresql://{_USER}@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            **run,  # type: ignore[call-overload]
        )
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session."""
    url = os.environ.get("NEMOBOT_TEST_POSTGRES_URL")
    if url:
        yield PostgresServer(url)
        return
    bin_dir = _binaries()
    if bin_dir is None:
        _unavailable("no PostgreSQL here: set NEMOBOT_TEST_POSTGRES_URL or install postgresql")
    assert bin_dir is not None
    with _cluster(bin_dir) as server:
        yield server


async def fresh_database(server: PostgresServer) -> str:
    """Create an empty database on `server`; its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(server.url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.database_url(name)
