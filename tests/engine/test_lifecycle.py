"""Several adapters in one process: one engine, one task group, one shutdown path."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.engine import Engine
from bot.core.messages import ChatRef, IncomingMessage, User
from bot.core.ports import AdapterFailed
from bot.lifecycle import serve_adapters
from sandbox import RunningSandbox
from tests.engine.harness import RecordingOutbox, eventually, running_bot


class FakeAdapter:
    """Connects a recording outbox, submits one message, waits for stop."""

    def __init__(self, platform: str, keep_dir: Path, *, fail: str | None = None) -> None:
        self.platform = platform
        self.outbox = RecordingOutbox(keep_dir, platform=platform)
        self.fail = fail
        self.stopped = False

    async def run(self, engine: Engine, stop: asyncio.Event) -> None:
        if self.fail:
            raise AdapterFailed(self.fail)
        engine.connect(self.outbox)
        user = User(self.platform, "42")
        chat = ChatRef(self.platform, "c42")
        await engine.submit(IncomingMessage(f"{self.platform}-1", user, chat, "credits"))
        await stop.wait()
        engine.disconnect(self.platform)
        self.stopped = True


async def test_every_adapter_runs_on_one_engine_and_stops_cleanly(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url, start=False) as bot:
        adapters = [FakeAdapter("telegram", tmp_path / "t"), FakeAdapter("discord", tmp_path / "d")]
        stop = asyncio.Event()
        serving = asyncio.create_task(serve_adapters(bot.engine, adapters, stop, drain_seconds=2))
        for adapter in adapters:
            answer = await adapter.outbox.wait_for(lambda s: s.text.startswith("💳 Credits"))
            assert answer.chat == "c42"
        stop.set()
        assert await asyncio.wait_for(serving, 10) == 0
        assert all(adapter.stopped for adapter in adapters)


async def test_one_failing_adapter_stops_the_others_with_exit_code_2(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url, start=False) as bot:
        good = FakeAdapter("discord", tmp_path / "d")
        bad = FakeAdapter("telegram", tmp_path / "t", fail="another bot is polling this token")
        stop = asyncio.Event()
        code = await asyncio.wait_for(serve_adapters(bot.engine, [good, bad], stop), 10)
        assert code == 2
        assert good.stopped and stop.is_set()


async def test_a_drain_that_runs_out_leaves_the_running_turn_for_the_next_start(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Regression: the drain's timeout was taken for /cancel, and the next message ran."""
    sandbox.sandbox.faults.silent_stream_seconds = 30.0
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.engine.submit(bot.message("generate an image of a long night"))
        await bot.engine.submit(bot.message('add a title "Next"'))
        await eventually(lambda: sandbox.sandbox.sse_calls == 1)
        await bot.engine.drain(0.2)
        user = await bot.user_id()
        running = await bot.store.get_item(1)
        assert running is not None and running.status == "sending"  # released, not finished
        assert running.owner is None and running.reached_agent
        assert await bot.store.queued_count(user) == 1
        assert sandbox.sandbox.sse_calls == 1
    sandbox.sandbox.faults.silent_stream_seconds = 0.0
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.engine.wait_idle()
        texts = bot.outbox.texts()
        assert any(text.startswith("⚠️ I restarted while working") for text in texts)
        assert any("Next" in text for text in bot.outbox.final_texts())
        assert sandbox.sandbox.sse_calls == 2  # the interrupted turn was never resent
