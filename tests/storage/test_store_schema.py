"""Opening a database file: permissions, pragmas, migrations and schema versions."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import aiosqlite
import pytest
from store_fakes import FakeClock, message

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
        await store.accept(message(999, "u1"))
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await store.bump_usage(999, turns=1)
    # The failed transaction was rolled back and the writer path still works.
    user = await store.upsert_user("telegram", "1")
    assert (await store.accept(message(user.id, "u1"))).position == 1


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


# An inbox written by schema 4: (id, user, status, reached_agent), each held by a process
# that is gone. Ids 8 and 9 were answered and pruned since.
SCHEMA_4_INBOX = (
    (1, 1, "done", 1),
    (2, 1, "running", 0),  # claimed, never marked: it is run again
    (3, 1, "queued", 0),
    (4, 2, "interrupted", 1),  # the user was told: reported, they may Send again
    (5, 2, "running", 1),  # may have reached the agent: sending, to be reported
    (6, 2, "queued", 0),
    (7, 2, "cancelled", 0),
)


async def _schema_4_database(path: Path) -> None:
    """A database as nemobot left it at schema version 4 (`running`, `interrupted`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(path, isolation_level=None) as db:
        assert await migrate(db, load_migrations()[:4]) == 4
        await db.execute(
            "INSERT INTO users (id, platform, platform_user_id, created_at) "
            "VALUES (1, 'telegram', '1', 0), (2, 'telegram', '2', 0)"
        )
        held = ("old-process", 2e9)  # a lease far in the future: its process is gone anyway
        for item_id, user_id, status, reached in (
            *SCHEMA_4_INBOX,
            (8, 1, "done", 1),
            (9, 2, "failed", 0),
        ):
            owner, expires = held if status == "running" else (None, None)
            await db.execute(
                "INSERT INTO inbox (id, platform, update_id, user_id, chat, kind, payload, "
                "status, reached_agent, created_at, owner, lease_expires) "
                "VALUES (?, 'telegram', ?, ?, '{}', 'turn', '{\"text\": \"hi\"}', ?, ?, ?, ?, ?)",
                (item_id, f"u{item_id}", user_id, status, reached, item_id, owner, expires),
            )
        await db.execute("DELETE FROM inbox WHERE id IN (8, 9)")


async def test_schema_5_maps_the_old_inbox_states_onto_the_lifecycle(
    db_path: Path, clock: FakeClock
) -> None:
    await _schema_4_database(db_path)
    async with await SqliteStore.open(db_path, clock=clock) as store:
        items = [await store.get_item(item_id) for item_id, *_ in SCHEMA_4_INBOX]
        assert [(i.id, i.status, i.reached_agent) for i in items if i is not None] == [
            (1, "done", True),
            (2, "claimed", False),
            (3, "queued", False),
            (4, "reported", True),
            (5, "sending", True),
            (6, "queued", False),
            (7, "cancelled", False),
        ]
        assert all(
            i is not None and (i.owner, i.lease_expires, i.intent) == (None, None, None)
            for i in items
        )
        run = await store.claim_next(1, "new-process", 30)
        assert run is not None and (run.item.id, run.action) == (2, "run")
        report = await store.claim_next(2, "new-process", 30)
        assert report is not None and (report.item.id, report.action) == (5, "report")
        resent = await store.resend_item(4, 2)
        assert resent is not None and resent.status == "resent"
        assert (await store.accept(message(1, "u3"))).duplicate  # update ids kept
        fresh = await store.accept(message(1, "new"))
        assert fresh.item_id == 10  # the counter moved along: pruned ids are never reused
    with _raw(db_path) as conn:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
    assert version == len(load_migrations())


async def test_schema_5_keeps_the_id_counter_of_an_emptied_inbox(
    db_path: Path, clock: FakeClock
) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(db_path, isolation_level=None) as db:
        await migrate(db, load_migrations()[:4])
        await db.execute(
            "INSERT INTO users (id, platform, platform_user_id, created_at) "
            "VALUES (1, 'telegram', '1', 0)"
        )
        await db.execute(
            "INSERT INTO inbox (id, platform, update_id, user_id, chat, kind, payload, "
            "created_at) VALUES (41, 'telegram', 'u41', 1, '{}', 'turn', '{}', 0)"
        )
        await db.execute("DELETE FROM inbox")  # every answered message was pruned
    async with await SqliteStore.open(db_path, clock=clock) as store:
        assert (await store.accept(message(1, "new"))).item_id == 42
