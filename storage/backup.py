"""`nemobot backup`: a consistent copy of the SQLite database, taken while the bot runs."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from ._sqlite_files import create_private_file
from .errors import StoreOpenError

__all__ = ["backup_sqlite"]


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy `source` to `target` (mode 0600) with SQLite's online backup; the schema version.

    The copy is one snapshot: the bot may keep writing meanwhile (WAL readers do not block
    it, and it does not block them). It is written beside `target` and renamed into place,
    so a failed backup never leaves a half-written file under the name asked for.
    """
    if not source.is_file():
        raise StoreOpenError(f"there is no database at {source} (check NEMOBOT_DB)")
    if target.exists() and target.resolve() == source.resolve():
        raise StoreOpenError("the backup must not overwrite the database itself")
    if target.is_dir():
        target = target / source.name
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    create_private_file(partial)
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # all pages in one step: one consistent snapshot
                (check,) = dst.execute("PRAGMA quick_check").fetchone()
                (version,) = dst.execute("PRAGMA user_version").fetchone()
            finally:
                dst.close()
        finally:
            src.close()
        if check != "ok":
            raise StoreOpenError(f"the copy of {source} does not check out ({check})")
        partial.replace(target)
    except sqlite3.Error as exc:
        raise StoreOpenError.explain(source, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return int(version)
