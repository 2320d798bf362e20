"""Fixtures for the storage tests: a real database file in tmp_path and a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from store_fakes import FakeClock

from storage import SqliteStore, UserRecord


@pytest.fixture
def clock() -> FakeClock:
    """A fresh fake clock."""
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test database lives (not created yet)."""
    return tmp_path / "data" / "nemobot.db"


@pytest.fixture
async def store(db_path: Path, clock: FakeClock) -> AsyncIterator[SqliteStore]:
    """An open store on a fresh file, closed after the test."""
    async with await SqliteStore.open(db_path, clock=clock) as opened:
        yield opened


@pytest.fixture
async def user(store: SqliteStore) -> UserRecord:
    """One stored user."""
    return await store.upsert_user("telegram", "1001")


@pytest.fixture
async def other_user(store: SqliteStore) -> UserRecord:
    """A second stored user."""
    return await store.upsert_user("discord", "2002")
