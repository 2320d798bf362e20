"""The inbox: dedupe, queue positions, claims, leases, cancel, crash recovery and pruning."""

from __future__ import annotations

import asyncio
import json

import pytest
from store_fakes import FakeClock, Reopen

from storage import Enqueued, InboxItem, Store, UserRecord

LEASE = 60.0

PLATFORMS = ("telegram", "console", "discord")


async def _put(store: Store, user: UserRecord, update_id: str, text: str = "hi") -> int:
    chat = json.dumps({"chat_id": 5})
    result = await store.enqueue("telegram", update_id, user.id, chat, "text", json.dumps(text))
    assert not result.duplicate
    return result.item_id


async def test_enqueue_stores_the_item(store: Store, user: UserRecord, clock: FakeClock) -> None:
    result = await store.enqueue("telegram", "100", user.id, '{"c": 1}', "photo", '{"p": 2}')
    assert result == Enqueued(item_id=result.item_id, position=1, duplicate=False)
    assert await store.get_item(result.item_id) == InboxItem(
        id=result.item_id,
        platform="telegram",
        update_id="100",
        user_id=user.id,
        chat='{"c": 1}',
        kind="photo",
        payload='{"p": 2}',
        status="queued",
        reached_agent=False,
        created_at=clock.now,
        owner=None,
        lease_expires=None,
    )
    assert await store.get_item(result.item_id + 1) is None


async def test_redelivered_update_is_a_duplicate(
    store: Store, user: UserRecord, other_user: UserRecord
) -> None:
    first = await _put(store, user, "1")
    second = await _put(store, user, "2")
    again = await store.enqueue("telegram", "2", user.id, "{}", "text", '"changed"')
    assert again == Enqueued(item_id=second, position=2, duplicate=True)
    # The same update id on another platform is a different message.
    other = await store.enqueue("discord", "2", other_user.id, "{}", "text", "{}")
    assert not other.duplicate and other.position == 1
    assert await store.queued_count(user.id) == 2
    item = await store.get_item(second)
    assert item is not None and item.payload == '"hi"'

    claimed = await store.claim_next(user.id, "w1", LEASE)
    assert claimed is not None and claimed.id == first
    assert await store.enqueue("telegram", "1", user.id, "{}", "text", "{}") == Enqueued(
        first, 0, True
    )
    assert await store.finish(first, "done")
    assert (await store.enqueue("telegram", "2", user.id, "{}", "text", "{}")).position == 1


async def test_positions_count_running_and_queued_ahead(
    store: Store, user: UserRecord, other_user: UserRecord
) -> None:
    assert (await store.enqueue("telegram", "a", user.id, "{}", "text", "{}")).position == 1
    assert (await store.enqueue("telegram", "b", user.id, "{}", "text", "{}")).position == 2
    assert (await store.enqueue("discord", "x", other_user.id, "{}", "text", "{}")).position == 1
    await store.claim_next(user.id, "w1", LEASE)
    assert (await store.enqueue("telegram", "c", user.id, "{}", "text", "{}")).position == 3
    assert await store.cancel_queued(user.id) == 2
    assert (await store.enqueue("telegram", "d", user.id, "{}", "text", "{}")).position == 2


async def test_claims_run_one_item_per_user_in_order(
    store: Store, user: UserRecord, other_user: UserRecord, clock: FakeClock
) -> None:
    ids = [await _put(store, user, str(n)) for n in range(3)]
    other_id = await _put(store, other_user, "other")

    first = await store.claim_next(user.id, "w1", LEASE)
    assert first is not None and first.id == ids[0]
    assert (first.status, first.owner, first.lease_expires) == ("running", "w1", clock.now + LEASE)
    assert await store.claim_next(user.id, "w2", LEASE) is None
    assert await store.running_item(user.id) == first

    theirs = await store.claim_next(other_user.id, "w2", LEASE)
    assert theirs is not None and theirs.id == other_id
    assert await store.claim_next(other_user.id, "w2", LEASE) is None

    assert await store.finish(first.id, "done")
    assert not await store.finish(first.id, "failed")
    assert await store.running_item(user.id) is None
    second = await store.claim_next(user.id, "w1", LEASE)
    assert second is not None and second.id == ids[1]
    assert await store.queued_count(user.id) == 1


async def test_concurrent_claims_for_one_user_hand_out_one_item(
    store: Store, user: UserRecord
) -> None:
    for n in range(5):
        await _put(store, user, str(n))
    claims = await asyncio.gather(*(store.claim_next(user.id, f"w{n}", LEASE) for n in range(10)))
    assert len([c for c in claims if c is not None]) == 1


async def test_claim_with_nothing_queued(store: Store, user: UserRecord) -> None:
    assert await store.claim_next(user.id, "w1", LEASE) is None
    with pytest.raises(ValueError, match="lease_seconds"):
        await store.claim_next(user.id, "w1", 0)


