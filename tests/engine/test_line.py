"""The user's durable line: order, queue places, /cancel, redelivery and restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.texts import t
from sandbox import RunningSandbox
from storage import Claim, SqliteStore
from tests.engine.harness import eventually, fast_sandbox, new_item, running_bot


async def test_queued_messages_are_answered_in_order_with_their_place(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        for word in ("One", "Two", "Three"):
            await bot.engine.submit(bot.message(f'add a title "{word}"'))
        await bot.engine.wait_idle()
        texts = bot.outbox.texts()
        assert texts[:2] == [
            "⏳ Got it — you're #2 in line. /cancel clears the queue.",
            "⏳ Got it — you're #3 in line. /cancel clears the queue.",
        ]
        answers = [t for t in bot.outbox.final_texts() if t.startswith("Added the title")]
        assert [a.split('"')[1] for a in answers] == ["One", "Two", "Three"]
        assert sandbox.sandbox.sse_calls == 3


async def test_cancel_stops_the_running_turn_and_drops_the_queue(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    backend = sandbox.sandbox
    backend.faults.hang_stream_once = True
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.engine.submit(bot.message("generate an image of a slow snail"))
        await eventually(lambda: backend.sse_calls == 1)
        await bot.engine.submit(bot.message('add a title "Two"'))
        await bot.engine.submit(bot.message('add a title "Three"'))
        await bot.engine.submit(bot.message("/cancel"))
        await bot.engine.wait_idle()

        assert "🛑 Stopped. 2 queued messages dropped." in bot.outbox.texts()
        assert backend.sse_calls == 1
        assert not any("Added the title" in t for t in bot.outbox.final_texts())
        user_id = await bot.user_id()
        assert await bot.store.queued_count(user_id) == 0
        for item_id in (1, 2, 3):  # the running one and both queued ones
            stopped = await bot.store.get_item(item_id)
            assert stopped is not None and stopped.status == "cancelled"

        await bot.say("/cancel")
        assert bot.outbox.texts()[-1] == "There's nothing to cancel."
        await bot.say("hello")  # the line works again
        assert "NemoVideo agent" in bot.outbox.final_texts()[-1]
        assert backend.sse_calls == 2


async def test_cancel_during_a_silent_turn(sandbox: RunningSandbox, tmp_path: Path) -> None:
    backend = sandbox.sandbox
    backend.faults.silent_stream_seconds = 30
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.engine.submit(bot.message("add background music"))
        await eventually(lambda: backend.sse_calls == 1)
        await bot.engine.submit(bot.message("/cancel"))
        await bot.engine.wait_idle()
        assert bot.outbox.texts()[-1] == "🛑 Stopped."


async def test_a_redelivered_update_is_processed_once(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        turn = bot.message("generate an image of a harbour", update_id="tg-1001")
        first = await bot.engine.submit(turn)
        again = await bot.engine.submit(turn)
        assert (first.status, again.status) == ("queued", "duplicate")
        await bot.engine.wait_idle()
        await bot.engine.submit(turn)  # after it was answered, too
        await bot.engine.wait_idle()

        command = bot.message("credits", update_id="tg-1002")
        await bot.engine.submit(command)
        await bot.engine.submit(command)
        await bot.engine.wait_idle()

        assert sandbox.sandbox.sse_calls == 1
        assert len(bot.outbox.of("image")) == 1
        assert sum(t.startswith("💳 Credits") for t in bot.outbox.texts()) == 1
        assert not any("in line" in t for t in bot.outbox.texts())


async def test_a_render_running_across_a_restart_is_delivered_once(tmp_path: Path) -> None:
    async with fast_sandbox(render_min_seconds=2.0) as sandbox:
        async with running_bot(tmp_path, sandbox.url) as bot:
            await bot.say("generate an image of a northern light")
            await bot.say("export")
            user_id = await bot.user_id()
            job = next(iter(await bot.store.active_renders(user_id)), None)
            assert job is not None and job.status in ("pending", "processing")
            await bot.outbox.wait_for(lambda s: "Rendering your video" in s.text)
            assert not bot.outbox.of("video")
        render_id = job.render_id

        async with running_bot(tmp_path, sandbox.url) as bot:
            resumed = await bot.outbox.wait_for(lambda s: "I restarted" in s.text)
            assert resumed.kind == "text"
            await bot.engine.wait_idle()
            videos = bot.outbox.of("video")
            assert len(videos) == 1
            done = await bot.store.get_render(render_id)
            assert done is not None and done.status == "delivered" and done.delivered

        async with running_bot(tmp_path, sandbox.url) as bot:  # and never again
            await bot.engine.wait_idle()
            assert not bot.outbox.log
        assert sandbox.sandbox.render_submissions == {render_id: 1}


async def test_a_turn_that_reached_the_agent_is_not_resent_after_a_restart(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    backend = sandbox.sandbox
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a stone bridge")
        # A crash while the next turn runs: claimed, marked as sent, its lease still live.
        msg = bot.message("add background music")
        user_id = await bot.user_id()
        placed = await bot.store.accept(new_item(msg, user_id))
        claimed = await bot.store.claim_next(user_id, "crashed-worker", 600)
        assert claimed is not None and claimed.item.id == placed.item_id
        assert await bot.store.mark_sending(claimed.item.id, "crashed-worker")
    calls = backend.sse_calls

    async with running_bot(tmp_path, sandbox.url) as bot:
        line = await bot.outbox.wait_for(lambda s: "I restarted" in s.text)
        await bot.engine.wait_idle()
        assert "“add background music”" in line.text  # the message's own words
        assert "didn't send it again on my own" in line.text
        assert "Timeline (1 track): 1. Video: a stone bridge" in line.text
        assert [b.label for b in line.buttons] == ["↩️ Send again"]
        item = await bot.store.get_item(placed.item_id)
        assert item is not None and item.status == "reported"
        assert backend.sse_calls == calls  # never resent unasked

        await bot.press(line.buttons[0])  # the user asks for it: it runs once
        await bot.engine.wait_idle()
        assert backend.sse_calls == calls + 1
        assert "BGM" in bot.outbox.final_texts()[-1]
        await bot.press(line.buttons[0])  # a second press runs nothing
        await bot.engine.wait_idle()
        assert bot.outbox.texts()[-1] == t("nothing_to_send_again")
        assert backend.sse_calls == calls + 1
        item = await bot.store.get_item(placed.item_id)
        assert item is not None and item.status == "resent"


async def test_a_turn_claimed_but_never_sent_runs_after_a_restart(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        msg = bot.message('add a title "Back"')
        user_id = await bot.user_id()
        await bot.store.accept(new_item(msg, user_id))
        assert await bot.store.claim_next(user_id, "crashed-worker", 600) is not None

    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.engine.wait_idle()
        assert any('Added the title "Back"' in t for t in bot.outbox.final_texts())
        assert not any("I restarted" in text for text in bot.outbox.texts())
    assert sandbox.sandbox.sse_calls == 1


async def test_stopping_mid_turn_reports_it_and_keeps_the_queue(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    backend = sandbox.sandbox
    backend.faults.hang_stream_once = True
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.engine.submit(bot.message("generate an image of a sleepy fox"))
        await eventually(lambda: backend.sse_calls == 1)
        await bot.engine.submit(bot.message('add a title "After"'))
        user_id = await bot.user_id()
    assert backend.sse_calls == 1  # stopping ran nothing else

    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.outbox.wait_for(lambda s: "didn't send it again" in s.text)
        await bot.engine.wait_idle()
        assert any('Added the title "After"' in t for t in bot.outbox.final_texts())
        first = await bot.store.get_item(1)
        assert first is not None and first.status == "reported"
        assert await bot.store.queued_count(user_id) == 0
    assert backend.sse_calls == 2


class _PausingStore(SqliteStore):
    """Holds a drainer right after it found the line empty, to force the race."""

    pause = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.found_empty = asyncio.Event()
        self.release = asyncio.Event()

    async def claim_next(self, user_id: int, owner: str, lease_seconds: float) -> Claim | None:
        item = await super().claim_next(user_id, owner, lease_seconds)
        if item is None and self.pause:
            self.pause = False
            self.found_empty.set()
            await self.release.wait()
        return item


async def test_a_message_arriving_as_the_line_empties_is_not_stranded(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url, store_class=_PausingStore) as bot:
        store = bot.store
        assert isinstance(store, _PausingStore)
        store.pause = True
        await bot.engine.submit(bot.message('add a title "First"'))
        async with asyncio.timeout(10):
            await store.found_empty.wait()  # the drainer saw an empty line and is leaving
        await bot.engine.submit(bot.message('add a title "Second"'))
        store.release.set()
        await bot.engine.wait_idle()
        answers = [t for t in bot.outbox.final_texts() if t.startswith("Added the title")]
        assert [a.split('"')[1] for a in answers] == ["First", "Second"]
