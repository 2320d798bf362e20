"""Small helpers shared by the SQLite store modules (they run on the database thread)."""

from __future__ import annotations

import sqlite3

import aiosqlite

__all__ = ["marks", "one", "rollback_quietly"]


def one(conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Row | None:
    """The first row of a query, or None."""
    row: sqlite3.Row | None = conn.execute(sql, params).fetchone()
    return row


def marks(count: int) -> str:
    """`?, ?, ?` for an IN list of `count` values."""
    return ", ".join("?" for _ in range(count))


async def rollback_quietly(db: aiosqlite.Connection) -> None:
    """Queue a ROLLBACK behind everything already sent; fine if no transaction is open."""
    try:
        await db.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "no transaction is active" not in str(exc):
            raise
