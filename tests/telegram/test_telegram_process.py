"""`nemobot run` with Telegram as a real process: kills, SIGTERM, conflicts, what the logs hold."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from sandbox import RunningSandbox, SandboxOptions, run_sandbox
from tests.console.cli_support import clean_env
from tests.orphans import die_with_parent
from tests.telegram.emulator import BotApiEmulator, running_emulator

ALICE = 2001


class BotProcess:
    """A `nemobot run` child whose stderr is collected as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.err: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.err.append(line.decode(errors="replace"))

    async def wait(self, timeout: float = 15) -> int:
        async with asyncio.timeout(timeout):
            code = await self.process.wait()
            await self._reader
        return code

    @property
    def log(self) -> str:
        return "".join(self.err)


def _env(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox, **extra: str
) -> dict[str, str]:
    return clean_env(
        NEMO_API_BASE=sandbox.url,
        TELEGRAM_BOT_TOKEN=emu.token,
        TELEGRAM_API_BASE_URL=emu.url,
        NEMOBOT_DB=str(tmp_path / "bot.db"),
        NEMOBOT_RENDER_POLL_SECONDS="0.3",
        NEMOBOT_RETRY_AFTER_SECONDS="0",
        **{"NEMOBOT_LOG_LEVEL": "DEBUG", **extra},
    )


async def _start(tmp_path: Path, env: dict[str, str]) -> BotProcess:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=die_with_parent,
    )
    return BotProcess(process)


@asynccontextmanager
async def _world() -> AsyncIterator[tuple[BotApiEmulator, RunningSandbox]]:
    options = SandboxOptions(chunk_delay_seconds=0, image_seconds=1, render_min_seconds=3)
    async with run_sandbox(options) as sandbox, running_emulator() as emu:
        emu.private_chat(ALICE)
        yield emu, sandbox


async def _polling(emu: BotApiEmulator) -> None:
    await emu.wait_for(lambda e: e.waiting_pollers > 0, 30)


async def test_sigkill_during_a_render_then_restart_delivers_the_mp4_once(tmp_path: Path) -> None:
    async with _world() as (emu, sandbox):
        env = _env(tmp_path, emu, sandbox)
        first = await _start(tmp_path, env)
        await _polling(emu)
        emu.send_message(ALICE, ALICE, "generate an image of a harbour at dawn")
        await emu.wait_for_message(ALICE, lambda m: m.kind == "photo", timeout=30)
        emu.send_message(ALICE, ALICE, "export")
        await emu.wait_for(lambda e: bool(sandbox.sandbox.render_submissions), 30)
        os.kill(first.process.pid, signal.SIGKILL)
        assert await first.wait() == -signal.SIGKILL
        assert not [m for m in emu.messages(ALICE) if m.kind == "video"]

        second = await _start(tmp_path, env)
        await emu.wait_for_message(ALICE, lambda m: m.kind == "video", timeout=60)
        await emu.wait_for_message(ALICE, lambda m: "still rendering" in (m.text or ""))
        os.kill(second.process.pid, signal.SIGTERM)
        assert await second.wait() == 0
        videos = [m for m in emu.messages(ALICE) if m.kind == "video"]
        assert len(videos) == 1
        assert list(sandbox.sandbox.render_submissions.values()) == [1]
        for run in (first, second):
            assert emu.token.split(":", 1)[1] not in run.log
            assert "Traceback" not in run.log


async def test_sigterm_exits_0_within_10_seconds_and_the_line_survives(tmp_path: Path) -> None:
    async with _world() as (emu, sandbox):
        sandbox.sandbox.faults.silent_stream_seconds = 60.0  # a turn that is still running
        env = _env(tmp_path, emu, sandbox)
        bot = await _start(tmp_path, env)
        await _polling(emu)
        emu.send_message(ALICE, ALICE, "generate an image of a long night")
        emu.send_message(ALICE, ALICE, 'add a title "Waiting"')
        await emu.wait_for(lambda e: sandbox.sandbox.sse_calls == 1, 30)
        started = asyncio.get_running_loop().time()
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait(timeout=12) == 0
        assert asyncio.get_running_loop().time() - started < 10
        assert "Traceback" not in bot.log

        sandbox.sandbox.faults.silent_stream_seconds = 0.0
        again = await _start(tmp_path, env)  # the queued title is still there, and runs now
        await emu.wait_for_message(ALICE, lambda m: "Waiting" in (m.text or ""), timeout=30)
        await emu.wait_for_message(ALICE, lambda m: "restarted" in (m.text or ""), timeout=30)
        again.process.send_signal(signal.SIGTERM)
        assert await again.wait() == 0


async def test_a_second_poller_stops_the_bot_with_one_clear_line(tmp_path: Path) -> None:
    async with _world() as (emu, sandbox):
        bot = await _start(tmp_path, _env(tmp_path, emu, sandbox))
        await _polling(emu)
        url = f"{emu.url}/bot{emu.token}/getUpdates"
        async with (  # "another instance" polling with the same token
            aiohttp.ClientSession() as http,
            http.post(url, json={"timeout": 1}) as response,
        ):
            assert response.status == 200
        code = await bot.wait(timeout=15)
        assert code == 2
        lines = [line for line in bot.err if "another process is polling" in line]
        assert len(lines) == 1
        assert "Traceback" not in bot.log


async def test_an_update_the_library_cannot_read_neither_stops_nor_blocks_the_bot(
    tmp_path: Path,
) -> None:
    """A poll as an older Bot API server words it (no `persistent_id`): PTB 22.8 cannot read
    it. The process skips it, logs its id and type, and serves what came with it."""
    poll = {
        "poll": {
            "id": "5123456789",
            "question": "Lunch at the secret place?",
            "options": [{"text": "pizza", "voter_count": 0}],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        }
    }
    async with _world() as (emu, sandbox):
        bot = await _start(tmp_path, _env(tmp_path, emu, sandbox, NEMOBOT_LOG_LEVEL="INFO"))
        await _polling(emu)
        update = emu.send_raw_message(ALICE, ALICE, poll)
        emu.send_message(ALICE, ALICE, "/credits")
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("💳"), timeout=30)
        await emu.wait_for(lambda e: e.pending_updates() == 0 and e.waiting_pollers > 0, 30)
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait() == 0
        skipped = [line for line in bot.err if "cannot read" in line]
        assert len(skipped) == 1 and f"update {update['update_id']} (message)" in skipped[0]
        for secret in ("Lunch", "secret place", "pizza", "Traceback"):
            assert secret not in bot.log


async def test_a_token_revoked_while_polling_stops_the_bot_with_one_clear_line(
    tmp_path: Path,
) -> None:
    async with _world() as (emu, sandbox):
        bot = await _start(tmp_path, _env(tmp_path, emu, sandbox))
        await _polling(emu)
        emu.fail_next("getUpdates", error_code=401, description="Unauthorized")
        emu.send_message(ALICE, ALICE, "/credits")  # ends the long poll; the next one is refused
        assert await bot.wait(timeout=15) == 2
        lines = [line for line in bot.err if "Telegram refused TELEGRAM_BOT_TOKEN" in line]
        assert len(lines) == 1
        assert "Traceback" not in bot.log
