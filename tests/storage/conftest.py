"""Fixtures for the storage tests: every store test runs on SQLite and on PostgreSQL.

`store` is an open store on a fresh database (a file in tmp_path, or a new database on the
test PostgreSQL server); `reopen()` opens another store on the same database, as a restarted
process (or a second worker) would. Tests marked `sqlite_only` are about the file itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from store_fakes import FakeClock, Reopen

from storage import Store, UserRecord, open_store
from tests.postgres import fresh_database

BACKENDS = ("sqlite", "postgres")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run `sqlite_only` tests once, on SQLite."""
    items[:] = [
        item
        for item in items
        if not (item.get_closest_marker("sqlite_only") and "[postgres]" in item.nodeid)
    ]


@pytest.fixture
def clock() -> FakeClock:
    """A fresh fake clock."""
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the SQLite test database lives (not created yet)."""
    return tmp_path / "data" / "nemobot.db"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which store the test runs on."""
    return str(request.param)


@pytest.fixture
async def database(backend: str, db_path: Path, request: pytest.FixtureRequest) -> str:
    """Where the store lives: a file path or a PostgreSQL URL."""
    if backend == "sqlite":
        return str(db_path)
    return await fresh_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def reopen(database: str, clock: FakeClock) -> Reopen:
    """Open another store on the test's database."""

    async def opener() -> Store:
        return await open_store(database, clock=clock)

    return opener


@pytest.fixture
async def store(reopen: Reopen) -> AsyncIterator[Store]:
    """An open store on a fresh database, closed after the test."""
    async with await reopen() as opened:
        yield opened


@pytest.fixture
async def user(store: Store) -> UserRecord:
    """One stored user."""
    return await store.upsert_user("telegram", "1001")


@pytest.fixture
async def other_user(store: Store) -> UserRecord:
    """A second stored user."""
    return await store.upsert_user("discord", "2002")
