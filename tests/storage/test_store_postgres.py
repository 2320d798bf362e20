"""PostgreSQL with several workers: claims, dedupe, recovery and renders never overlap.

Each "worker" is its own `PostgresStore` (its own pool) on the same database, as separate
processes would be.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from store_fakes import FakeClock

from storage import StoreOpenError
from storage._pg_core import pg_migrations
from storage.postgres import PostgresStore
from tests.postgres import PostgresServer, fresh_database

SESSION = "1234567890123456789"


@pytest.fixture
async def url(postgres_server: PostgresServer) -> str:
    return await fresh_database(postgres_server)


@pytest.fixture
async def workers(url: str, clock: FakeClock) -> AsyncIterator[list[PostgresStore]]:
    stores = [await PostgresStore.open(url, clock=clock) for _ in range(3)]
    try:
        yield stores
    finally:
        for store in stores:
            await store.close()


async def test_concurrent_opens_migrate_once(url: str) -> None:
    stores = await asyncio.gather(*(PostgresStore.open(url) for _ in range(4)))
    for store in stores:
        await store.close()
    conn = await asyncpg.connect(url)
    try:
        versions = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [row["version"] for row in versions] == [m.version for m in pg_migrations()]
        await conn.execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'x')")
    finally:
        await conn.close()
    with pytest.raises(StoreOpenError, match="newer than this nemobot"):
        await PostgresStore.open(url)


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    with pytest.raises(StoreOpenError) as caught:
        await PostgresStore.open("postgresql://bot:hunter2@127.0.0.1:9/nemobot")
    assert "hunter2" not in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_one_worker_claims_a_users_message_however_many_try(
    workers: list[PostgresStore],
) -> None:
    first = workers[0]
    user = await first.upsert_user("telegram", "1")
    for round_ in range(20):
        # Two waiting: a worker that slipped past another's claim would take the second.
        await first.enqueue("telegram", f"u{round_}", user.id, "{}", "turn", "{}")
        await first.enqueue("telegram", f"v{round_}", user.id, "{}", "turn", "{}")
        claims = await asyncio.gather(
            *(w.claim_next(user.id, f"w{i}", 30) for i, w in enumerate(workers) for _ in range(3))
        )
        won = [item for item in claims if item is not None]
        assert len(won) == 1, round_
        assert await first.finish(won[0].id, "done")
        await first.cancel_queued(user.id)


async def test_a_webhook_retried_to_another_worker_is_stored_once(
    workers: list[PostgresStore],
) -> None:
    user = await workers[0].upsert_user("telegram", "1")
    results = await asyncio.gather(
        *(w.enqueue("telegram", "update-42", user.id, "{}", "turn", "{}") for w in workers * 3)
    )
    assert sum(not r.duplicate for r in results) == 1
    assert len({r.item_id for r in results}) == 1
    assert await workers[1].queued_count(user.id) == 1


async def test_the_queue_limit_holds_across_workers(workers: list[PostgresStore]) -> None:
    user = await workers[0].upsert_user("telegram", "1")
    results = await asyncio.gather(
        *(
            w.enqueue("telegram", f"m{n}-{i}", user.id, "{}", "turn", "{}", limit=5)
            for i, w in enumerate(workers)
            for n in range(10)
        )
    )
    assert sum(not r.refused for r in results) == 5
    assert await workers[2].queued_count(user.id) == 5


async def test_other_workers_hear_of_new_messages(workers: list[PostgresStore]) -> None:
    heard: asyncio.Queue[str] = asyncio.Queue()
    await workers[1].listen(heard.put_nowait)
    user = await workers[0].upsert_user("telegram", "1")
    await workers[0].enqueue("telegram", "1", user.id, "{}", "turn", "{}")
    side = await workers[0].enqueue("telegram", "2", user.id, "{}", "status", "{}", lane="side")
    got = [await asyncio.wait_for(heard.get(), 5) for _ in range(2)]
    assert got == [f"line:telegram:{user.id}", f"side:telegram:{side.item_id}"]


async def test_a_live_workers_leases_survive_another_worker_starting(
    url: str, clock: FakeClock
) -> None:
    async with await PostgresStore.open(url, clock=clock) as first:
        user = await first.upsert_user("telegram", "1")
        await first.enqueue("telegram", "1", user.id, "{}", "turn", "{}")
        assert await first.claim_next(user.id, "first", 60) is not None
        await first.create_render("r1", user.id, "{}", SESSION, "first", 60)
        async with await PostgresStore.open(url, clock=clock) as second:
            assert await second.recover("second", 60) == []
            assert await second.claim_renders("second", 60) == []
            assert await second.users_with_work(["telegram"]) == []
            clock.advance(61)  # the first worker died: now its work is up for grabs
            assert [j.render_id for j in await second.claim_renders("second", 60)] == ["r1"]
            assert await second.users_with_work(["telegram"]) == [user.id]


async def test_each_interrupted_turn_is_reported_by_one_worker(
    workers: list[PostgresStore], clock: FakeClock
) -> None:
    first = workers[0]
    items = []
    for n in range(30):
        user = await first.upsert_user("telegram", str(n))
        placed = await first.enqueue("telegram", f"m{n}", user.id, "{}", "turn", "{}")
        claimed = await first.claim_next(user.id, "dead", 10)
        assert claimed is not None
        if n % 2:
            assert await first.mark_reached_agent(claimed.id)
        items.append(placed.item_id)
    clock.advance(11)
    reports = await asyncio.gather(*(w.recover(f"w{i}", 30) for i, w in enumerate(workers)))
    reported = [item.id for found in reports for item in found]
    assert sorted(reported) == items[1::2]  # each reached-agent turn once, by someone
    for n, item_id in enumerate(items[::2]):
        queued = await first.get_item(item_id)
        assert queued is not None and queued.status == "queued", n


async def test_orphaned_renders_are_shared_out_never_twice(
    workers: list[PostgresStore], clock: FakeClock
) -> None:
    user = await workers[0].upsert_user("telegram", "1")
    for n in range(40):
        await workers[0].create_render(f"r{n}", user.id, "{}", SESSION, "dead", 10)
    clock.advance(11)
    claims = await asyncio.gather(*(w.claim_renders(f"w{i}", 30) for i, w in enumerate(workers)))
    ids = [job.render_id for jobs in claims for job in jobs]
    assert sorted(ids) == sorted(f"r{n}" for n in range(40))
    assert len(ids) == len(set(ids))
