"""Looking at a database file without disturbing it: what `nemobot doctor` reports.

Nothing here needs the process lock, so it works beside a running nemobot; the database is
opened for writing (a transaction begun and rolled back) only when no nemobot holds it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ._sqlite_files import check_location, lock_holder, lock_path
from .errors import StoreOpenError
from .schema import load_migrations

__all__ = ["Finding", "inspect_database"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of a check: good or not, and what it found (with what to do)."""

    ok: bool
    text: str


def inspect_database(path: Path) -> list[Finding]:
    """Check the database at `path`: place, content, schema, mode, writable, who uses it."""
    try:
        check_location(path)
    except StoreOpenError as exc:
        return [Finding(False, f"database: {exc}")]
    if not path.exists():
        return [Finding(True, f"database: {path} will be created (mode 0600)")]
    content = _content(path)
    findings = [content, _mode(path), _writable(path)]
    holder = lock_holder(path)
    if holder is not None:
        findings.append(
            Finding(
                True, f"database: in use by a running nemobot (pid {holder}), checked read-only"
            )
        )
    elif content.ok:
        findings.append(_not_locked(path))
    return findings


def _uri(path: Path, mode: str) -> str:
    # as_uri() percent-encodes: a '?' or '#' in the path must not end it.
    return f"{path.resolve().as_uri()}?mode={mode}"


def _content(path: Path) -> Finding:
    latest = len(load_migrations())
    try:
        with closing(sqlite3.connect(_uri(path, "ro"), uri=True, timeout=1.0)) as conn:
            (check,) = conn.execute("PRAGMA quick_check").fetchone()
            (version,) = conn.execute("PRAGMA user_version").fetchone()
    except sqlite3.Error as exc:
        return Finding(False, f"database: {StoreOpenError.explain(path, exc)}")
    if check != "ok":
        return Finding(False, f"database: {path} is damaged ({check}); restore a backup")
    if version > latest:
        return Finding(
            False, f"database: {path} is at schema {version}, newer than this nemobot ({latest})"
        )
    return Finding(True, f"database: {path} opens (schema {version} of {latest})")


def _mode(path: Path) -> Finding:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Finding(
            False,
            f"database: {path} has mode {mode:o}, open to other users; run chmod 600 {path} "
            "(nemobot also does it when it starts)",
        )
    return Finding(True, f"database: mode {mode:o}, private to its owner")


def _writable(path: Path) -> Finding:
    """The journal and lock files beside it (the file and folder passed check_location)."""
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if extra.exists() and not os.access(extra, os.R_OK | os.W_OK):
            return _not_writable(extra, "SQLite cannot write the database without it")
    lock = lock_path(path)
    if lock.exists() and not os.access(lock, os.R_OK | os.W_OK):
        return _not_writable(lock, "nemobot cannot start without it")
    return Finding(
        True, "database: the file, its folder and journal files are writable by this user"
    )


def _not_writable(path: Path, why: str) -> Finding:
    return Finding(
        False,
        f"database: {path} is not writable by this user (owner uid {path.stat().st_uid}) and "
        f"{why}; give it back to the user that runs nemobot (chown, chmod u+rw)",
    )


def _not_locked(path: Path) -> Finding:
    """Begin a write and roll it back: refused while another program holds the write lock."""
    try:
        with closing(
            sqlite3.connect(_uri(path, "rw"), uri=True, timeout=0.5, isolation_level=None)
        ) as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        return Finding(False, f"database: {StoreOpenError.explain(path, exc)}")
    return Finding(True, "database: writable now, no other process is using it")