async def test_finish_statuses_and_owner_checks(store: Store, user: UserRecord) -> None:
    ids = [await _put(store, user, str(n)) for n in range(4)]
    with pytest.raises(ValueError, match="queued"):
        await store.finish(ids[0], "queued")
    assert not await store.finish(ids[0], "done")  # still queued
    for item_id, status in zip(ids, ("done", "failed", "interrupted", "cancelled"), strict=True):
        claimed = await store.claim_next(user.id, "w1", LEASE)
        assert claimed is not None and claimed.id == item_id
        assert not await store.mark_reached_agent(item_id, owner="intruder")
        assert await store.mark_reached_agent(item_id, owner="w1")
        assert not await store.finish(item_id, status, owner="intruder")
        assert await store.finish(item_id, status, owner="w1")
        item = await store.get_item(item_id)
        assert item is not None and (item.status, item.reached_agent) == (status, True)
        assert item.lease_expires is None
    assert not await store.mark_reached_agent(ids[0])


async def test_cancel_queued_leaves_the_running_item(store: Store, user: UserRecord) -> None:
    ids = [await _put(store, user, str(n)) for n in range(3)]
    await store.claim_next(user.id, "w1", LEASE)
    assert await store.cancel_queued(user.id) == 2
    assert await store.cancel_queued(user.id) == 0
    assert await store.queued_count(user.id) == 0
    running = await store.running_item(user.id)
    assert running is not None and running.id == ids[0]
    cancelled = await store.get_item(ids[2])
    assert cancelled is not None and cancelled.status == "cancelled"


async def test_lease_renewal_and_expiry(store: Store, user: UserRecord, clock: FakeClock) -> None:
    first = await _put(store, user, "1")
    await _put(store, user, "2")
    assert await store.claim_next(user.id, "w1", 10) is not None
    assert await store.users_with_work(PLATFORMS) == [user.id]  # "2" is queued

    clock.advance(8)
    assert await store.renew_lease(first, "w1", 10)
    assert not await store.renew_lease(first, "w2", 10)
    clock.advance(8)
    assert await store.claim_next(user.id, "w2", 10) is None  # renewed: still live

    clock.advance(3)  # 19 s after the claim, 11 s after the renewal: expired
    assert await store.cancel_queued(user.id) == 1
    assert await store.users_with_work(PLATFORMS) == [user.id]  # the expired running item
    running = await store.running_item(user.id)
    assert running is not None and running.id == first
    # Never sent to the agent, so the next claim takes the same item again.
    again = await store.claim_next(user.id, "w2", 10)
    assert again is not None and (again.id, again.owner) == (first, "w2")
    assert not await store.renew_lease(first, "w1", 10)
    assert not await store.mark_reached_agent(first, owner="w1")
    assert await store.users_with_work(PLATFORMS) == []


