"""The SQLite connections, one trip to the database thread per transaction, and opening a file.

Every write is a plain function run as one `BEGIN IMMEDIATE … COMMIT` on the writer
connection's own thread, so a write costs one hop between the event loop and that thread,
however many statements it has, and a cancelled caller can never leave a transaction half
done. Reads run the same way on a second, query-only connection (WAL lets them run beside
the writer).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import aiosqlite

from ._sqlite_batch import TurnLock, WriteBatches, transaction
from ._sqlite_checkpoint import CHECKPOINT_SECONDS, NO_AUTOCHECKPOINT, Checkpoints
from ._sqlite_files import ProcessLock, check_location, create_private_file, tighten
from .errors import StoreClosedError, StoreError, StoreOpenError
from .queries import Dialect, Policy, run_sqlite
from .schema import load_migrations, migrate, schema_version

__all__ = ["BUSY_TIMEOUT_MS", "SqliteCore", "in_thread"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")


Connection = aiosqlite.Connection | sqlite3.Connection
# How every writer and reader is set up: a store's (aiosqlite), a twin's (plain sqlite3), and
# the reader of a store opened to read only.
_WRITER = (
    "PRAGMA foreign_keys = ON",
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}",
    "PRAGMA synchronous = NORMAL",
    NO_AUTOCHECKPOINT,
)
_READER = (f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}", "PRAGMA query_only = ON")


async def in_thread(db: Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """Run `work(connection)` on the aiosqlite connection's own thread, in one trip.

    aiosqlite sends each of its calls through `Connection._execute`; going through it once
    with the whole transaction is what makes a write one hop instead of one per statement.
    A plain sqlite3 connection (a twin's reader, on the accepting thread) runs `work` right
    here: a read under WAL never waits for a writer, and costs less than a hop would. (A
    twin's writes go through `WriteBatches`.)
    """
    if isinstance(db, sqlite3.Connection):
        return work(db)
    raw: sqlite3.Connection = db._conn
    execute: Callable[..., Awaitable[T]] = db._execute
    return await execute(work, raw)


class SqliteCore:
    """A writer and a reader connection on one database file, held by one process."""

    shared = False  # one process: it wakes its own work, nobody else announces any

    def __init__(
        self,
        db: Connection | None,
        reader: Connection,
        clock: Callable[[], float],
        lock: ProcessLock | None,
        path: Path | None = None,
        turn: TurnLock | None = None,
    ) -> None:
        """Wrap open, migrated connections; use `open()` instead of calling this."""
        self._db: Connection | None = db
        self._reader: Connection | None = reader
        self._clock = clock
        self._lock = lock
        self._path = path
        self._turn = turn or TurnLock()  # shared with this store's twins
        self._checkpoints: Checkpoints | None = None
        # A twin's plain connection writes in batches (see `_sqlite_batch`).
        self._batches = WriteBatches(db, self._turn) if isinstance(db, sqlite3.Connection) else None

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        checkpoint_every: float = CHECKPOINT_SECONDS,
    ) -> Self:
        """Open (creating with mode 0600, migrating) the database file at `path`.

        The file belongs to one process: a second one is refused (`StoreOpenError`), and
        every lease found on open is expired, since whoever held it is gone. Every way the
        file can be unusable is one `StoreOpenError` naming the path and what to do.
        """
        path = Path(path)
        if str(path) == ":memory:":
            raise StoreError("SqliteStore needs a database file, not :memory:")
        check_location(path)
        lock = ProcessLock.take(path)
        try:
            create_private_file(path)
            tighten(path)
            db, reader = await _connect_both(path)
        except BaseException:
            lock.release()
            raise
        store = cls(db, reader, clock, lock, path)
        try:
            await store._write(_expire_all_leases)
            store._checkpoints = Checkpoints.start(path, checkpoint_every)
        except BaseException as exc:
            await store.close()  # aiosqlite's threads would keep the process alive
            if isinstance(exc, sqlite3.Error):
                raise StoreOpenError.explain(path, exc) from None
            raise
        return store

    @classmethod
    async def open_reader(cls, path: str | Path, *, clock: Callable[[], float] = time.time) -> Self:
        """Open an existing database to read only, beside a bot that may be running on it.

        Takes no lock and changes nothing (for `nemobot stats`); writes raise StoreError.
        """
        path = Path(path)
        if not path.is_file():
            raise StoreOpenError(f"there is no database at {path} (check NEMOBOT_DB)")
        try:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            reader = await aiosqlite.connect(uri, uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreOpenError.explain(path, exc) from None
        reader.row_factory = aiosqlite.Row
        try:
            for setting in _READER:
                await reader.execute(setting)
            version = await schema_version(reader)
        except sqlite3.Error as exc:
            await reader.close()
            raise StoreOpenError.explain(path, exc) from None
        latest = len(load_migrations())
        if version != latest:
            await reader.close()
            raise StoreOpenError(
                f"{path} is at schema {version}, this nemobot reads {latest}; "
                "start the bot once to upgrade it (or use the matching nemobot)"
            )
        return cls(None, reader, clock, None)

    async def twin(self) -> Self:
        """Another writer and reader on the same file, for another thread's event loop.

        Its connections are plain sqlite3 ones: reads run on the thread that awaits them (no
        hop), writes in batches, each batch in the file's turn with this store's writer
        (`TurnLock`, `_sqlite_batch`), never in the queue of this store's calls. It holds no
        lock: the file stays this store's.
        """
        if self._db is None or self._path is None:
            raise StoreClosedError("the store is closed (or opened to read only)")
        try:
            db, reader = _connect_here(self._path)
        except sqlite3.Error as exc:
            raise StoreOpenError.explain(self._path, exc) from None
        return type(self)(db, reader, self._clock, None, self._path, self._turn)

    async def listen(self, on_work: Callable[[str], None]) -> None:
        """Nothing to listen for: only this process writes to the file."""
        return None

    async def close(self) -> None:
        """Close the connections and give up the file; safe to call twice."""
        checkpoints, self._checkpoints = self._checkpoints, None
        if checkpoints is not None:
            await checkpoints.close()
        db, self._db = self._db, None
        reader, self._reader = self._reader, None
        for connection in (reader, db):
            if isinstance(connection, sqlite3.Connection):
                with self._turn:  # never under a batch still running on its worker thread
                    connection.close()
            elif connection is not None:
                await connection.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

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

    async def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` as one write transaction, in one trip to the writer's thread."""
        if self._db is None:
            if self._reader is not None:
                raise StoreError("this store was opened to read only")
            raise StoreClosedError("the store is closed")
        if self._batches is not None:
            return await self._batches.write(work)
        return await in_thread(self._db, lambda conn: transaction(work, conn, self._turn))

    async def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` on the read connection (committed data only), in one trip."""
        if self._reader is None:
            raise StoreClosedError("the store is closed")
        return await in_thread(self._reader, work)

    async def _transact(self, dialect: Dialect, work: Policy[T]) -> T:
        """Run a policy as one write transaction (see `storage.queries`)."""
        return await self._write(lambda conn: run_sqlite(conn, dialect, work))

    async def _look(self, dialect: Dialect, work: Policy[T]) -> T:
        """Run a read-only policy on the read connection."""
        return await self._read(lambda conn: run_sqlite(conn, dialect, work))

    async def _change_one(self, sql: str, params: tuple[object, ...]) -> bool:
        """One statement as its own write transaction; True if it changed exactly one row."""
        return await self._write(lambda conn: conn.execute(sql, params).rowcount == 1)

    async def _fetch(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """All rows of one read query."""
        return await self._read(lambda conn: conn.execute(sql, params).fetchall())


def _expire_all_leases(conn: sqlite3.Connection) -> None:
    # Whoever held them is gone: the next claim takes each over as the lifecycle says.
    conn.execute(
        "UPDATE inbox SET owner = NULL, lease_expires = NULL "
        "WHERE status IN ('claimed', 'sending', 'reporting')"
    )
    conn.execute(
        "UPDATE renders SET owner = NULL, lease_expires = NULL "
        "WHERE owner IS NOT NULL OR lease_expires IS NOT NULL"
    )


async def _connect_both(path: Path) -> tuple[aiosqlite.Connection, aiosqlite.Connection]:
    """The writer (WAL, migrated) and the query-only reader; errors as StoreOpenError."""
    opened: list[aiosqlite.Connection] = []
    try:
        db = await aiosqlite.connect(path, isolation_level=None)
        opened.append(db)
        db.row_factory = aiosqlite.Row
        await _configure(db)
        await migrate(db, load_migrations())
        reader = await aiosqlite.connect(path, isolation_level=None)
        opened.append(reader)
        reader.row_factory = aiosqlite.Row
        for setting in _READER:
            await reader.execute(setting)
        return db, reader
    except sqlite3.Error as exc:
        for connection in opened:
            await connection.close()
        raise StoreOpenError.explain(path, exc) from None
    except BaseException:
        for connection in opened:
            await connection.close()
        raise


def _connect_here(path: Path) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    """A writer and a query-only reader for this thread, on a file already in WAL and migrated."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for connection, settings in ((db, _WRITER), (reader, _READER)):
        connection.row_factory = sqlite3.Row
        for setting in settings:
            connection.execute(setting)
    return db, reader


async def _configure(db: aiosqlite.Connection) -> None:
    async with db.execute("PRAGMA journal_mode = WAL") as cursor:
        row: Any = await cursor.fetchone()
    if row is None or str(row[0]).lower() != "wal":
        raise StoreError(f"could not switch the database to WAL mode (got {row!r})")
    for setting in _WRITER:
        await db.execute(setting)
