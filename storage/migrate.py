"""`nemobot migrate-db SRC DST`: move a SQLite database into an empty PostgreSQL one.

Every row is copied with its id (so inbox order, dedupe keys, button refs and render ids
keep working), in one PostgreSQL transaction: either everything arrives or nothing does.
The SQLite file must not be in use (its lock is taken for the copy).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg

from ._sqlite_files import ProcessLock, check_location
from .errors import StoreOpenError
from .opening import is_postgres, sqlite_path
from .postgres import PostgresStore
from .schema import load_migrations

__all__ = ["TABLES", "migrate_database"]

# In an order that satisfies the foreign keys; the columns both schemas share.
TABLES: dict[str, tuple[str, ...]] = {
    "users": ("id", "platform", "platform_user_id", "language", "created_at"),
    "credentials": (
        "user_id",
        "client_id",
        "anon_token",
        "anon_user_id",
        "anon_expires_at",
        "login_token",
    ),
    "sessions": ("user_id", "account", "session_id", "task_id", "created_at"),
    "inbox": (
        "id",
        "platform",
        "update_id",
        "user_id",
        "chat",
        "kind",
        "payload",
        "status",
        "reached_agent",
        "created_at",
        "finished_at",
        "owner",
        "lease_expires",
        "lane",
        "group_key",
        "intent",
        "press_key",
    ),
    "renders": (
        "render_id",
        "user_id",
        "chat",
        "session_id",
        "status",
        "progress",
        "output_url",
        "error",
        "attempt",
        "submitted_at",
        "finished_at",
        "delivered",
        "created_at",
        "owner",
        "lease_expires",
        "item_id",
    ),
    "usage": ("user_id", "turns", "images", "exports", "uploads"),
    "images": (
        "id",
        "user_id",
        "session_id",
        "media_key",
        "url",
        "prompt",
        "posted",
        "created_at",
    ),
    "access_rules": ("who", "rule", "set_by", "set_at"),
    "daily_spending": ("day", "scope", "user_id", "turns", "images", "exports"),
    "extras": ("user_id", "turns", "images", "exports"),
    "star_payments": (
        "charge_id",
        "user_id",
        "pack",
        "stars",
        "turns",
        "images",
        "exports",
        "paid_at",
        "refunded_at",
    ),
    "chat_settings": (
        "platform",
        "space",
        "access",
        "language",
        "quiet",
        "member_turns",
        "channels",
        "set_by",
        "set_at",
    ),
}
_BOOLEANS = {"reached_agent", "delivered", "posted", "quiet"}
_IDENTITY = {"users", "inbox", "images"}  # ids copied as they are, sequences moved past them
_ORDER = {"renders": "created_at, rowid"}


async def migrate_database(source: str, target: str) -> dict[str, int]:
    """Copy SQLite `source` into empty PostgreSQL `target`; rows copied per table."""
    if is_postgres(source) or not is_postgres(target):
        raise StoreOpenError("migrate-db copies a SQLite file into a postgresql:// database")
    path = sqlite_path(source)
    check_location(path)
    if not path.is_file():
        raise StoreOpenError(f"there is no database at {path}")
    lock = ProcessLock.take(path)  # a running bot would keep writing behind the copy
    try:
        rows = _read_all(path)
    finally:
        lock.release()
    # Opening migrates the PostgreSQL schema; the store is closed before the copy.
    await (await PostgresStore.open(target)).close()
    conn = await asyncpg.connect(target)
    try:
        async with conn.transaction():
            if await conn.fetchval("SELECT count(*) FROM users"):
                raise StoreOpenError(
                    "the PostgreSQL database already has users; migrate into an empty one"
                )
            for table, columns in TABLES.items():
                values = [_converted(row, columns) for row in rows[table]]
                if values:
                    await conn.copy_records_to_table(table, records=values, columns=columns)
            for table in _IDENTITY:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
    finally:
        await conn.close()
    return {table: len(found) for table, found in rows.items()}


def _read_all(path: Path) -> dict[str, list[sqlite3.Row]]:
    latest = len(load_migrations())
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version != latest:
            raise StoreOpenError(
                f"{path} is at schema {version}; start this nemobot on it once (it upgrades "
                f"the file to schema {latest}), stop it, then migrate"
            )
        return {
            table: db.execute(
                f"SELECT {', '.join(columns)} FROM {table} ORDER BY {_ORDER.get(table, '1')}"
            ).fetchall()
            for table, columns in TABLES.items()
        }


def _converted(row: sqlite3.Row, columns: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(
        bool(row[name]) if name in _BOOLEANS else _float_if_time(name, row[name])
        for name in columns
    )


def _float_if_time(name: str, value: object) -> object:
    if value is not None and name.endswith(("_at", "_expires")) and isinstance(value, int):
        return float(value)  # SQLite may hold a whole number where PostgreSQL wants a double
    return value
