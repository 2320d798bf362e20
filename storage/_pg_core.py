"""The PostgreSQL pool, ordered migrations, and the notifications that wake other workers.

Every operation is one transaction on a connection of an asyncpg pool. Several workers share
the database: claims lock rows with `FOR UPDATE SKIP LOCKED`, so a worker never waits on a
row another one is claiming, and each new inbox message is announced with `NOTIFY` so an
idle worker takes it up at once.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self, TypeVar

import asyncpg

from .errors import StoreClosedError, StoreOpenError
from .queries import Dialect, Policy, run_pg
from .schema import Migration, load_migrations

__all__ = ["CHANNEL", "PgCore", "pg_migrations"]

log = logging.getLogger(__name__)

T = TypeVar("T")
# NOTIFY payload: "line:<platform>:<user id>" or "side:<platform>:<item id>".
CHANNEL = "nemobot_work"
_MIGRATION_LOCK = 7_243_001  # pg_advisory_lock key: one worker migrates at a time


def pg_migrations() -> list[Migration]:
    """The packaged PostgreSQL migrations, in order, numbered 1..n without gaps."""
    return load_migrations("storage.pg_migrations")


class PgCore:
    """A pool on one PostgreSQL database, shared by every worker."""

    shared = True  # several processes may use the database at once

    def __init__(self, pool: asyncpg.Pool, url: str, clock: Callable[[], float]) -> None:
        """Wrap an open, migrated pool; use `open()` instead of calling this."""
        self._pool: asyncpg.Pool | None = pool
        self._url = url
        self._clock = clock
        self._listener: asyncpg.Connection | None = None

    @classmethod
    async def open(
        cls, url: str, *, clock: Callable[[], float] = time.time, max_size: int = 10
    ) -> Self:
        """Connect to `url` (postgresql://…) and apply the migrations it lacks."""
        store = cls(await _pool(url, max_size), url, clock)
        try:
            await store._migrate()
        except BaseException:
            await store.close()
            raise
        return store

    async def twin(self) -> Self:
        """A small pool of its own on the same database, for another thread's event loop."""
        if self._pool is None:
            raise StoreClosedError("the store is closed")
        return type(self)(await _pool(self._url, 2), self._url, self._clock)

    async def _migrate(self) -> None:
        migrations = pg_migrations()
        async with self._connection() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                    "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                current = await conn.fetchval(
                    "SELECT coalesce(max(version), 0) FROM schema_migrations"
                )
                if current > len(migrations):
                    raise StoreOpenError(
                        f"the PostgreSQL database is at schema {current}, newer than this "
                        f"nemobot ({len(migrations)}); upgrade nemobot"
                    )
                for migration in migrations[current:]:
                    async with conn.transaction():
                        await conn.execute(migration.sql)
                        await conn.execute(
                            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                            migration.version,
                            migration.name,
                        )
                    log.info("PostgreSQL schema: applied %s", migration.name)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)

    async def close(self) -> None:
        """Close the listener and the pool; safe to call twice."""
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def __aenter__(self) -> Self:
        """Return the open store."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        await self.close()

    async def listen(self, on_work: Callable[[str], None]) -> None:
        """Call `on_work(payload)` for each announced message (from any worker)."""
        if self._pool is None:
            raise StoreClosedError("the store is closed")
        listener = await asyncpg.connect(self._url)

        def received(_conn: object, _pid: int, _channel: str, payload: object) -> None:
            on_work(str(payload))

        await listener.add_listener(CHANNEL, received)
        self._listener = listener

    def _now(self) -> float:
        return float(self._clock())

    def _connection(self) -> Any:
        if self._pool is None:
            raise StoreClosedError("the store is closed")
        return self._pool.acquire()

    async def _tx(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run `work` as one transaction."""
        async with self._connection() as conn, conn.transaction():
            return await work(conn)

    async def _transact(self, dialect: Dialect, work: Policy[T]) -> T:
        """Run a policy as one transaction (see `storage.queries`)."""
        async with self._connection() as conn, conn.transaction():
            return await run_pg(conn, dialect, work)

    async def _look(self, dialect: Dialect, work: Policy[T]) -> T:
        """Run a read-only policy."""
        async with self._connection() as conn:
            return await run_pg(conn, dialect, work)

    async def _fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        async with self._connection() as conn:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows

    async def _execute(self, sql: str, *args: object) -> int:
        """Run one statement; the number of rows it touched."""
        async with self._connection() as conn:
            return _count(await conn.execute(sql, *args))

    async def _change_one(self, sql: str, *args: object) -> bool:
        return await self._execute(sql, *args) == 1


def _count(status: str) -> int:
    """Rows touched, from a command tag such as "UPDATE 3" or "INSERT 0 1"."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


async def _pool(url: str, max_size: int) -> asyncpg.Pool:
    try:
        return await asyncpg.create_pool(url, min_size=1, max_size=max_size)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StoreOpenError(f"cannot open the PostgreSQL database: {_why(exc)}") from None


def _why(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return re.sub(r"://[^@/]*@", "://…@", text)  # a password in the URL stays out
