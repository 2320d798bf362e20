"""Render jobs: persisted before submit, followed by one lease holder, delivered once.

The states and who may move a job between them are `storage.lifecycle.RENDER`.
"""

from __future__ import annotations

import asyncio

import pytest
from store_fakes import CHAT, FakeClock, Reopen, chat_on

from storage import NewRender, RenderExistsError, RenderJob, StatusAnswer, Store, UserRecord

SESSION = "7301234567890123456"
LEASE = 30.0
URL = "https://x/v.mp4"
PLATFORMS = ("telegram", "console")  # the platforms this worker is connected to


def _job(user: UserRecord, render_id: str = "r1") -> NewRender:
    return NewRender(render_id, user.id, CHAT, SESSION)


async def _completed(
    store: Store, user: UserRecord, render_id: str = "r1", owner: str = "w1"
) -> None:
    await store.create_render(_job(user, render_id), owner, LEASE)
    job = await store.record_status(render_id, owner, StatusAnswer("completed", 100, URL))
    assert job is not None and job.status == "completed"


async def _status(store: Store, render_id: str) -> str:
    job = await store.get_render(render_id)
    assert job is not None
    return job.status


async def test_create_and_get(store: Store, user: UserRecord, clock: FakeClock) -> None:
    job = await store.create_render(_job(user), "w1", LEASE)
    assert job == RenderJob(
        render_id="r1",
        user_id=user.id,
        chat=CHAT,
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
        lease_expires=clock.now + LEASE,
    )
    assert await store.get_render("r1") == job
    assert await store.get_render("nope") is None
    with pytest.raises(RenderExistsError):
        await store.create_render(_job(user), "w2", LEASE)
    assert await store.get_render("r1") == job  # the refused create changed nothing
    with pytest.raises(ValueError, match="lease_seconds"):
        await store.create_render(_job(user, "r2"), "w1", 0)
    assert await store.get_render("r2") is None


async def test_full_lifecycle(store: Store, user: UserRecord, clock: FakeClock) -> None:
    await store.create_render(_job(user), "w1", LEASE)
    submitted = clock.now
    pending = await store.record_status("r1", "w1", StatusAnswer("pending", 0, None, submitted))
    assert pending is not None and (pending.status, pending.submitted_at) == ("pending", submitted)
    processing = await store.record_status("r1", "w1", StatusAnswer("processing", 40))
    assert processing is not None and (processing.status, processing.progress) == ("processing", 40)
    assert await store.record_status("r1", "w1", StatusAnswer("processing", 90)) is not None
    clock.advance(20)
    done = await store.record_status("r1", "w1", StatusAnswer("completed", 0, URL))
    assert done is not None
    assert (done.status, done.progress, done.output_url, done.finished_at) == (
        "completed",
        100,  # a finished job is at 100 %, whatever the answer said
        URL,
        clock.now,
    )
    assert done.error is None and done.submitted_at == submitted
    assert await store.record_status("r1", "w1", StatusAnswer("processing", 99)) is None
    assert await _status(store, "r1") == "completed"  # a late poll cannot move it back

    assert await store.begin_delivery("r1", "w1")
    assert not await store.begin_delivery("r1", "w1")
    assert [j.render_id for j in await store.active_renders(user.id)] == ["r1"]  # delivering
    assert await store.end_render("r1", "w1", "delivered")
    delivered = await store.get_render("r1")
    assert delivered is not None
    assert (delivered.status, delivered.delivered, delivered.owner, delivered.lease_expires) == (
        "delivered",
        True,
        "w1",  # who sent it
        None,
    )
    assert delivered.finished_at == clock.now
    assert not await store.begin_delivery("r1", "w1")
    assert not await store.end_render("r1", "w1", "delivered")
    assert await store.active_renders(user.id) == []


