"""Operators' data in the store: access rules, the figures of /stats, pruning of old renders."""

from __future__ import annotations

import pytest
from store_fakes import CHAT, FakeClock, message

from storage import NewRender, StatusAnswer, Store, UserRecord

SESSION = "1234567890123456789"


async def test_access_rules_are_set_once_and_removed(store: Store, clock: FakeClock) -> None:
    assert await store.access_rules() == []
    assert await store.set_access("telegram:5", "ban", True, set_by="console:boss")
    assert not await store.set_access("telegram:5", "ban", True)  # already there
    clock.advance(1)
    assert await store.set_access("7", "allow", True)
    rules = await store.access_rules()
    assert [(r.who, r.rule, r.set_by) for r in rules] == [
        ("telegram:5", "ban", "console:boss"),
        ("7", "allow", ""),
    ]
    assert await store.set_access("telegram:5", "ban", False)
    assert not await store.set_access("telegram:5", "ban", False)
    assert [r.who for r in await store.access_rules()] == ["7"]
    with pytest.raises(ValueError, match="unknown access rule"):
        await store.set_access("7", "maybe", True)


async def _delivered(store: Store, user: UserRecord, render_id: str) -> None:
    await store.create_render(NewRender(render_id, user.id, CHAT, SESSION), "w", 30)
    assert await store.record_status(render_id, "w", StatusAnswer("completed", 100))
    assert await store.begin_delivery(render_id, "w")
    assert await store.end_render(render_id, "w", "delivered")


async def test_stats_count_what_the_store_holds(
    store: Store, user: UserRecord, other_user: UserRecord, clock: FakeClock
) -> None:
    first = await store.accept(message(user.id, "1"))
    await store.accept(message(user.id, "2"))
    await store.accept(message(other_user.id, "3", platform="discord"))
    claim = await store.claim_next(user.id, "w", 30)
    assert claim is not None and claim.item.id == first.item_id
    assert await store.mark_sending(first.item_id, "w")
    await store.create_render(NewRender("r1", user.id, CHAT, SESSION), "w", 30)
    await _delivered(store, user, "r2")
    await store.set_access("9", "ban", True)

    counts = await store.stats(since=clock.now - 1)
    assert counts.users == 2
    assert counts.turns_since == 1
    assert (counts.queued, counts.running, counts.inbox_rows) == (2, 1, 3)
    assert counts.renders == {"created": 1, "delivered": 1}
    assert (counts.banned, counts.allowed) == (1, 0)
    assert (await store.stats(since=clock.now + 1)).turns_since == 0
    await store.ping()


async def test_prune_renders_keeps_unfinished_and_recent_jobs(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    await _delivered(store, user, "old-delivered")
    for render_id in ("old-failed", "old-running"):
        await store.create_render(NewRender(render_id, user.id, CHAT, SESSION), "w", 30)
    assert await store.end_render("old-failed", "w", "fail", "blocked")
    assert await store.record_status("old-running", "w", StatusAnswer("processing", 10))
    clock.advance(100)
    await _delivered(store, user, "new-delivered")
    assert await store.prune_renders(older_than=clock.now - 50) == 2
    assert await store.get_render("old-delivered") is None
    assert await store.get_render("old-failed") is None
    assert await store.get_render("old-running") is not None  # still polled: never pruned
    assert await store.get_render("new-delivered") is not None


async def test_prune_renders_takes_old_images_of_past_projects_only(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    await store.save_session(user.id, "anon", SESSION, None)
    current = await store.remember_image(user.id, SESSION, "k1", "https://x/1.png", "a")
    past = await store.remember_image(user.id, "9999999999999999999", "k2", "https://x/2.png", "b")
    assert current is not None and past is not None
    clock.advance(100)
    await store.prune_renders(older_than=clock.now - 50)
    assert await store.get_image(current) is not None
    assert await store.get_image(past) is None
