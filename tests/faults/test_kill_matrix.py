"""`kill -9` of the one bot on SQLite at the steps the fleet's matrix does not hold, then a restart.

The same steps with several workers on PostgreSQL are `test_fleet_kill_matrix.py`; here the
one process is restarted on its own file, whose leases it takes back at once.

Each case drives a real `nemobot run` (Telegram, against the emulator; NemoVideo is the
sandbox in this process) to one step, holds it there, kills the process, restarts it and
checks: the message got one answer or one honest report, the agent was never asked twice,
a render was submitted once and delivered once (or offered for resend, never resent).
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox import RunningSandbox, SandboxOptions, run_sandbox
from tests.engine.harness import eventually
from tests.telegram.emulator import BotApiEmulator, running_emulator
from tests.telegram.emulator.models import BotMessage
from tests.telegram.test_telegram_process import BotProcess, _env, _start

ALICE = 4001


@dataclass
class World:
    """The emulator, the sandbox and the bot's folder."""

    emu: BotApiEmulator
    sandbox: RunningSandbox
    folder: Path

    def sent(self, kind: str) -> list[BotMessage]:
        return [m for m in self.emu.messages(ALICE) if m.kind == kind and not m.deleted]

    def texts(self) -> list[str]:
        return [m.text or "" for m in self.sent("text")]

    async def start(self) -> BotProcess:
        bot = await _start(self.folder, _env(self.folder, self.emu, self.sandbox))
        await self.emu.wait_for(lambda e: e.waiting_pollers > 0, 30)
        return bot

    async def kill(self, bot: BotProcess) -> None:
        os.kill(bot.process.pid, signal.SIGKILL)
        assert await bot.wait() == -signal.SIGKILL

    async def finish(self, bot: BotProcess) -> None:
        """One more message is answered (the bot works), then a clean stop."""
        self.emu.send_message(ALICE, ALICE, "/credits")
        await self.emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("💳"), 30)
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait() == 0
        assert "Traceback" not in bot.log
        assert self.emu.token.split(":", 1)[1] not in bot.log


@asynccontextmanager
async def _world(tmp_path: Path) -> AsyncIterator[World]:
    options = SandboxOptions(chunk_delay_seconds=0, image_seconds=1, render_min_seconds=1)
    async with run_sandbox(options) as sandbox, running_emulator() as emu:
        emu.private_chat(ALICE)
        yield World(emu, sandbox, tmp_path)


async def _until(world: World, condition: Callable[[], bool]) -> None:
    """Until `condition` holds: it may watch the sandbox, which wakes no emulator waiter."""
    await eventually(condition, 30)


def _requested(world: World, prefix: str) -> bool:
    return any(path.startswith(prefix) for _, path, _ in world.sandbox.sandbox.requests)


async def _make_an_image(world: World) -> None:
    world.emu.send_message(ALICE, ALICE, "generate an image of a harbour")
    await world.emu.wait_for_message(ALICE, lambda m: m.kind == "photo", timeout=30)


# -- a turn ---------------------------------------------------------------------------------


async def test_killed_while_the_agent_streams(tmp_path: Path) -> None:
    async with _world(tmp_path) as world:
        bot = await world.start()
        world.sandbox.sandbox.faults.silent_stream_seconds = 60.0
        world.emu.send_message(ALICE, ALICE, "generate an image of a night sky")
        await _until(world, lambda: world.sandbox.sandbox.sse_calls == 1)
        await world.kill(bot)
        world.sandbox.sandbox.faults.silent_stream_seconds = 0.0
        bot = await world.start()
        await world.emu.wait_for_message(
            ALICE, lambda m: "restarted while working" in (m.text or ""), 30
        )
        assert world.sandbox.sandbox.sse_calls == 1  # never sent to the agent twice
        await world.finish(bot)
        assert sum("restarted while working" in t for t in world.texts()) == 1


async def test_killed_while_the_image_downloads(tmp_path: Path) -> None:
    """The image was never sent: it is posted after the restart, once."""
    async with _world(tmp_path) as world:
        bot = await world.start()
        faults = world.sandbox.sandbox.faults
        faults.delay_path, faults.delay_path_seconds = "/media/", 60.0
        world.emu.send_message(ALICE, ALICE, "generate an image of a lantern")
        await _until(world, lambda: _requested(world, "/media/"))
        await world.kill(bot)
        faults.delay_path = None
        bot = await world.start()
        await world.emu.wait_for_message(ALICE, lambda m: m.kind == "photo", 30)
        await world.finish(bot)
        assert len(world.sent("photo")) == 1
        assert world.sandbox.sandbox.sse_calls == 1


@pytest.mark.parametrize(
    ("step", "prefix"),
    [("submitting", "/api/render/proxy/lambda"), ("downloading", "/renders/")],
)
async def test_killed_at_a_step_of_an_export_before_the_send(
    tmp_path: Path, step: str, prefix: str
) -> None:
    """The video never reached the chat: it arrives after the restart, rendered once."""
    async with _world(tmp_path) as world:
        bot = await world.start()
        await _make_an_image(world)
        faults = world.sandbox.sandbox.faults
        faults.delay_path, faults.delay_path_seconds = prefix, 60.0
        world.emu.send_message(ALICE, ALICE, "export")
        await _until(world, lambda: _requested(world, prefix))
        await world.kill(bot)
        faults.delay_path = None
        bot = await world.start()
        await world.emu.wait_for_message(ALICE, lambda m: m.kind == "video", 60)
        await world.finish(bot)
        assert len(world.sent("video")) == 1, step
        assert list(world.sandbox.sandbox.render_submissions.values()) == [1]
        assert not any("may already be above" in t for t in world.texts())


async def test_killed_while_the_video_is_being_sent(tmp_path: Path) -> None:
    """The video may be in the chat: say so once, offer Resend, never resend unasked."""
    async with _world(tmp_path) as world:
        bot = await world.start()
        await _make_an_image(world)
        world.emu.hold_answer("sendVideo")
        world.emu.send_message(ALICE, ALICE, "export")
        await _until(world, lambda: bool(world.sent("video")))
        await world.kill(bot)
        bot = await world.start()
        notice = await world.emu.wait_for_message(
            ALICE, lambda m: "may already be above" in (m.text or ""), 30
        )
        assert [b["text"] for b in notice.buttons] == ["Resend"]
        await world.finish(bot)
        assert len(world.sent("video")) == 1  # not sent again on its own
        bot = await world.start()
        world.emu.press_button(ALICE, ALICE, notice.message_id, notice.buttons[0]["callback_data"])
        await _until(world, lambda: len(world.sent("video")) == 2)  # the user asked
        await world.finish(bot)
        assert list(world.sandbox.sandbox.render_submissions.values()) == [1]
