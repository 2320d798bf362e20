"""The SQLite connection, its single writer path and opening a database file."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

import aiosqlite

from ._sqlite_util import execute, rollback_quietly
from .errors import StoreClosedError, StoreError
from .schema import load_migrations, migrate

__all__ = ["BUSY_TIMEOUT_MS", "SqliteCore", "create_private_file"]

BUSY_TIMEOUT_MS = 5000


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (SQLite then uses it as a new DB)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        # The umask can only remove bits, but an odd umask could leave the owner unable to write.
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


class SqliteCore:
    """One aiosqlite connection; every transaction runs under one lock with BEGIN IMMEDIATE."""

    def __init__(
        self, db: aiosqlite.Connection, reader: aiosqlite.Connection, clock: Callable[[], float]
    ) -> None:
        """Wrap open, migrated connections; use `open()` instead of calling this."""
        self._db: aiosqlite.Connection | None = db
        # WAL lets readers run beside the writer: reads never wait for the write lock.
        self._reader: aiosqlite.Connection | None = reader
        self._clock = clock
        self._lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, *, clock: Callable[[], float] = time.time) -> Self:
        """Open (creating with mode 0600, migrating) the database file at `path`.

        A SQLite file belongs to one process, so every lease found on open is treated as
        expired: whoever held it is gone. (The PostgreSQL store relies on lease expiry.)
        """
        path = Path(path)
        if str(path) == ":memory:":
            raise StoreError("SqliteStore needs a database file, not :memory:")
        create_private_file(path)
        db = await aiosqlite.connect(path, isolation_level=None)
        reader: aiosqlite.Connection | None = None
        try:
            db.row_factory = aiosqlite.Row
            await _configure(db)
            await migrate(db, load_migrations())
            reader = await aiosqlite.connect(path, isolation_level=None)
            reader.row_factory = aiosqlite.Row
            await reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
            await reader.execute("PRAGMA query_only = ON")
            store = cls(db, reader, clock)
            await store._expire_all_leases()
        except BaseException:
            await db.close()
            if reader is not None:
                await reader.close()
            raise
        return store

    async def close(self) -> None:
        """Close the connection; safe to call twice."""
        db, self._db = self._db, None
        reader, self._reader = self._reader, None
        if reader is not None:
            async with self._read_lock:
                await reader.close()
        if db is not None:
            async with self._lock:
                await db.close()

    async def __aenter__(self) -> Self:
        """Return the already open store (`async with await SqliteStore.open(p) as store`)."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        await self.close()

    def _now(self) -> float:
        return float(self._clock())

    def _conn(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StoreClosedError("the store is closed")
        return self._db

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the body as one write transaction, alone on the connection."""
        async with self._lock:
            db = self._conn()
            try:
                await db.execute("BEGIN IMMEDIATE")
                yield db
            except BaseException:
                # Also on cancellation: the lock must never be released with a transaction
                # open (or still queued to open) on the shared connection.
                await rollback_quietly(db)
                raise
            await db.execute("COMMIT")

    async def _change_one(self, sql: str, params: tuple[object, ...]) -> bool:
        """Run one statement as its own write transaction; True if it changed exactly one row."""
        async with self._tx() as db:
            return await execute(db, sql, params) == 1

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[aiosqlite.Connection]:
        """The read connection: committed data only, never waiting for the writer.

        Reads take turns on it: a statement left open by one coroutine would hold the
        connection's snapshot, and another's read could then miss a fresh commit.
        """
        async with self._read_lock:
            if self._reader is None:
                raise StoreClosedError("the store is closed")
            yield self._reader

    async def _expire_all_leases(self) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE inbox SET owner = NULL, lease_expires = NULL WHERE status = 'running'"
            )
            await db.execute(
                "UPDATE renders SET owner = NULL, lease_expires = NULL "
                "WHERE owner IS NOT NULL OR lease_expires IS NOT NULL"
            )


async def _configure(db: aiosqlite.Connection) -> None:
    async with db.execute("PRAGMA journal_mode = WAL") as cursor:
        row = await cursor.fetchone()
    if row is None or str(row[0]).lower() != "wal":
        raise StoreError(f"could not switch the database to WAL mode (got {row!r})")
    await db.execute("PRAGMA foreign_keys = ON")
    await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
    await db.execute("PRAGMA synchronous = NORMAL")
