"""Opening a database file: permissions, pragmas, migrations and schema versions."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import aiosqlite
import pytest
from store_fakes import FakeClock

from storage import SchemaVersionError, SqliteStore, Store, StoreClosedError, StoreError
from storage.schema import Migration, load_migrations, migrate, schema_version

pytestmark = pytest.mark.sqlite_only  # the file itself; PostgreSQL: test_store_postgres.py

EXPECTED_TABLES = {"users", "credentials", "sessions", "inbox", "renders", "usage"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _chmod(path: Path, mode: int) -> None:
    path.chmod(mode)


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def _tables(path: Path) -> set[str]:
    with _raw(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows if not name.startswith("sqlite_")}


async def test_new_file_is_private_including_wal_and_shm(db_path: Path, clock: FakeClock) -> None:
    previous = os.umask(0)  # even a permissive umask must not widen the mode
    try:
        async with await SqliteStore.open(db_path, clock=clock) as store:
            assert _mode(db_path) == 0o600
            await store.upsert_user("telegram", "1")
            for suffix in ("-wal", "-shm"):
                sidecar = db_path.with_name(db_path.name + suffix)
                assert sidecar.exists()
                assert _mode(sidecar) == 0o600
    finally:
        os.umask(previous)
    assert _mode(db_path) == 0o600


async def test_an_existing_file_open_to_others_is_tightened(
    db_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with await SqliteStore.open(db_path, clock=clock):
        pass
    _chmod(db_path, 0o644)
    async with await SqliteStore.open(db_path, clock=clock):
        pass
    assert _mode(db_path) == 0o600
    assert "readable by others" in caplog.text


async def test_is_a_store_and_applies_the_schema(store: SqliteStore, db_path: Path) -> None:
    assert isinstance(store, Store)
    assert _tables(db_path) >= EXPECTED_TABLES
    with _raw(db_path) as conn:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
    assert version == len(load_migrations()) >= 1


async def test_wal_and_connection_pragmas(store: SqliteStore, db_path: Path) -> None:
    with _raw(db_path) as conn:
        (journal,) = conn.execute("PRAGMA journal_mode").fetchone()
    assert journal == "wal"
    db = store._db
    assert db is not None
    for pragma, expected in (("foreign_keys", 1), ("synchronous", 1), ("busy_timeout", 5000)):
        async with db.execute(f"PRAGMA {pragma}") as cursor:
            row = await cursor.fetchone()
        assert row is not None and row[0] == expected, pragma


async def test_foreign_keys_are_enforced(store: SqliteStore) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await store.enqueue("telegram", "u1", 999, "{}", "text", "{}")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await store.bump_usage(999, turns=1)
    # The failed transaction was rolled back and the writer path still works.
    user = await store.upsert_user("telegram", "1")
    assert (await store.enqueue("telegram", "u1", user.id, "{}", "text", "{}")).position == 1


async def test_reopen_keeps_data_and_applies_nothing(db_path: Path, clock: FakeClock) -> None:
    async with await SqliteStore.open(db_path, clock=clock) as store:
        user = await store.upsert_user("telegram", "1")
    async with aiosqlite.connect(db_path, isolation_level=None) as db:
        before = await schema_version(db)
        # Up to date: migrate must not even try the DDL again (it would fail: tables exist).
        assert await migrate(db, load_migrations()) == before
    async with await SqliteStore.open(db_path, clock=clock) as store:
        assert await store.get_user(user.id) == user
    assert _tables(db_path) >= EXPECTED_TABLES


async def test_newer_schema_version_is_refused(db_path: Path, clock: FakeClock) -> None:
    async with await SqliteStore.open(db_path, clock=clock):
        pass
    with _raw(db_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(SchemaVersionError, match="schema version 99"):
        await SqliteStore.open(db_path, clock=clock)


async def test_migrations_apply_in_order_each_with_its_version(tmp_path: Path) -> None:
    migrations = [
        Migration(1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"),
        Migration(2, "0002_b.sql", "CREATE TABLE b (y INTEGER);\nINSERT INTO a VALUES (1);"),
    ]
    async with aiosqlite.connect(tmp_path / "m.db", isolation_level=None) as db:
        assert await migrate(db, migrations[:1]) == 1
        assert await migrate(db, migrations) == 2
        assert await migrate(db, migrations) == 2
        async with db.execute("SELECT COUNT(*) FROM a") as cursor:
            assert await cursor.fetchone() == (1,)


async def test_failed_migration_rolls_back_with_its_version(tmp_path: Path) -> None:
    good = Migration(1, "0001_a.sql", "CREATE TABLE a (x INTEGER);")
    bad = Migration(2, "0002_b.sql", "CREATE TABLE b (y INTEGER);\nTHIS IS NOT SQL;")
    path = tmp_path / "m.db"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        with pytest.raises(sqlite3.OperationalError):
            await migrate(db, [good, bad])
        assert await schema_version(db) == 1
        assert not db.in_transaction
    assert _tables(path) == {"a"}


def test_migration_files_must_have_no_gaps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "gappy_migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "0001_initial.sql").write_text("CREATE TABLE a (x);")
    (package / "0003_late.sql").write_text("CREATE TABLE c (x);")
    (package / "README.txt").write_text("ignored")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SchemaVersionError, match=r"0003_late\.sql"):
        load_migrations("gappy_migrations")


def test_packaged_migrations_are_numbered_from_one() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "0001_initial.sql"


async def test_memory_database_is_refused(clock: FakeClock) -> None:
    with pytest.raises(StoreError, match="memory"):
        await SqliteStore.open(":memory:", clock=clock)


async def test_closed_store_raises(db_path: Path, clock: FakeClock) -> None:
    store = await SqliteStore.open(db_path, clock=clock)
    await store.close()
    await store.close()
    with pytest.raises(StoreClosedError):
        await store.upsert_user("telegram", "1")
