"""Which store `NEMOBOT_DB` names: a file (SQLite) or a `postgresql://` URL (PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .base import Store

__all__ = ["is_postgres", "open_store", "sqlite_path"]

_POSTGRES = ("postgresql://", "postgres://")
_SQLITE = "sqlite:///"


def is_postgres(location: str | Path) -> bool:
    """`location` is a PostgreSQL URL."""
    return str(location).startswith(_POSTGRES)


def sqlite_path(location: str | Path) -> Path:
    """The file of a SQLite location: a path, or `sqlite:///relative` / `sqlite:////absolute`."""
    text = str(location)
    return Path(text[len(_SQLITE) :] if text.startswith(_SQLITE) else text)


async def open_store(location: str | Path, *, clock: Callable[[], float] = time.time) -> Store:
    """Open (creating and migrating as needed) the store at `location`."""
    if is_postgres(location):
        from .postgres import PostgresStore  # asyncpg is only loaded when it is used

        return await PostgresStore.open(str(location), clock=clock)
    from .sqlite import SqliteStore

    return await SqliteStore.open(sqlite_path(location), clock=clock)
