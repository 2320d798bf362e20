"""Render jobs: persisted before submit, polled under a lease, delivered exactly once."""

from __future__ import annotations

import asyncio

import pytest
from store_fakes import FakeClock, Reopen

from storage import RenderExistsError, RenderJob, Store, UserRecord

SESSION = "7301234567890123456"


async def test_create_and_get(store: Store, user: UserRecord, clock: FakeClock) -> None:
    job = await store.create_render("r1", user.id, '{"chat": 1}', SESSION, "w1", 30)
    assert job == RenderJob(
        render_id="r1",
        user_id=user.id,
        chat='{"chat": 1}',
        session_id=SESSION,
        status="created",
        progress=0,
        output_url=None,
        error=None,
        attempt=1,
        submitted_at=None,
        finished_at=None,
        delivered=False,
        created_at=clock.now,
        owner="w1",
        lease_expires=clock.now + 30,
    )
    assert await store.get_render("r1") == job
    assert await store.get_render("nope") is None
    with pytest.raises(RenderExistsError):
        await store.create_render("r1", user.id, "{}", SESSION, "w1", 30, attempt=2)
    second = await store.create_render("r2", user.id, "{}", SESSION, "w1", 30, attempt=2)
    assert second.attempt == 2


async def test_full_lifecycle(store: Store, user: UserRecord, clock: FakeClock) -> None:
    await store.create_render("r1", user.id, "{}", SESSION, "w1", 30)
    assert await store.update_render("r1", status="pending", submitted_at=clock.now)
    assert await store.update_render("r1", status="processing", progress=40)
    assert await store.update_render("r1", progress=90)
    assert await store.update_render("r1")  # nothing to change, the job exists
    assert not await store.update_render("missing", progress=1)
    with pytest.raises(ValueError, match="bogus"):
        await store.update_render("r1", status="bogus")
    clock.advance(60)
    assert await store.update_render(
        "r1", status="completed", progress=100, output_url="https://x/v.mp4", finished_at=clock.now
    )
    job = await store.get_render("r1")
    assert job is not None
    assert (job.status, job.progress, job.output_url, job.finished_at) == (
        "completed",
        100,
        "https://x/v.mp4",
        clock.now,
    )
    assert job.error is None and job.submitted_at == clock.now - 60

    assert await store.begin_delivery("r1")
    assert not await store.begin_delivery("r1")
    assert (
        next(iter(await store.active_renders(user.id)), None) is not None
    )  # delivering is not terminal
    assert await store.mark_delivered("r1")
    done = await store.get_render("r1")
    assert done is not None
    assert (done.status, done.delivered, done.owner, done.lease_expires) == (
        "delivered",
        True,
        None,
        None,
    )
    assert done.finished_at == clock.now
    assert not await store.begin_delivery("r1")
    assert next(iter(await store.active_renders(user.id)), None) is None


async def test_failed_render_records_the_error(store: Store, user: UserRecord) -> None:
    await store.create_render("r1", user.id, "{}", SESSION, "w1", 30)
    await store.update_render("r1", status="failed", error="export blocked")
    job = await store.get_render("r1")
    assert job is not None and (job.status, job.error) == ("failed", "export blocked")
    assert not await store.begin_delivery("r1")
    assert next(iter(await store.active_renders(user.id)), None) is None


async def test_begin_delivery_once_under_concurrency(store: Store, user: UserRecord) -> None:
    await store.create_render("r1", user.id, "{}", SESSION, "w1", 30)
    assert not await store.begin_delivery("r1")  # not completed yet
    await store.update_render("r1", status="completed")
    results = await asyncio.gather(*(store.begin_delivery("r1") for _ in range(25)))
    assert results.count(True) == 1


async def test_active_render_is_the_latest_unfinished(
    store: Store, user: UserRecord, other_user: UserRecord, clock: FakeClock
) -> None:
    assert next(iter(await store.active_renders(user.id)), None) is None
    await store.create_render("r1", user.id, "{}", SESSION, "w1", 30)
    clock.advance(1)
    await store.create_render("r2", user.id, "{}", SESSION, "w1", 30)
    await store.create_render("r3", other_user.id, "{}", SESSION, "w1", 30)
    active = next(iter(await store.active_renders(user.id)), None)
    assert active is not None and active.render_id == "r2"
    await store.update_render("r2", status="cancelled")
    active = next(iter(await store.active_renders(user.id)), None)
    assert active is not None and active.render_id == "r1"


async def test_leases_claim_renew_release(store: Store, user: UserRecord, clock: FakeClock) -> None:
    await store.create_render("r1", user.id, "{}", SESSION, "w1", 30)
    clock.advance(1)
    await store.create_render("r2", user.id, "{}", SESSION, "w1", 30)
    await store.create_render("gone", user.id, "{}", SESSION, "w1", 30)
    await store.update_render("gone", status="failed")
    assert await store.claim_renders("w2", 30) == []

    clock.advance(20)
    assert await store.renew_render_lease("r2", "w1", 30)
    assert not await store.renew_render_lease("r2", "w2", 30)
    clock.advance(15)  # r1 expired, r2 renewed
    claimed = await store.claim_renders("w2", 30)
    assert [(j.render_id, j.owner, j.lease_expires) for j in claimed] == [
        ("r1", "w2", clock.now + 30)
    ]
    assert not await store.renew_render_lease("r1", "w1", 30)

    assert not await store.release_render("r2", "w2")
    assert await store.release_render("r2", "w1")
    assert [j.render_id for j in await store.claim_renders("w2", 30)] == ["r2"]
    assert await store.claim_renders("w3", 30) == []
    clock.advance(31)
    assert [j.render_id for j in await store.claim_renders("w3", 30)] == ["r1", "r2"]
    assert not await store.renew_render_lease("gone", "w1", 30)


@pytest.mark.sqlite_only
async def test_leases_expire_on_reopen(reopen: Reopen, clock: FakeClock) -> None:
    """One process per SQLite file: whoever held a lease before the open is gone."""
    async with await reopen() as store:
        user = await store.upsert_user("telegram", "1")
        await store.create_render("r1", user.id, "{}", SESSION, "old-process", 600)
        await store.update_render("r1", status="processing", progress=10)
    async with await reopen() as store:
        claimed = await store.claim_renders("new-process", 60)
        assert [(j.render_id, j.status, j.progress, j.owner) for j in claimed] == [
            ("r1", "processing", 10, "new-process")
        ]


async def test_render_seconds_of_delivered_jobs(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    assert await store.render_seconds() == []
    for n, took in enumerate((40.0, 20.0)):
        render_id = f"render_{n}"
        await store.create_render(render_id, user.id, "{}", "s", "w", 60)
        await store.update_render(render_id, status="completed", submitted_at=clock.now)
        await store.update_render(render_id, finished_at=clock.now + took)
        assert await store.begin_delivery(render_id)
        assert await store.mark_delivered(render_id)
        clock.advance(100)
    await store.create_render("render_open", user.id, "{}", "s", "w", 60)  # not delivered
    assert await store.render_seconds() == [20.0, 40.0]  # newest first
