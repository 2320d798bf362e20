"""Errors raised by stores."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .records import RenderJob

__all__ = [
    "RenderExistsError",
    "SchemaVersionError",
    "StoreClosedError",
    "StoreError",
    "StoreOpenError",
]


class StoreError(Exception):
    """Base class of every error a store raises on purpose."""


class SchemaVersionError(StoreError):
    """The database schema is newer than this code, or the migration files are inconsistent."""


class StoreClosedError(StoreError):
    """The store was used after `close()`."""


class RenderExistsError(StoreError):
    """`create_render` was called with a render id that is already stored, or for a message
    that already has its render (`existing`)."""

    def __init__(self, message: str, *, existing: RenderJob | None = None) -> None:
        super().__init__(message)
        self.existing = existing


class StoreOpenError(StoreError):
    """The database cannot be used; the message names it and says what to do."""

    @classmethod
    def explain(cls, path: Path, exc: sqlite3.Error) -> StoreOpenError:
        """The one line for an SQLite failure while opening `path`."""
        text = str(exc).lower()
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return cls(
                f"{path} is not a nemobot database, or it is damaged; move it aside (keep it "
                "for a recovery) or point NEMOBOT_DB at another file"
            )
        if "locked" in text or "busy" in text:
            return cls(
                f"{path} is locked by another program; close it (a database browser, a "
                "backup tool) and start again"
            )
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return cls(
                f"{path} cannot be written; check its permissions and those of its folder, "
                "or point NEMOBOT_DB elsewhere"
            )
        return cls(f"{path} cannot be opened ({exc}); check the file or point NEMOBOT_DB elsewhere")