async def test_one_render_per_export_message(store: Store, user: UserRecord) -> None:
    first = await store.create_render(NewRender("r1", user.id, CHAT, SESSION, item_id=7), "w1", 30)
    assert await store.render_for_item(7) == first
    assert await store.render_for_item(8) is None
    with pytest.raises(RenderExistsError) as caught:  # the message redelivered to a worker
        await store.create_render(NewRender("r2", user.id, CHAT, SESSION, item_id=7), "w2", 30)
    assert caught.value.existing == first  # the one to follow instead
    assert await store.get_render("r2") is None
    with pytest.raises(RenderExistsError) as taken:
        await store.create_render(NewRender("r1", user.id, CHAT, SESSION, item_id=8), "w2", 30)
    assert taken.value.existing is None  # the render id itself was taken
    assert await store.render_for_item(8) is None


async def test_a_detached_render_frees_its_message_for_another(
    store: Store, user: UserRecord
) -> None:
    await store.create_render(NewRender("r1", user.id, CHAT, SESSION, item_id=7), "w1", 30)
    assert not await store.end_render("r1", "w2", "fail", "not mine", detach=True)
    assert await store.render_for_item(7) is not None  # a refused end detaches nothing
    assert await store.end_render("r1", "w1", "fail", "another bot's id", detach=True)
    assert await store.render_for_item(7) is None
    again = await store.create_render(NewRender("r2", user.id, CHAT, SESSION, item_id=7), "w1", 30)
    assert await store.render_for_item(7) == again


async def test_record_status_takes_only_a_status_a_job_can_move_to(
    store: Store, user: UserRecord
) -> None:
    await store.create_render(_job(user), "w1", LEASE)
    for bogus in ("bogus", "delivered", "delivering", "failed"):
        with pytest.raises(ValueError, match="not a status"):
            await store.record_status("r1", "w1", StatusAnswer(bogus, 1))
    assert await _status(store, "r1") == "created"
    assert await store.record_status("missing", "w1", StatusAnswer("pending", 1)) is None


async def test_failed_render_records_the_error(store: Store, user: UserRecord) -> None:
    await store.create_render(_job(user), "w1", LEASE)
    assert await store.end_render("r1", "w1", "fail", "export blocked")
    job = await store.get_render("r1")
    assert job is not None and (job.status, job.error) == ("failed", "export blocked")
    assert job.finished_at is not None
    assert not await store.begin_delivery("r1", "w1")
    assert not await store.end_render("r1", "w1", "fail", "again")
    assert await store.record_status("r1", "w1", StatusAnswer("completed", 100)) is None
    assert await store.active_renders(user.id) == []


