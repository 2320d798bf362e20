"""The inbox: accepting (dedupe, limits, places), claiming the line head, leases and takeovers.

The states and who may move an item between them are `storage.lifecycle.INBOX`.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from store_fakes import CHAT, FakeClock, Reopen, message, text_of

from storage import (
    AcceptRules,
    Claim,
    Enqueued,
    InboxItem,
    Newcomer,
    NewItem,
    Store,
    UserRecord,
)

LEASE = 60.0

PLATFORMS = ("telegram", "console", "discord")


async def _put(store: Store, user: UserRecord, update_id: str, text: str = "hi") -> int:
    placed = await store.accept(message(user.id, update_id, text))
    assert not placed.duplicate and placed.item_id > 0
    return placed.item_id


async def _status(store: Store, item_id: int) -> str:
    item = await store.get_item(item_id)
    assert item is not None
    return item.status


async def _sent_and_abandoned(store: Store, user: UserRecord, clock: FakeClock) -> int:
    """An item that reached `sending` under a worker that then died (its lease ran out)."""
    item_id = await _put(store, user, "sent")
    claim = await store.claim_next(user.id, "dead", LEASE)
    assert claim is not None and claim.item.id == item_id
    assert await store.mark_sending(item_id, "dead")
    clock.advance(LEASE)
    return item_id


# -- accepting ------------------------------------------------------------------------------


async def test_accept_stores_the_item(store: Store, user: UserRecord, clock: FakeClock) -> None:
    placed = await store.accept(message(user.id, "100", "a cat"))
    assert placed == Enqueued(item_id=placed.item_id, position=1, duplicate=False)
    assert await store.get_item(placed.item_id) == InboxItem(
        id=placed.item_id,
        platform="telegram",
        update_id="100",
        user_id=user.id,
        chat=CHAT,
        kind="turn",
        payload='{"text": "a cat"}',
        status="queued",
        reached_agent=False,
        created_at=clock.now,
        owner=None,
        lease_expires=None,
        lane="line",
        group_key=None,
        intent='{"kind": "turn", "arg": "a cat"}',
    )
    assert await store.get_item(placed.item_id + 1) is None


async def test_redelivered_update_is_a_duplicate(
    store: Store, user: UserRecord, other_user: UserRecord
) -> None:
    first = await _put(store, user, "1")
    second = await _put(store, user, "2")
    again = await store.accept(message(user.id, "2", "changed"))
    assert again == Enqueued(item_id=second, position=2, duplicate=True)
    # The same update id on another platform is a different message.
    other = await store.accept(message(other_user.id, "2", platform="discord"))
    assert not other.duplicate and other.position == 1
    assert await store.queued_count(user.id) == 2
    item = await store.get_item(second)
    assert item is not None and text_of(item.payload) == "hi"

    claim = await store.claim_next(user.id, "w1", LEASE)
    assert claim is not None and claim.item.id == first
    assert await store.accept(message(user.id, "1")) == Enqueued(first, 0, True)
    assert await store.finish(first, "w1")
    assert await store.accept(message(user.id, "1")) == Enqueued(first, 0, True)
    assert (await store.accept(message(user.id, "2"))).position == 1


async def test_a_newcomers_row_is_made_with_their_first_message(
    store: Store, clock: FakeClock
) -> None:
    """One write for a sender not seen before: their row, in their language, and the message
    under it; a redelivery finds both and makes neither again."""
    first = replace(message(0, "500", "hello"), newcomer=Newcomer("telegram", "n1", "zh"))
    placed = await store.accept(first)
    assert placed.user is not None and not placed.duplicate and placed.position == 1
    assert placed.user == UserRecord(placed.user.id, "telegram", "n1", "zh", clock.now)
    assert await store.upsert_user("telegram", "n1", "en") == placed.user  # the same row
    item = await store.get_item(placed.item_id)
    assert item is not None and item.user_id == placed.user.id
    again = await store.accept(first)
    assert again.duplicate and again.item_id == placed.item_id and again.user == placed.user
    second = replace(message(0, "501", "more"), newcomer=Newcomer("telegram", "n1", "en"))
    assert (await store.accept(second)).position == 2  # behind the first, as the same user


async def test_positions_count_the_active_and_queued_ahead(
    store: Store, user: UserRecord, other_user: UserRecord
) -> None:
    assert (await store.accept(message(user.id, "a"))).position == 1
    assert (await store.accept(message(user.id, "b"))).position == 2
    assert (await store.accept(message(other_user.id, "x", platform="discord"))).position == 1
    claim = await store.claim_next(user.id, "w1", LEASE)
    assert claim is not None
    assert (await store.accept(message(user.id, "c"))).position == 3  # a (claimed), b ahead
    assert await store.mark_sending(claim.item.id, "w1")
    assert (await store.accept(message(user.id, "d"))).position == 4  # a (sending) still ahead
    assert await store.finish(claim.item.id, "w1")
    assert (await store.accept(message(user.id, "e"))).position == 4  # b, c, d


async def test_a_user_over_the_rate_is_refused_and_told_once(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    rate = AcceptRules(per_minute=3)
    for n in range(3):
        lane = "line" if n % 2 else "side"
        placed = await store.accept(message(user.id, f"r{n}", platform="console", lane=lane), rate)
        assert not placed.throttled  # side-lane messages count too
        clock.advance(10)
    over = await store.accept(message(user.id, "r3", platform="console"), rate)
    assert over.throttled and over.first_refusal and not over.duplicate
    clock.advance(1)
    more = await store.accept(message(user.id, "r4", platform="console"), rate)
    assert more.throttled and not more.first_refusal  # told once is enough
    assert await store.queued_count(user.id) == 1  # only r1 waits: refusals never run
    again = await store.accept(message(user.id, "r3", platform="console"), rate)
    assert again.duplicate and not again.throttled  # a redelivered refusal stays refused
    assert await store.claim_next(user.id, "w1", LEASE) is not None  # r1, not a refusal
    clock.advance(30)  # r0 is now over a minute old; refusals do not count as messages
    later = await store.accept(message(user.id, "r5", platform="console"), rate)
    assert not later.throttled and later.position == 2


async def test_a_full_line_refuses_without_storing(store: Store, user: UserRecord) -> None:
    full = AcceptRules(limit=2)
    for n in range(2):
        assert not (await store.accept(message(user.id, f"f{n}"), full)).refused
    refused = await store.accept(message(user.id, "f2"), full)
    assert refused == Enqueued(0, 0, duplicate=False, refused=True)
    assert await store.queued_count(user.id) == 2
    # A redelivery of a stored message is still a duplicate, full or not.
    assert (await store.accept(message(user.id, "f0"), full)).duplicate
    # A refused message kept nothing: once there is room, its redelivery is stored.
    side = await store.accept(message(user.id, "s", kind="status", lane="side"), full)
    assert not side.refused  # the limit is the line's
    claim = await store.claim_next(user.id, "w1", LEASE)
    assert claim is not None and await store.finish(claim.item.id, "w1")
    assert (await store.accept(message(user.id, "f2"), full)).position == 2


async def test_a_repeated_press_while_one_is_pending_keeps_only_its_update_id(
    store: Store, user: UserRecord
) -> None:
    press = "variation:7301:12"
    first = await store.accept(message(user.id, "p1", kind="variation", press=press))
    again = await store.accept(message(user.id, "p2", kind="variation", press=press))
    assert again == Enqueued(first.item_id, 0, duplicate=False, repeat=True)
    assert await store.queued_count(user.id) == 1
    # Its update id is kept: a redelivery is a duplicate, not a third press.
    redelivered = await store.accept(message(user.id, "p2", kind="variation", press=press))
    assert redelivered.duplicate and not redelivered.repeat
    assert redelivered.item_id != first.item_id and redelivered.position == 0
    other = await store.accept(message(user.id, "q1", kind="variation", press="variation:7301:13"))
    assert not other.repeat and other.position == 2

    claim = await store.claim_next(user.id, "w1", LEASE)
    assert claim is not None and claim.item.id == first.item_id
    assert await store.mark_sending(first.item_id, "w1")
    pressed = await store.accept(message(user.id, "p3", kind="variation", press=press))
    assert pressed.repeat and pressed.item_id == first.item_id  # still pending while sent
    assert await store.finish(first.item_id, "w1")
    later = await store.accept(message(user.id, "p4", kind="variation", press=press))
    assert not later.repeat and later.position == 2  # answered: a new press is a new one


async def test_200_concurrent_accepts(
    store: Store, user: UserRecord, other_user: UserRecord
) -> None:
    results = await asyncio.gather(
        *(store.accept(message(user.id, f"u{n}", str(n))) for n in range(200)),
        *(store.accept(message(other_user.id, f"d{n}", platform="discord")) for n in range(20)),
        *(store.accept(message(user.id, f"u{n}")) for n in range(10)),
    )
    mine = results[:200]
    assert sorted(r.position for r in mine) == list(range(1, 201))
    assert len({r.item_id for r in mine}) == 200
    # Positions follow the line's order (ids).
    assert [r.position for r in sorted(mine, key=lambda r: r.item_id)] == list(range(1, 201))
    assert sorted(r.position for r in results[200:220]) == list(range(1, 21))
    assert all(r.duplicate for r in results[220:])
    assert await store.queued_count(user.id) == 200


async def test_cancelled_writers_leave_no_transaction_open(store: Store, user: UserRecord) -> None:
    for round_ in range(10):
        tasks = [
            asyncio.create_task(store.accept(message(user.id, f"{round_}-{n}"))) for n in range(10)
        ]
        # Cancel while later tasks are mid-transaction or waiting for the writer lock.
        await asyncio.wait([tasks[round_ % 5]])
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        probe = await store.accept(message(user.id, f"probe-{round_}"))
        assert probe.position == await store.queued_count(user.id)


# -- claiming the line head -----------------------------------------------------------------


async def test_the_line_head_is_handed_out_one_at_a_time_in_order(
    store: Store, user: UserRecord, other_user: UserRecord, clock: FakeClock
) -> None:
    ids = [await _put(store, user, str(n)) for n in range(3)]
    other_id = await _put(store, other_user, "other")

    first = await store.claim_next(user.id, "w1", LEASE)
    assert first is not None and (first.item.id, first.action) == (ids[0], "run")
    item = first.item
    assert (item.status, item.owner, item.lease_expires) == ("claimed", "w1", clock.now + LEASE)
    assert await store.get_item(ids[0]) == item
    assert await store.claim_next(user.id, "w2", LEASE) is None
    assert await store.claim_next(user.id, "w1", LEASE) is None  # its own holder too

    theirs = await store.claim_next(other_user.id, "w2", LEASE)
    assert theirs is not None and theirs.item.id == other_id  # other users are not held up
    assert await store.claim_next(other_user.id, "w2", LEASE) is None

    assert await store.finish(ids[0], "w1")
    assert not await store.finish(ids[0], "w1", "fail")  # final: no second ending
    second = await store.claim_next(user.id, "w2", LEASE)
    assert second is not None and (second.item.id, second.action) == (ids[1], "run")
    assert await store.queued_count(user.id) == 1


async def test_concurrent_claims_for_one_user_hand_out_one_item(
    store: Store, user: UserRecord
) -> None:
    ids = [await _put(store, user, str(n)) for n in range(5)]
    claims = await asyncio.gather(*(store.claim_next(user.id, f"w{n}", LEASE) for n in range(10)))
    won = [c for c in claims if c is not None]
    assert len(won) == 1 and won[0].item.id == ids[0]


async def test_claim_with_nothing_queued_and_a_bad_lease(store: Store, user: UserRecord) -> None:
    assert await store.claim_next(user.id, "w1", LEASE) is None
    item_id = await _put(store, user, "1")
    with pytest.raises(ValueError, match="lease_seconds"):
        await store.claim_next(user.id, "w1", 0)
    assert await _status(store, item_id) == "queued"  # the refused claim changed nothing
    assert await store.claim_next(user.id, "w1", LEASE) is not None


async def test_message_after_one_not_final_waits_even_when_that_ones_lease_ran_out(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    first = await _sent_and_abandoned(store, user, clock)
    second = await _put(store, user, "next")
    clock.advance(-1)
    assert await store.claim_next(user.id, "w2", LEASE) is None  # the lease is still live
    clock.advance(1)  # now it ran out: the first message is reported before the second runs
    claim = await store.claim_next(user.id, "w2", LEASE)
    assert claim == Claim(await store.get_item(first), "report")  # as stored, to report
    item = claim.item
    assert (item.id, item.status, item.owner, item.reached_agent) == (
        first,
        "reporting",
        "w2",
        True,
    )
    assert await store.claim_next(user.id, "w3", LEASE) is None  # nothing passes a report
    assert not await store.mark_sending(first, "w2")  # it is never sent again unasked
    assert not await store.finish(first, "w2")  # a report is ended by reporting it
    assert not await store.finish(first, "dead", "report")
    assert await store.finish(first, "w2", "report")
    assert await _status(store, first) == "reported"
    after = await store.claim_next(user.id, "w3", LEASE)
    assert after is not None and (after.item.id, after.action) == (second, "run")


async def test_a_report_whose_worker_died_is_taken_over_as_a_report(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    item_id = await _sent_and_abandoned(store, user, clock)
    first = await store.claim_next(user.id, "w2", LEASE)
    assert first is not None and first.action == "report"
    clock.advance(LEASE)  # w2 died before telling the user
    again = await store.claim_next(user.id, "w3", LEASE)
    assert again is not None and (again.item.id, again.action, again.item.owner) == (
        item_id,
        "report",
        "w3",
    )
    assert not await store.finish(item_id, "w2", "report")
    assert await store.finish(item_id, "w3", "report")


async def test_only_the_holder_moves_its_item(store: Store, user: UserRecord) -> None:
    ids = [await _put(store, user, str(n)) for n in range(2)]
    assert not await store.finish(ids[0], "w1")  # still queued: nobody holds it
    assert not await store.mark_sending(ids[0], "w1")
    for item_id, move, final in zip(ids, ("finish", "fail"), ("done", "failed"), strict=True):
        claim = await store.claim_next(user.id, "w1", LEASE)
        assert claim is not None and claim.item.id == item_id
        assert not await store.mark_sending(item_id, "intruder")
        assert await store.mark_sending(item_id, "w1")
        assert await store.mark_sending(item_id, "w1")  # a retry after a refusal marks again
        assert not await store.finish(item_id, "intruder", move)
        assert not await store.finish(item_id, "w1", "report")  # only a report is reported
        assert await store.finish(item_id, "w1", move)
        item = await store.get_item(item_id)
        assert item is not None
        assert (item.status, item.reached_agent, item.lease_expires) == (final, True, None)
        assert not await store.mark_sending(item_id, "w1")
        assert not await store.renew(item_id, "w1", LEASE)


async def test_finish_with_scrub_erases_the_text(store: Store, user: UserRecord) -> None:
    secret = await _put(store, user, "login", "/login nmv_usr_0123456789abcdef")
    kept = await _put(store, user, "turn", "a cat on the moon")
    for item_id, scrub in ((secret, True), (kept, False)):
        claim = await store.claim_next(user.id, "w1", LEASE)
        assert claim is not None and claim.item.id == item_id
        assert await store.finish(item_id, "w1", scrub=scrub)
    erased = await store.get_item(secret)
    assert erased is not None and erased.status == "done"
    assert (text_of(erased.payload), text_of(erased.intent, "arg")) == ("", "")
    untouched = await store.get_item(kept)
    assert untouched is not None and text_of(untouched.payload) == "a cat on the moon"
    assert text_of(untouched.intent, "arg") == "a cat on the moon"


async def test_scrub_erases_a_payload_that_is_not_a_json_object_whole(
    store: Store, user: UserRecord
) -> None:
    odd = (('"/login nmv_usr_0123456789"', '"nmv_usr_0123456789"'), ('["a"]', "[1]"), ("?", "?"))
    for n, (payload, intent) in enumerate(odd):
        placed = await store.accept(
            NewItem("telegram", f"odd{n}", user.id, CHAT, "login", intent, payload)
        )
        claim = await store.claim_next(user.id, "w1", LEASE)
        assert claim is not None and claim.item.id == placed.item_id
        assert await store.finish(placed.item_id, "w1", scrub=True), payload
        item = await store.get_item(placed.item_id)
        assert item is not None and (item.status, item.payload, item.intent) == ("done", "", None)


async def test_forget_texts_is_not_stopped_by_an_intent_that_is_not_an_object(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    new = NewItem("telegram", "odd", user.id, CHAT, "turn", '"a cat"', '{"text": "a cat"}')
    placed = await store.accept(new)
    assert await store.claim_next(user.id, "w1", LEASE) is not None
    assert await store.finish(placed.item_id, "w1")
    clock.advance(1)
    assert await store.forget_texts(clock.now) == 1
    item = await store.get_item(placed.item_id)
    assert item is not None and text_of(item.payload) == ""


async def test_a_failed_scrub_changes_nothing_when_the_finish_is_refused(
    store: Store, user: UserRecord
) -> None:
    item_id = await _put(store, user, "login", "/login nmv_usr_0123456789abcdef")
    assert not await store.finish(item_id, "w1", scrub=True)  # not held: no finish, no scrub
    item = await store.get_item(item_id)
    assert item is not None and text_of(item.payload) == "/login nmv_usr_0123456789abcdef"


async def test_lease_renewal_and_expiry(store: Store, user: UserRecord, clock: FakeClock) -> None:
    first = await _put(store, user, "1")
    second = await _put(store, user, "2")
    assert await store.claim_next(user.id, "w1", 10) is not None

    clock.advance(8)
    assert await store.renew(first, "w1", 10)
    assert not await store.renew(first, "w2", 10)
    clock.advance(8)
    assert await store.claim_next(user.id, "w2", 10) is None  # renewed: still live

    clock.advance(3)  # 19 s after the claim, 11 s after the renewal: expired
    # Never sent to the agent, so the next claim runs the same item again.
    again = await store.claim_next(user.id, "w2", 10)
    assert again is not None and (again.item.id, again.item.owner, again.action) == (
        first,
        "w2",
        "run",
    )
    assert not await store.renew(first, "w1", 10)  # the old holder lost it
    assert not await store.release(first, "w1")
    assert not await store.mark_sending(first, "w1")
    assert not await store.finish(first, "w1")
    assert await store.finish(first, "w2")
    after = await store.claim_next(user.id, "w1", 10)
    assert after is not None and after.item.id == second


async def test_users_with_work(
    store: Store, user: UserRecord, other_user: UserRecord, clock: FakeClock
) -> None:
    assert await store.users_with_work(PLATFORMS) == []
    await _put(store, other_user, "o1")
    await _put(store, user, "u1")
    assert await store.users_with_work(PLATFORMS) == [other_user.id, user.id]
    await store.claim_next(other_user.id, "w1", 10)
    assert await store.users_with_work(PLATFORMS) == [user.id]
    clock.advance(10)  # its lease ran out: the other user's line has work again
    assert await store.users_with_work(PLATFORMS) == [other_user.id, user.id]


async def test_users_with_work_only_for_connected_platforms(
    store: Store, user: UserRecord, other_user: UserRecord
) -> None:
    await store.accept(message(user.id, "t1"))
    await store.accept(message(other_user.id, "d1", platform="discord"))
    assert await store.users_with_work(["discord"]) == [other_user.id]
    assert await store.users_with_work([]) == []
    assert sorted(await store.users_with_work(["telegram", "discord"])) == sorted(
        [user.id, other_user.id]
    )


async def test_release_gives_unsent_work_back_and_leaves_sent_work_to_a_report(
    store: Store, user: UserRecord
) -> None:
    first = await _put(store, user, "r1")
    await _put(store, user, "r2")
    assert await store.claim_next(user.id, "w1", 3600) is not None
    assert not await store.release(first, "someone-else")
    assert await store.claim_next(user.id, "w2", 60) is None  # still leased to w1
    assert await store.release(first, "w1")
    released = await store.get_item(first)
    assert released is not None
    assert (released.status, released.owner, released.lease_expires) == ("queued", None, None)
    again = await store.claim_next(user.id, "w2", 60)
    assert again is not None and (again.item.id, again.action) == (first, "run")  # in order

    assert await store.mark_sending(first, "w2")
    assert await store.release(first, "w2")  # stopping mid-turn: it may have been sent
    assert await _status(store, first) == "sending"
    assert not await store.release(first, "w2")
    report = await store.claim_next(user.id, "w3", 60)  # at once, no lease to wait out
    assert report is not None and (report.item.id, report.action) == (first, "report")


async def test_cancel_user_drops_the_queued_and_ends_the_active(
    store: Store, user: UserRecord
) -> None:
    ids = [await _put(store, user, str(n)) for n in range(3)]
    side = await store.accept(message(user.id, "s", kind="status", lane="side"))
    assert await store.claim_next(user.id, "w1", LEASE) is not None
    assert await store.mark_sending(ids[0], "w1")

    dropped, stopped = await store.cancel_user(user.id)
    assert dropped == 2
    assert stopped is not None and (stopped.id, stopped.status) == (ids[0], "cancelled")
    assert [await _status(store, i) for i in ids] == ["cancelled"] * 3
    assert await store.cancel_user(user.id) == (0, None)
    assert await store.queued_count(user.id) == 0
    assert not await store.finish(ids[0], "w1")  # its worker learns it was cancelled
    assert not await store.renew(ids[0], "w1", LEASE)
    assert await store.side_items(PLATFORMS) == [side.item_id]  # /cancel is not about those


async def test_cancel_leaves_a_report_to_be_made(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    sent = await _sent_and_abandoned(store, user, clock)
    report = await store.claim_next(user.id, "w2", LEASE)
    assert report is not None and report.action == "report"
    later = await _put(store, user, "later")
    assert await store.cancel_user(user.id) == (1, None)
    assert await _status(store, later) == "cancelled"
    assert await store.finish(sent, "w2", "report")  # the user is still told


async def test_resend_item_works_once(
    store: Store, user: UserRecord, other_user: UserRecord, clock: FakeClock
) -> None:
    item_id = await _sent_and_abandoned(store, user, clock)
    assert await store.resend_item(item_id, user.id) is None  # not reported yet
    report = await store.claim_next(user.id, "w2", LEASE)
    assert report is not None and await store.finish(item_id, "w2", "report")
    assert await store.resend_item(item_id, other_user.id) is None  # someone else's
    resent = await store.resend_item(item_id, user.id)
    assert resent is not None and (resent.id, resent.status) == (item_id, "resent")
    assert text_of(resent.intent, "arg") == "hi"  # what to send again, as it was decided
    assert await store.resend_item(item_id, user.id) is None  # once
    done = await _put(store, user, "done")
    claim = await store.claim_next(user.id, "w2", LEASE)
    assert claim is not None and await store.finish(done, "w2")
    assert await store.resend_item(done, user.id) is None  # answered: nothing to resend


async def test_recover_after_a_crash(reopen: Reopen, clock: FakeClock) -> None:
    store = await reopen()
    alice = await store.upsert_user("telegram", "alice")
    bob = await store.upsert_user("telegram", "bob")
    a = [await _put(store, alice, f"a{n}") for n in range(3)]
    b = [await _put(store, bob, f"b{n}") for n in range(2)]
    assert await store.claim_next(alice.id, "old-process", 300) is not None
    assert await store.claim_next(bob.id, "old-process", 300) is not None
    assert await store.mark_sending(b[0], "old-process")
    await store.close()  # the process dies with both items held, leases still "valid"
    clock.advance(300)  # …until they run out (SQLite expires them at once: one process)

    async with await reopen() as store:
        assert sorted(await store.users_with_work(PLATFORMS)) == sorted([alice.id, bob.id])
        handed = []
        while (claim := await store.claim_next(alice.id, "new-process", 60)) is not None:
            handed.append((claim.item.id, claim.action))
            assert await store.finish(claim.item.id, "new-process")
        assert handed == [(a[0], "run"), (a[1], "run"), (a[2], "run")]

        report = await store.claim_next(bob.id, "new-process", 60)
        assert report is not None and (report.item.id, report.action) == (b[0], "report")
        assert report.item.reached_agent
        assert await store.claim_next(bob.id, "new-process", 60) is None
        assert await store.finish(b[0], "new-process", "report")
        after = await store.claim_next(bob.id, "new-process", 60)
        assert after is not None and (after.item.id, after.action) == (b[1], "run")


@pytest.mark.sqlite_only
async def test_leases_expire_on_reopen(reopen: Reopen) -> None:
    """One process per SQLite file: whoever held a lease before the open is gone."""
    async with await reopen() as store:
        user = await store.upsert_user("telegram", "1")
        item_id = await _put(store, user, "1")
        assert await store.claim_next(user.id, "old-process", 600) is not None
    async with await reopen() as store:  # no time passed
        claim = await store.claim_next(user.id, "new-process", 60)
        assert claim is not None and (claim.item.id, claim.action) == (item_id, "run")


# -- side lane, albums ----------------------------------------------------------------------


async def test_side_lane_items_are_deduped_but_never_in_line(store: Store) -> None:
    user = await store.upsert_user("console", "u-side")
    side = await store.accept(
        message(user.id, "h1", platform="console", kind="status", lane="side")
    )
    assert (side.position, side.duplicate) == (0, False)
    again = await store.accept(message(user.id, "h1", platform="console", lane="side"))
    assert again.duplicate and again.item_id == side.item_id
    assert await store.queued_count(user.id) == 0
    assert await store.claim_next(user.id, "w", 30) is None  # not the line's business
    assert await store.side_items(["console"]) == [side.item_id]
    assert await store.side_items(["telegram"]) == []
    claimed = await store.claim_side(side.item_id, "w", 30)
    assert claimed is not None and (claimed.lane, claimed.status, claimed.owner) == (
        "side",
        "claimed",
        "w",
    )
    assert await store.claim_side(side.item_id, "w2", 30) is None  # only once
    assert await store.side_items(["console"]) == []
    line = await store.accept(message(user.id, "l1", platform="console"))
    assert line.position == 1  # a claimed side item does not hold up the line
    claim = await store.claim_next(user.id, "w", 30)
    assert claim is not None and claim.item.id == line.item_id
    assert await store.claim_side(line.item_id, "w2", 30) is None  # a line item is not a side one
    assert await store.finish(side.item_id, "w")
    assert await _status(store, side.item_id) == "done"


async def test_a_side_item_stored_claimed_is_its_receivers_until_the_lease_runs_out(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    mine = AcceptRules(owner="w1", lease_seconds=5)
    placed = await store.accept(
        message(user.id, "own-1", platform="console", kind="cancel", lane="side"), mine
    )
    assert placed.position == 0
    item = await store.get_item(placed.item_id)
    assert item is not None
    assert (item.status, item.owner, item.lease_expires) == ("claimed", "w1", clock.now + 5)
    assert await store.side_items(["console"]) == []  # nobody else is to take it up
    assert await store.claim_side(placed.item_id, "w2", 5) is None
    clock.advance(6)  # its worker died before answering
    assert await store.side_items(["console"]) == [placed.item_id]
    taken = await store.claim_side(placed.item_id, "w2", 5)
    assert taken is not None and taken.owner == "w2"
    assert not await store.finish(placed.item_id, "w1")
    with pytest.raises(ValueError, match="side-lane"):
        await store.accept(message(user.id, "own-2", platform="console"), mine)
    with pytest.raises(ValueError, match="lease_seconds"):
        await store.accept(
            message(user.id, "own-3", platform="console", lane="side"), AcceptRules(owner="w1")
        )


async def test_an_album_is_absorbed_into_its_first_message(store: Store) -> None:
    user = await store.upsert_user("telegram", "u-album")
    first = await store.accept(message(user.id, "a1", "1", kind="upload", group="g"))
    await store.accept(message(user.id, "a2", "2", kind="upload", group="g"))
    await store.accept(message(user.id, "x", "other"))
    await store.accept(message(user.id, "a3", "3", kind="upload", group="g"))
    claim = await store.claim_next(user.id, "w", 30)
    assert claim is not None
    assert (claim.item.id, claim.item.group_key) == (first.item_id, "g")
    absorbed = await store.absorb_group(claim.item.id, user.id, "g")
    assert [text_of(a.payload) for a in absorbed] == ["2", "3"]
    assert {a.status for a in absorbed} == {"done"}
    assert await store.queued_count(user.id) == 1  # only "x" is left
    assert await store.absorb_group(claim.item.id, user.id, "g") == []


# -- housekeeping ---------------------------------------------------------------------------


async def test_prune_keeps_recent_dedupe_keys(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    old = await _put(store, user, "old")
    assert await store.claim_next(user.id, "w1", LEASE) is not None
    assert await store.finish(old, "w1")
    await _put(store, user, "cancelled-old")
    assert await store.cancel_user(user.id) == (1, None)
    clock.advance(100)
    cutoff = clock.now
    recent = await _put(store, user, "recent")
    assert await store.claim_next(user.id, "w1", LEASE) is not None
    assert await store.finish(recent, "w1", "fail")
    waiting = await _put(store, user, "waiting")

    assert await store.prune_inbox(cutoff) == 2
    assert await store.get_item(old) is None
    assert await store.accept(message(user.id, "recent")) == Enqueued(recent, 0, True)
    assert (await store.accept(message(user.id, "waiting"))).duplicate
    assert await store.get_item(waiting) is not None
    # A pruned key is accepted again; ids are never reused.
    fresh = await store.accept(message(user.id, "old"))
    assert not fresh.duplicate and fresh.item_id > waiting


async def test_forget_texts_of_old_finished_items(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    old = await _put(store, user, "old", "an old secret")
    assert await store.claim_next(user.id, "w1", LEASE) is not None
    assert await store.finish(old, "w1")
    clock.advance(100)
    cutoff = clock.now
    recent = await _put(store, user, "recent", "a recent one")
    assert await store.claim_next(user.id, "w1", LEASE) is not None
    assert await store.finish(recent, "w1")
    waiting = await _put(store, user, "waiting", "still to answer")

    assert await store.forget_texts(cutoff) == 1
    assert await store.forget_texts(cutoff) == 0  # nothing left to erase
    kept = ((old, ""), (recent, "a recent one"), (waiting, "still to answer"))
    for item_id, text in kept:
        item = await store.get_item(item_id)
        assert item is not None and text_of(item.payload) == text, item_id
        assert text_of(item.intent, "arg") == text, item_id
    assert await store.accept(message(user.id, "old")) == Enqueued(old, 0, True)  # key kept
