"""A throwaway PostgreSQL cluster from the local binaries (Debian's `postgresql` package).

`initdb` + `pg_ctl` on a free port in a temporary folder. PostgreSQL refuses to run as root,
so as root the cluster runs as the `postgres` user (or `nobody`). Used by the tests' fixture
(tests/postgres.py) and by the scale benchmark (bench/scale.py).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cluster", "PostgresUnavailable", "binaries", "cluster"]

USER = "nemobot"


class PostgresUnavailable(Exception):
    """No cluster can be started here; the message says why."""


@dataclass(frozen=True)
class Cluster:
    """A running cluster: the URL of its `postgres` database, and its data folder."""

    url: str
    data: Path

    @property
    def pid(self) -> int:
        """The postmaster's process id (its server processes are its children)."""
        return int((self.data / "postmaster.pid").read_text(encoding="ascii").split()[0])


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl, or None."""
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
def cluster(bin_dir: Path, *, durable: bool = False) -> Iterator[Cluster]:
    """A running cluster until the block ends.

    `durable` keeps PostgreSQL's defaults (fsync, synchronous commits), as a benchmark
    needs; without it nothing is forced to disk, as tests need.
    """
    user = _runner()
    if os.geteuid() == 0 and user is None:
        raise PostgresUnavailable("running as root and no unprivileged user to run PostgreSQL as")
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
        [str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8"],
        **run,  # type: ignore[call-overload]
    )
    if made.returncode != 0:
        shutil.rmtree(home, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {made.stderr.strip()[-300:]}")
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c max_connections=200"
    if not durable:  # tests: nothing is kept after the run, so nothing need reach the disk
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
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
        raise PostgresUnavailable(f"pg_ctl start failed: {started.stderr.strip()[-300:]} {log}")
    try:
        yield Cluster(f"postgresql://{USER}@127.0.0.1:{port}/postgres", data)
    finally:
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            **run,  # type: ignore[call-overload]
        )
        shutil.rmtree(home, ignore_errors=True)
