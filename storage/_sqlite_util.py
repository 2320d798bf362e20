"""Small helpers shared by the SQLite store modules."""

from __future__ import annotations

import sqlite3

import aiosqlite

__all__ = ["execute", "fetch_all", "fetch_one", "lease_until", "rollback_quietly"]


def lease_until(now: float, lease_seconds: float) -> float:
    """The expiry time of a lease taken at `now`."""
    if lease_seconds <= 0:
        raise ValueError(f"lease_seconds must be positive, got {lease_seconds!r}")
    return now + lease_seconds


async def execute(db: aiosqlite.Connection, sql: str, params: tuple[object, ...] = ()) -> int:
    """Run one statement and return how many rows it changed."""
    async with db.execute(sql, params) as cursor:
        return cursor.rowcount


async def fetch_one(
    db: aiosqlite.Connection, sql: str, params: tuple[object, ...] = ()
) -> aiosqlite.Row | None:
    """The first row of a query, or None."""
    rows = await fetch_all(db, sql, params)
    return rows[0] if rows else None


async def fetch_all(
    db: aiosqlite.Connection, sql: str, params: tuple[object, ...] = ()
) -> list[aiosqlite.Row]:
    """All rows of a query, read in one trip to the database thread."""
    return list(await db.execute_fetchall(sql, params))


async def rollback_quietly(db: aiosqlite.Connection) -> None:
    """Queue a ROLLBACK behind everything already sent; fine if no transaction is open.

    `db.in_transaction` cannot be trusted here: after a cancellation the BEGIN may still be
    waiting in aiosqlite's queue. The queue is FIFO, so this ROLLBACK runs after it.
    """
    try:
        await db.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "no transaction is active" not in str(exc):
            raise
