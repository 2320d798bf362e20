"""A real PostgreSQL for the tests: `NEMOBOT_TEST_POSTGRES_URL`, or a throwaway cluster.

Without a URL, the local binaries start a cluster once per test session (tests/pg_cluster.py).
Where neither is possible the PostgreSQL tests skip with the reason; with
`NEMOBOT_REQUIRE_POSTGRES=1` (CI) that skip is a failure instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg
import pytest

from tests.pg_cluster import PostgresUnavailable, binaries, cluster

__all__ = ["PostgresServer", "fresh_database", "postgres_server", "require_postgres"]


@dataclass(frozen=True)
class PostgresServer:
    """A server the tests may create databases on (`url` points at its `postgres` db)."""

    url: str

    def database_url(self, name: str) -> str:
        """The URL of database `name` on this server."""
        base, _, _ = self.url.rpartition("/")
        return f"{base}/{name}"


def require_postgres() -> bool:
    """CI demands the PostgreSQL tests run."""
    return os.environ.get("NEMOBOT_REQUIRE_POSTGRES", "") not in ("", "0")


def _unavailable(reason: str) -> None:
    if require_postgres():
        pytest.fail(f"NEMOBOT_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session."""
    url = os.environ.get("NEMOBOT_TEST_POSTGRES_URL")
    if url:
        yield PostgresServer(url)
        return
    bin_dir = binaries()
    if bin_dir is None:
        _unavailable("no PostgreSQL here: set NEMOBOT_TEST_POSTGRES_URL or install postgresql")
    assert bin_dir is not None
    try:
        with cluster(bin_dir) as running:
            yield PostgresServer(running.url)
    except PostgresUnavailable as exc:
        _unavailable(str(exc))


async def fresh_database(server: PostgresServer) -> str:
    """Create an empty database on `server`; its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(server.url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.database_url(name)