async def test_a_job_is_moved_by_its_holder_only(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    await store.create_render(_job(user), "w1", LEASE)
    assert await store.record_status("r1", "w2", StatusAnswer("pending", 5)) is None
    assert not await store.end_render("r1", "w2", "fail", "not mine")
    assert not await store.end_render("r1", "w2", "cancel")
    assert await _status(store, "r1") == "created"
    assert await store.record_status("r1", "w1", StatusAnswer("completed", 100, URL)) is not None
    assert not await store.begin_delivery("r1", "w2")
    assert not await store.end_render("r1", "w2", "fail")

    clock.advance(LEASE)  # w1's lease ran out (it may be alive, but it may no longer send)
    assert not await store.begin_delivery("r1", "w1")
    [taken] = await store.take_over_renders("w2", LEASE, PLATFORMS)
    assert (taken.render_id, taken.status, taken.owner) == ("r1", "completed", "w2")
    assert not await store.begin_delivery("r1", "w1")
    assert not await store.end_render("r1", "w1", "fail")
    assert not await store.renew_render("r1", "w1", LEASE)
    assert await _status(store, "r1") == "completed"
    assert await store.begin_delivery("r1", "w2")


async def test_a_taken_over_poller_can_no_longer_record(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    await store.create_render(_job(user), "w1", LEASE)
    assert await store.record_status("r1", "w1", StatusAnswer("processing", 30)) is not None
    clock.advance(LEASE)
    assert [j.owner for j in await store.take_over_renders("w2", LEASE, PLATFORMS)] == ["w2"]
    assert await store.record_status("r1", "w1", StatusAnswer("completed", 100, URL)) is None
    assert not await store.end_render("r1", "w1", "cancel")
    job = await store.get_render("r1")
    assert job is not None and (job.status, job.progress) == ("processing", 30)
    assert await store.end_render("r1", "w2", "cancel")
    assert await _status(store, "r1") == "cancelled"


async def test_begin_delivery_once_under_concurrency(store: Store, user: UserRecord) -> None:
    await store.create_render(_job(user), "w1", LEASE)
    assert not await store.begin_delivery("r1", "w1")  # not completed yet
    assert await store.record_status("r1", "w1", StatusAnswer("completed", 100)) is not None
    results = await asyncio.gather(*(store.begin_delivery("r1", "w1") for _ in range(25)))
    assert results.count(True) == 1


async def test_a_video_being_sent_when_its_worker_died_is_offered_never_resent(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    await _completed(store, user)
    assert await store.begin_delivery("r1", "w1")
    clock.advance(LEASE)  # w1 died while sending
    [job] = await store.take_over_renders("w2", LEASE, PLATFORMS)
    assert (job.render_id, job.status, job.owner, job.finished_at) == (
        "r1",
        "unconfirmed",
        "w2",
        clock.now,
    )
    assert not await store.begin_delivery("r1", "w2")  # never sent again unasked
    assert not await store.end_render("r1", "w1", "delivered")
    assert await store.active_renders(user.id) == []  # unconfirmed is final
    clock.advance(LEASE)
    assert await store.take_over_renders("w3", LEASE, PLATFORMS) == []

    resent = await store.resend_render(user.id, "w3", LEASE)  # the user pressed Resend
    assert resent is not None and (resent.render_id, resent.status, resent.owner) == (
        "r1",
        "delivering",
        "w3",
    )
    assert await store.resend_render(user.id, "w3", LEASE) is None  # once per press
    assert await store.end_render("r1", "w3", "delivered")
    assert await _status(store, "r1") == "delivered"


async def test_a_failed_send_is_unconfirmed_and_the_latest_is_resent_first(
    store: Store, user: UserRecord, other_user: UserRecord, clock: FakeClock
) -> None:
    for render_id in ("old", "new"):
        await _completed(store, user, render_id)
        assert await store.begin_delivery(render_id, "w1")
        assert await store.end_render(render_id, "w1", "send_failed", "timed out")
        clock.advance(1)
    job = await store.get_render("old")
    assert job is not None and (job.status, job.error) == ("unconfirmed", "timed out")
    assert await store.resend_render(other_user.id, "w1", LEASE) is None  # not theirs
    first = await store.resend_render(user.id, "w2", LEASE)
    second = await store.resend_render(user.id, "w2", LEASE)
    assert first is not None and second is not None
    assert (first.render_id, second.render_id) == ("new", "old")
    assert await store.resend_render(user.id, "w2", LEASE) is None
    assert await store.end_render("new", "w2", "send_failed")  # offered again
    again = await store.resend_render(user.id, "w3", LEASE)
    assert again is not None and again.render_id == "new"


async def test_active_renders_newest_first(
    store: Store, user: UserRecord, other_user: UserRecord, clock: FakeClock
) -> None:
    assert await store.active_renders(user.id) == []
    await store.create_render(_job(user, "r1"), "w1", LEASE)
    clock.advance(1)
    await store.create_render(_job(user, "r2"), "w1", LEASE)
    await store.create_render(_job(other_user, "r3"), "w1", LEASE)
    assert [j.render_id for j in await store.active_renders(user.id)] == ["r2", "r1"]
    assert await store.end_render("r2", "w1", "cancel")
    assert [j.render_id for j in await store.active_renders(user.id)] == ["r1"]


async def test_leases_take_over_renew_release(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    await store.create_render(_job(user, "r1"), "w1", LEASE)
    clock.advance(1)
    await store.create_render(_job(user, "r2"), "w1", LEASE)
    await store.create_render(_job(user, "gone"), "w1", LEASE)
    assert await store.end_render("gone", "w1", "fail")
    assert await store.take_over_renders("w2", LEASE, PLATFORMS) == []

    clock.advance(20)
    assert await store.renew_render("r2", "w1", LEASE)
    assert not await store.renew_render("r2", "w2", LEASE)
    clock.advance(15)  # r1 expired, r2 renewed
    claimed = await store.take_over_renders("w2", LEASE, PLATFORMS)
    assert [(j.render_id, j.owner, j.lease_expires) for j in claimed] == [
        ("r1", "w2", clock.now + LEASE)
    ]
    assert not await store.renew_render("r1", "w1", LEASE)

    assert not await store.release_render("r2", "w2")
    assert await store.release_render("r2", "w1")  # stopping: the next worker takes it over
    assert [j.render_id for j in await store.take_over_renders("w2", LEASE, PLATFORMS)] == ["r2"]
    assert await store.take_over_renders("w3", LEASE, PLATFORMS) == []
    clock.advance(LEASE)
    assert [j.render_id for j in await store.take_over_renders("w3", LEASE, PLATFORMS)] == [
        "r1",
        "r2",
    ]
    assert not await store.renew_render("gone", "w1", LEASE)


async def test_a_worker_takes_over_the_renders_of_its_platforms_only(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    for render_id, platform in (("tg", "telegram"), ("dc", "discord")):
        await store.create_render(
            NewRender(render_id, user.id, chat_on(platform), SESSION), "w1", 5
        )
    clock.advance(5)
    assert await store.take_over_renders("w2", LEASE, []) == []
    assert [j.render_id for j in await store.take_over_renders("w2", LEASE, ["telegram"])] == ["tg"]
    taken = await store.take_over_renders("w3", LEASE, ["telegram", "discord"])
    assert [(j.render_id, j.owner) for j in taken] == [("dc", "w3")]  # tg is w2's now


async def test_a_released_delivery_comes_back_unconfirmed(store: Store, user: UserRecord) -> None:
    await _completed(store, user)
    assert await store.begin_delivery("r1", "w1")
    assert await store.release_render("r1", "w1")  # stopping mid-send: it may have arrived
    [job] = await store.take_over_renders("w2", LEASE, PLATFORMS)
    assert (job.status, job.owner) == ("unconfirmed", "w2")


@pytest.mark.sqlite_only
async def test_leases_expire_on_reopen(reopen: Reopen) -> None:
    """One process per SQLite file: whoever held a lease before the open is gone."""
    async with await reopen() as store:
        user = await store.upsert_user("telegram", "1")
        await store.create_render(_job(user), "old-process", 600)
        assert await store.record_status("r1", "old-process", StatusAnswer("processing", 10))
    async with await reopen() as store:
        claimed = await store.take_over_renders("new-process", 60, PLATFORMS)
        assert [(j.render_id, j.status, j.progress, j.owner) for j in claimed] == [
            ("r1", "processing", 10, "new-process")
        ]


async def test_render_seconds_of_delivered_jobs(
    store: Store, user: UserRecord, clock: FakeClock
) -> None:
    assert await store.render_seconds() == []
    for n, took in enumerate((40.0, 20.0)):
        render_id = f"render_{n}"
        await store.create_render(_job(user, render_id), "w", 60)
        submitted = StatusAnswer("pending", 0, submitted_at=clock.now)
        assert await store.record_status(render_id, "w", submitted) is not None
        clock.advance(took)
        assert await store.record_status(render_id, "w", StatusAnswer("completed", 100, URL))
        assert await store.begin_delivery(render_id, "w")
        assert await store.end_render(render_id, "w", "delivered")
        clock.advance(100)
    await store.create_render(_job(user, "render_open"), "w", 60)  # not delivered
    assert await store.render_seconds() == [20.0, 40.0]  # newest first
    assert await store.render_seconds(limit=1) == [20.0]
