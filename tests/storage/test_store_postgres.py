"""PostgreSQL with several workers: claims, dedupe, limits, takeovers and deliveries never overlap.

Each "worker" is its own `PostgresStore` (its own pool) on the same database, as separate
processes would be.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from store_fakes import CHAT, FakeClock, message

from storage import (
    AcceptRules,
    Counts,
    NewRender,
    Quota,
    StarPayment,
    StatusAnswer,
    StoreOpenError,
)
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


def _render(render_id: str, user_id: int) -> NewRender:
    return NewRender(render_id, user_id, CHAT, SESSION)


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
        await first.accept(message(user.id, f"u{round_}"))
        await first.accept(message(user.id, f"v{round_}"))
        claims = await asyncio.gather(
            *(w.claim_next(user.id, f"w{i}", 30) for i, w in enumerate(workers) for _ in range(3))
        )
        won = [claim for claim in claims if claim is not None]
        assert len(won) == 1, round_
        winner = won[0].item
        assert await first.finish(winner.id, str(winner.owner))
        assert await first.cancel_user(user.id) == (1, None)


async def test_a_users_messages_are_answered_in_order_whichever_worker_claims(
    workers: list[PostgresStore],
) -> None:
    user = await workers[0].upsert_user("telegram", "1")
    accepted = [(await workers[0].accept(message(user.id, f"m{n}"))).item_id for n in range(30)]
    answered: list[int] = []
    held: list[int] = []  # what is being answered right now (at most one)

    async def serve(store: PostgresStore, name: str) -> None:
        while len(answered) < len(accepted):
            claim = await store.claim_next(user.id, name, 30)
            if claim is None:
                await asyncio.sleep(0)  # let the other workers' queries run
                continue
            assert held == [], (held, claim.item.id)  # N+1 only once N is final
            held.append(claim.item.id)
            assert await store.renew(claim.item.id, name, 30)  # the others keep trying
            held.remove(claim.item.id)
            answered.append(claim.item.id)
            assert await store.finish(claim.item.id, name)

    await asyncio.wait_for(
        asyncio.gather(*(serve(w, f"w{i}") for i, w in enumerate(workers))), timeout=60
    )
    assert answered == accepted


async def test_a_webhook_retried_to_another_worker_is_stored_once(
    workers: list[PostgresStore],
) -> None:
    user = await workers[0].upsert_user("telegram", "1")
    results = await asyncio.gather(*(w.accept(message(user.id, "update-42")) for w in workers * 3))
    assert sum(not r.duplicate for r in results) == 1
    assert len({r.item_id for r in results}) == 1
    assert await workers[1].queued_count(user.id) == 1


async def test_the_queue_limit_holds_across_workers(workers: list[PostgresStore]) -> None:
    user = await workers[0].upsert_user("telegram", "1")
    results = await asyncio.gather(
        *(
            w.accept(message(user.id, f"m{n}-{i}"), AcceptRules(limit=5))
            for i, w in enumerate(workers)
            for n in range(10)
        )
    )
    assert sum(not r.refused for r in results) == 5
    assert await workers[2].queued_count(user.id) == 5


async def test_the_rate_holds_across_workers_and_is_told_once(
    workers: list[PostgresStore],
) -> None:
    user = await workers[0].upsert_user("telegram", "1")
    results = await asyncio.gather(
        *(
            w.accept(message(user.id, f"m{n}-{i}"), AcceptRules(per_minute=4))
            for i, w in enumerate(workers)
            for n in range(5)
        )
    )
    assert sum(not r.throttled for r in results) == 4
    assert sum(r.first_refusal for r in results) == 1
    assert await workers[1].queued_count(user.id) == 4


async def test_a_press_sent_to_several_workers_is_stored_once(
    workers: list[PostgresStore],
) -> None:
    user = await workers[0].upsert_user("telegram", "1")
    press = "again:7301:5"
    results = await asyncio.gather(
        *(
            w.accept(message(user.id, f"press-{i}-{n}", kind="again", press=press))
            for i, w in enumerate(workers)
            for n in range(3)
        )
    )
    stored = [r for r in results if not r.repeat]
    assert len(stored) == 1 and stored[0].position == 1
    assert {r.item_id for r in results} == {stored[0].item_id}
    assert await workers[2].queued_count(user.id) == 1


async def test_other_workers_hear_of_new_messages(workers: list[PostgresStore]) -> None:
    heard: asyncio.Queue[str] = asyncio.Queue()
    await workers[1].listen(heard.put_nowait)
    user = await workers[0].upsert_user("telegram", "1")
    await workers[0].accept(message(user.id, "1"))
    side = await workers[0].accept(message(user.id, "2", kind="status", lane="side"))
    got = [await asyncio.wait_for(heard.get(), 5) for _ in range(2)]
    assert got == [f"line:telegram:{user.id}", f"side:telegram:{side.item_id}"]


async def test_a_live_workers_leases_survive_another_worker_starting(
    url: str, clock: FakeClock
) -> None:
    async with await PostgresStore.open(url, clock=clock) as first:
        user = await first.upsert_user("telegram", "1")
        await first.accept(message(user.id, "1"))
        assert await first.claim_next(user.id, "first", 60) is not None
        await first.create_render(_render("r1", user.id), "first", 60)
        async with await PostgresStore.open(url, clock=clock) as second:
            assert await second.claim_next(user.id, "second", 60) is None
            assert await second.take_over_renders("second", 60, ["telegram"]) == []
            assert await second.users_with_work(["telegram"]) == []
            clock.advance(61)  # the first worker died: now its work is up for grabs
            assert [
                j.render_id for j in await second.take_over_renders("second", 60, ["telegram"])
            ] == ["r1"]
            assert await second.users_with_work(["telegram"]) == [user.id]
            claim = await second.claim_next(user.id, "second", 60)
            assert claim is not None and claim.action == "run"


async def test_each_abandoned_turn_is_taken_over_by_one_worker(
    workers: list[PostgresStore], clock: FakeClock
) -> None:
    first = workers[0]
    users, sent = [], []
    for n in range(30):
        user = await first.upsert_user("telegram", str(n))
        placed = await first.accept(message(user.id, f"m{n}"))
        assert await first.claim_next(user.id, "dead", 10) is not None
        if n % 2:
            assert await first.mark_sending(placed.item_id, "dead")
            sent.append(placed.item_id)
        users.append(user.id)
    clock.advance(11)
    claims = await asyncio.gather(
        *(w.claim_next(u, f"w{i}", 30) for u in users for i, w in enumerate(workers))
    )
    taken = [claim for claim in claims if claim is not None]
    assert len(taken) == len(users)  # each once, by someone
    assert len({claim.item.id for claim in taken}) == len(users)
    reported = sorted(claim.item.id for claim in taken if claim.action == "report")
    assert reported == sent  # what may have reached the agent is reported, never run again
    assert all(claim.item.status == "claimed" for claim in taken if claim.action == "run")


async def test_orphaned_renders_are_shared_out_never_twice(
    workers: list[PostgresStore], clock: FakeClock
) -> None:
    user = await workers[0].upsert_user("telegram", "1")
    for n in range(40):
        await workers[0].create_render(_render(f"r{n}", user.id), "dead", 10)
    clock.advance(11)
    claims = await asyncio.gather(
        *(w.take_over_renders(f"w{i}", 30, ["telegram"]) for i, w in enumerate(workers))
    )
    ids = [job.render_id for jobs in claims for job in jobs]
    assert sorted(ids) == sorted(f"r{n}" for n in range(40))
    assert len(ids) == len(set(ids))


async def test_one_worker_sends_a_video_whoever_tries(
    workers: list[PostgresStore], clock: FakeClock
) -> None:
    user = await workers[0].upsert_user("telegram", "1")
    await workers[0].create_render(_render("r1", user.id), "w0", 30)
    done = StatusAnswer("completed", 100, "https://x/v.mp4")
    assert await workers[0].record_status("r1", "w0", done) is not None
    # Every worker tries, under its own name and (a confused one) under the holder's.
    attempts = await asyncio.gather(
        *(w.begin_delivery("r1", name) for w in workers for name in ("w0", "w1", "w2") * 3)
    )
    assert attempts.count(True) == 1

    assert await workers[0].end_render("r1", "w0", "send_failed")
    resends = await asyncio.gather(
        *(w.resend_render(user.id, f"w{i}", 30) for i, w in enumerate(workers) for _ in range(3))
    )
    assert len([job for job in resends if job is not None]) == 1  # one press, one resend


async def test_schema_3_maps_the_old_inbox_states_onto_the_lifecycle(
    url: str, clock: FakeClock
) -> None:
    # A database as nemobot left it at PostgreSQL schema 2, held by processes that are gone.
    old = (  # (user, status, reached_agent) → the state it must be in now
        ("1", "running", False, "claimed"),  # never marked: it is run again
        ("1", "queued", False, "queued"),
        ("2", "interrupted", True, "reported"),  # the user was told; they may Send again
        ("2", "running", True, "sending"),  # may have reached the agent: to be reported
        ("2", "done", True, "done"),
    )
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        for migration in pg_migrations()[:2]:
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
        users = {
            name: await conn.fetchval(
                "INSERT INTO users (platform, platform_user_id, created_at) "
                "VALUES ('telegram', $1, 0) RETURNING id",
                name,
            )
            for name in ("1", "2")
        }
        ids = []
        for n, (name, status, reached, _) in enumerate(old):
            held = status == "running"
            ids.append(
                await conn.fetchval(
                    "INSERT INTO inbox (platform, update_id, user_id, chat, kind, payload, "
                    "status, reached_agent, created_at, owner, lease_expires) "
                    "VALUES ('telegram', $1, $2, '{}', 'turn', '{\"text\": \"hi\"}', $3, $4, "
                    "$5, $6, $7) RETURNING id",
                    f"u{n}",
                    users[name],
                    status,
                    reached,
                    float(n),
                    "old-process" if held else None,
                    1.0 if held else None,  # its lease ran out long ago
                )
            )
    finally:
        await conn.close()

    async with await PostgresStore.open(url, clock=clock) as store:
        items = [await store.get_item(item_id) for item_id in ids]
        assert [(i.status, i.reached_agent) for i in items if i is not None] == [
            (new, reached) for _, _, reached, new in old
        ]
        run = await store.claim_next(users["1"], "new-process", 30)
        assert run is not None and (run.item.id, run.action) == (ids[0], "run")
        report = await store.claim_next(users["2"], "new-process", 30)
        assert report is not None and (report.item.id, report.action) == (ids[3], "report")
        resent = await store.resend_item(ids[2], users["2"])
        assert resent is not None and resent.status == "resent"


async def test_a_charge_credited_by_several_workers_at_once_is_credited_once(
    workers: list[PostgresStore],
) -> None:
    user = await workers[0].upsert_user("telegram", "1001")
    paid = StarPayment("charge-1", user.id, "turns:10", 50, Counts(turns=10), 1.0)
    results = await asyncio.gather(*(w.credit_payment(paid) for w in workers))
    assert sorted(results) == [False, False, True]
    assert (await workers[1].spending("2026-12-01", user.id)).extras == Counts(turns=10)


async def test_spending_on_several_workers_at_once_adds_up_and_draws_extras_once(
    workers: list[PostgresStore],
) -> None:
    user = await workers[0].upsert_user("telegram", "1001")
    assert await workers[0].credit_payment(
        StarPayment("charge-2", user.id, "turns:10", 50, Counts(turns=10), 1.0)
    )
    day, allowed = "2026-12-01", Quota(turns=3)
    await asyncio.gather(
        *(w.spend(day, user.id, "", Counts(turns=1), allowed) for w in workers * 2)
    )
    spent = await workers[2].spending(day, user.id)
    assert spent.user == Counts(turns=6)
    assert spent.extras == Counts(turns=7)  # three of the six came out of the pack