async def test_expired_item_that_reached_the_agent_is_not_claimed_again(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    first = await _put(store, user, "1")
    second = await _put(store, user, "2")
    await store.claim_next(user.id, "w1", 10)
    assert await store.mark_reached_agent(first)
    clock.advance(11)
    claimed = await store.claim_next(user.id, "w2", 10)
    assert claimed is not None and claimed.id == second
    assert await store.running_item(user.id) == claimed
    interrupted = await store.recover("w2", 10)
    assert [(i.id, i.status, i.owner) for i in interrupted] == [(first, "interrupted", "w2")]


async def test_users_with_work(
    store: Store, user: UserRecord, other_user: UserRecord, clock: FakeClock
) -> None:
    assert await store.users_with_work(PLATFORMS) == []
    await _put(store, other_user, "o1")
    await _put(store, user, "u1")
    assert await store.users_with_work(PLATFORMS) == [other_user.id, user.id]
    await store.claim_next(other_user.id, "w1", 10)
    assert await store.users_with_work(PLATFORMS) == [user.id]
    clock.advance(10)
    assert await store.users_with_work(PLATFORMS) == [other_user.id, user.id]


async def test_recover_after_a_crash(reopen: Reopen, clock: FakeClock) -> None:
    store = await reopen()
    alice = await store.upsert_user("telegram", "alice")
    bob = await store.upsert_user("telegram", "bob")
    a = [await _put(store, alice, f"a{n}") for n in range(3)]
    b = [await _put(store, bob, f"b{n}") for n in range(2)]
    await store.claim_next(alice.id, "old-process", 300)
    await store.claim_next(bob.id, "old-process", 300)
    assert await store.mark_reached_agent(b[0])
    await store.close()  # the process dies with both items running, leases still "valid"
    clock.advance(300)  # …until they run out (SQLite expires them at once: one process)

    async with await reopen() as store:
        assert sorted(await store.users_with_work(PLATFORMS)) == sorted([alice.id, bob.id])
        interrupted = await store.recover("new-process", 60)
        assert [(i.id, i.status, i.reached_agent) for i in interrupted] == [
            (b[0], "interrupted", True)
        ]
        assert await store.running_item(alice.id) is None
        assert await store.queued_count(alice.id) == 3
        order = []
        while (item := await store.claim_next(alice.id, "new-process", 60)) is not None:
            order.append(item.id)
            await store.finish(item.id, "done")
        assert order == a
        after = await store.claim_next(bob.id, "new-process", 60)
        assert after is not None and after.id == b[1]
        assert await store.recover("new-process", 60) == []


async def test_recover_leaves_live_leases_alone(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    item_id = await _put(store, user, "1")
    await store.claim_next(user.id, "w1", 30)
    await store.mark_reached_agent(item_id)
    assert await store.recover("w2", 30) == []
    clock.advance(31)
    assert [i.id for i in await store.recover("w2", 30)] == [item_id]
    assert await store.recover("w2", 30) == []


async def test_prune_keeps_recent_dedupe_keys(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    old = await _put(store, user, "old")
    await store.claim_next(user.id, "w1", LEASE)
    await store.finish(old, "done")
    await _put(store, user, "cancelled-old")
    await store.cancel_queued(user.id)
    clock.advance(100)
    cutoff = clock.now
    recent = await _put(store, user, "recent")
    await store.claim_next(user.id, "w1", LEASE)
    await store.finish(recent, "failed")
    waiting = await _put(store, user, "waiting")

    assert await store.prune_inbox(cutoff) == 2
    assert await store.get_item(old) is None
    again = await store.enqueue("telegram", "recent", user.id, "{}", "text", "{}")
    assert again == Enqueued(recent, 0, True)
    assert (await store.enqueue("telegram", "waiting", user.id, "{}", "text", "{}")).duplicate
    assert await store.get_item(waiting) is not None
    # A pruned key is accepted again; ids are never reused.
    fresh = await store.enqueue("telegram", "old", user.id, "{}", "text", "{}")
    assert not fresh.duplicate and fresh.item_id > waiting


async def test_200_concurrent_enqueues(
    store: Store, user: UserRecord, other_user: UserRecord
) -> None:
    results = await asyncio.gather(
        *(
            store.enqueue("telegram", f"u{n}", user.id, "{}", "text", json.dumps(n))
            for n in range(200)
        ),
        *(store.enqueue("discord", f"d{n}", other_user.id, "{}", "text", "{}") for n in range(20)),
        *(store.enqueue("telegram", f"u{n}", user.id, "{}", "text", "{}") for n in range(10)),
    )
    mine = results[:200]
    assert sorted(r.position for r in mine) == list(range(1, 201))
    assert len({r.item_id for r in mine}) == 200
    # Positions follow the queue order (ids).
    assert [r.position for r in sorted(mine, key=lambda r: r.item_id)] == list(range(1, 201))
    assert sorted(r.position for r in results[200:220]) == list(range(1, 21))
    assert all(r.duplicate for r in results[220:])
    assert await store.queued_count(user.id) == 200


async def test_cancelled_writers_leave_no_transaction_open(store: Store, user: UserRecord) -> None:
    for round_ in range(10):
        tasks = [
            asyncio.create_task(
                store.enqueue("telegram", f"{round_}-{n}", user.id, "{}", "text", "{}")
            )
            for n in range(10)
        ]
        # Cancel while later tasks are mid-transaction or waiting for the writer lock.
        await asyncio.wait([tasks[round_ % 5]])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        probe = await store.enqueue("telegram", f"probe-{round_}", user.id, "{}", "text", "{}")
        assert probe.position == await store.queued_count(user.id)


async def test_side_lane_items_are_deduped_but_never_in_line(store) -> None:
    user = await store.upsert_user("console", "u-side")
    side = await store.enqueue("console", "h1", user.id, "{}", "status", "{}", lane="side")
    assert (side.position, side.duplicate) == (0, False)
    again = await store.enqueue("console", "h1", user.id, "{}", "status", "{}", lane="side")
    assert again.duplicate and again.item_id == side.item_id
    assert await store.queued_count(user.id) == 0
    assert await store.claim_next(user.id, "w", 30) is None  # not the line's business
    assert await store.side_items(["console"]) == [side.item_id]
    assert await store.side_items(["telegram"]) == []
    claimed = await store.claim_item(side.item_id, "w", 30)
    assert claimed is not None and claimed.lane == "side" and claimed.status == "running"
    assert await store.claim_item(side.item_id, "w2", 30) is None  # only once
    line = await store.enqueue("console", "l1", user.id, "{}", "turn", "{}")
    assert line.position == 1  # a running side item does not hold up the line
    assert await store.claim_next(user.id, "w", 30) is not None


async def test_a_side_item_stored_leased_is_its_owners_until_the_lease_runs_out(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    placed = await store.enqueue(
        "console", "own-1", user.id, "{}", "cancel", "{}", lane="side", owner="w1", lease_seconds=5
    )
    assert placed.position == 0
    assert await store.side_items(["console"]) == []  # nobody else is to take it up
    assert await store.claim_item(placed.item_id, "w2", 5) is None
    clock.advance(6)  # its worker died before answering
    assert await store.recover("w2", 5) == []  # never sent anywhere: back in the store
    assert await store.side_items(["console"]) == [placed.item_id]
    assert await store.claim_item(placed.item_id, "w2", 5) is not None
    with pytest.raises(ValueError, match="side-lane"):
        await store.enqueue("console", "own-2", user.id, "{}", "turn", "{}", owner="w1")


async def test_a_user_over_the_rate_is_refused_and_told_once(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    for n in range(3):
        kind, lane = ("turn", "line") if n % 2 else ("status", "side")
        placed = await store.enqueue(
            "console", f"r{n}", user.id, "{}", kind, "{}", lane=lane, per_minute=3
        )
        assert not placed.throttled  # side-lane messages count too
        clock.advance(10)
    over = await store.enqueue("console", "r3", user.id, "{}", "turn", "{}", per_minute=3)
    assert over.throttled and over.first_refusal and not over.duplicate
    clock.advance(1)
    more = await store.enqueue("console", "r4", user.id, "{}", "turn", "{}", per_minute=3)
    assert more.throttled and not more.first_refusal  # told once is enough
    assert await store.queued_count(user.id) == 1  # only r1 waits: refusals never run
    again = await store.enqueue("console", "r3", user.id, "{}", "turn", "{}", per_minute=3)
    assert again.duplicate and not again.throttled  # a redelivered refusal stays refused
    clock.advance(30)  # r0 is now over a minute old; refusals do not count as messages
    later = await store.enqueue("console", "r5", user.id, "{}", "turn", "{}", per_minute=3)
    assert not later.throttled and later.position == 2


async def test_a_full_line_refuses_without_storing(store) -> None:
    user = await store.upsert_user("console", "u-full")
    for n in range(2):
        placed = await store.enqueue("console", f"f{n}", user.id, "{}", "turn", "{}", limit=2)
        assert not placed.refused
    refused = await store.enqueue("console", "f2", user.id, "{}", "turn", "{}", limit=2)
    assert refused.refused and not refused.duplicate
    assert await store.queued_count(user.id) == 2
    # A redelivery of a stored message is still a duplicate, full or not.
    assert (await store.enqueue("console", "f0", user.id, "{}", "turn", "{}", limit=2)).duplicate


async def test_an_album_is_absorbed_into_its_first_message(store) -> None:
    user = await store.upsert_user("telegram", "u-album")
    first = await store.enqueue("telegram", "a1", user.id, "{}", "upload", "1", group="g")
    await store.enqueue("telegram", "a2", user.id, "{}", "upload", "2", group="g")
    await store.enqueue("telegram", "x", user.id, "{}", "turn", "other")
    await store.enqueue("telegram", "a3", user.id, "{}", "upload", "3", group="g")
    item = await store.claim_next(user.id, "w", 30)
    assert item is not None and item.id == first.item_id and item.group_key == "g"
    absorbed = await store.absorb_group(item.id, user.id, "g")
    assert [a.payload for a in absorbed] == ["2", "3"]
    assert await store.queued_count(user.id) == 1  # only "x" is left
    assert await store.absorb_group(item.id, user.id, "g") == []


async def test_users_with_work_only_for_connected_platforms(store) -> None:
    tg = await store.upsert_user("telegram", "u-tg")
    dc = await store.upsert_user("discord", "u-dc")
    await store.enqueue("telegram", "t1", tg.id, "{}", "turn", "{}")
    await store.enqueue("discord", "d1", dc.id, "{}", "turn", "{}")
    assert await store.users_with_work(["discord"]) == [dc.id]
    assert await store.users_with_work([]) == []
    assert sorted(await store.users_with_work(["telegram", "discord"])) == sorted([tg.id, dc.id])


async def test_release_item_lets_recover_take_it_up_at_once(store) -> None:
    user = await store.upsert_user("console", "u-release")
    await store.enqueue("console", "r1", user.id, "{}", "turn", "{}")
    item = await store.claim_next(user.id, "w1", 3600)
    assert item is not None
    assert not await store.release_item(item.id, "someone-else")
    assert await store.recover("w2", 60) == []  # still leased to w1
    assert await store.release_item(item.id, "w1")
    assert await store.claim_next(user.id, "w2", 60) is not None  # requeued, in order
