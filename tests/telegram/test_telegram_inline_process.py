"""Inline mode in a real `nemobot run`, killed with -9 between the chosen result and the edit.

After the restart the inline message is finished once (it is the image) or the user is told
in it (with Send again); the agent is never asked a second time.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.core import codec
from sandbox import RunningSandbox, SandboxOptions, run_sandbox
from tests.engine.harness import eventually
from tests.telegram.emulator import BotApiEmulator, EmulatorOptions, running_emulator
from tests.telegram.emulator.inline import InlineChoice
from tests.telegram.test_telegram_process import BotProcess, _env, _start

ALICE = 5001
GROUP = -100901
RESTARTED = "restarted while working"


@dataclass
class World:
    """The emulator, the sandbox and the bot's folder."""

    emu: BotApiEmulator
    sandbox: RunningSandbox
    folder: Path

    async def start(self) -> BotProcess:
        bot = await _start(self.folder, _env(self.folder, self.emu, self.sandbox))
        await self.emu.wait_for(lambda e: e.waiting_pollers > 0, 30)
        return bot

    async def kill(self, bot: BotProcess) -> None:
        os.kill(bot.process.pid, signal.SIGKILL)
        assert await bot.wait() == -signal.SIGKILL

    async def choose(self, prompt: str) -> InlineChoice:
        query_id = self.emu.inline_query(ALICE, prompt)
        await self.emu.wait_for(lambda e: e.inline_queries[query_id].answer is not None, 30)
        return await self.emu.choose_inline_result(query_id, "generate", GROUP)

    async def stop(self, bot: BotProcess) -> None:
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait() == 0
        assert "Traceback" not in bot.log
        assert self.emu.token.split(":", 1)[1] not in bot.log


@asynccontextmanager
async def _world(tmp_path: Path) -> AsyncIterator[World]:
    options = SandboxOptions(chunk_delay_seconds=0, image_seconds=1, render_min_seconds=1)
    emulated = EmulatorOptions(inline_mode=True, inline_feedback=True)
    async with run_sandbox(options) as sandbox, running_emulator(emulated) as emu:
        emu.private_chat(ALICE)
        emu.group_chat(GROUP, title="Friends")
        yield World(emu, sandbox, tmp_path)


def _finished_once_or_told(world: World, choice: InlineChoice) -> bool:
    message = choice.message
    return message.kind == "photo" or RESTARTED in (message.text or "")


def _media_edits(world: World) -> int:
    return len([c for c in world.emu.calls_to("editMessageMedia") if c.ok])


def _told_with_send_again(choice: InlineChoice) -> bool:
    actions = [codec.decode(b.get("callback_data", "")) for b in choice.message.buttons]
    return RESTARTED in (choice.message.text or "") and any(
        a is not None and a.action == "sendagain" for a in actions
    )


async def test_killed_while_the_agent_makes_the_inline_image(tmp_path: Path) -> None:
    async with _world(tmp_path) as world:
        bot = await world.start()
        world.sandbox.sandbox.faults.silent_stream_seconds = 60.0
        choice = await world.choose("a night train")
        await eventually(lambda: world.sandbox.sandbox.sse_calls == 1, 30)
        await world.kill(bot)
        world.sandbox.sandbox.faults.silent_stream_seconds = 0.0
        bot = await world.start()
        await world.emu.wait_for(lambda e: _finished_once_or_told(world, choice), 30)
        await world.stop(bot)
        assert world.sandbox.sandbox.sse_calls == 1  # never sent to the agent twice
        if choice.message.kind == "photo":
            assert _media_edits(world) == 1 and choice.message.caption == "🖼 a night train"
        else:
            assert _media_edits(world) == 0 and _told_with_send_again(choice)


async def test_killed_while_the_image_is_on_its_way_into_the_inline_message(
    tmp_path: Path,
) -> None:
    async with _world(tmp_path) as world:
        bot = await world.start()
        world.emu.hold_call("editMessageMedia")  # reaches Telegram, never carried out
        choice = await world.choose("a paper lantern")
        await world.emu.wait_for(lambda e: "editMessageMedia" in e.gated, 30)
        await world.kill(bot)
        bot = await world.start()
        await world.emu.wait_for(lambda e: _told_with_send_again(choice), 30)
        await world.stop(bot)
        assert world.sandbox.sandbox.sse_calls == 1
        assert _media_edits(world) == 0 and choice.message.kind == "text"
