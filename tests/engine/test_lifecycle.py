"""Several adapters in one process: one engine, one task group, one shutdown path."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.engine import Engine
from bot.core.messages import ChatRef, IncomingMessage, User
from bot.lifecycle import AdapterFailed, serve_adapters
from sandbox import RunningSandbox
from tests.engine.harness import RecordingOutbox, running_bot


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
