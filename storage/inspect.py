"""Looking at a database file without opening it for writing: what `nemobot doctor` reports."""

from __future__ import annotations

import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

from ._sqlite_files import check_location, lock_holder
from .errors import StoreOpenError
from .schema import load_migrations

__all__ = ["Finding", "inspect_database"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of a check: good or not, and what it found (with what to do)."""

    ok: bool
    text: str


def inspect_database(path: Path) -> list[Finding]:
    """Check the database at `path`: place, permissions, content, schema, who holds it."""
    try:
        check_location(path)
    except StoreOpenError as exc:
        return [Finding(False, f"database: {exc}")]
    if not path.exists():
        return [Finding(True, f"database: {path} will be created (mode 0600)")]
    findings = [_content(path)]
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        findings.append(
            Finding(False, f"database: {path} has mode {mode:o}; run chmod 600 (or start the bot)")
        )
    holder = lock_holder(path)
    if holder is not None:
        findings.append(Finding(True, f"database: in use by a running nemobot (pid {holder})"))
    return findings


def _content(path: Path) -> Finding:
    latest = len(load_migrations())
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0) as conn:
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
    return Finding(True, f"database: {path} (schema {version} of {latest})")
