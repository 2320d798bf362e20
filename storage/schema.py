"""Schema versions: ordered `NNNN_name.sql` files; SQLite tracks them by `PRAGMA user_version`.

Both stores read their files with `load_migrations` (PostgreSQL: `storage.pg_migrations`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from ._sqlite_util import rollback_quietly
from .errors import SchemaVersionError

__all__ = ["Migration", "load_migrations", "migrate", "schema_version"]

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: applying it moves the database to `version`."""

    version: int
    name: str
    sql: str


def load_migrations(package: str = "storage.migrations") -> list[Migration]:
    """Read the packaged migration files in order; versions must run 1, 2, 3, … without gaps."""
    found: list[Migration] = []
    for entry in resources.files(package).iterdir():
        match = _NAME.match(entry.name)
        if match is not None:
            found.append(Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise SchemaVersionError(
                f"migration files must be numbered 1..n without gaps; "
                f"expected version {expected}, found {migration.name}"
            )
    return found


async def schema_version(db: aiosqlite.Connection) -> int:
    """The database's `PRAGMA user_version`."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def migrate(db: aiosqlite.Connection, migrations: list[Migration]) -> int:
    """Apply the migrations the database lacks, each atomically with its version bump."""
    current = await schema_version(db)
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise SchemaVersionError(
            f"the database is at schema version {current}, but this nemobot only knows "
            f"versions up to {latest}; upgrade nemobot (or use another database file)"
        )
    for migration in migrations:
        if migration.version <= current:
            continue
        # executescript() runs the whole file; the explicit BEGIN/COMMIT around it makes the
        # DDL and the user_version bump one transaction (SQLite DDL and pragmas are transactional).
        script = (
            f"BEGIN IMMEDIATE;\n{migration.sql}\n;\n"
            f"PRAGMA user_version = {migration.version:d};\nCOMMIT;"
        )
        try:
            await db.executescript(script)
        except BaseException:
            await rollback_quietly(db)
            raise
        current = migration.version
    return current
