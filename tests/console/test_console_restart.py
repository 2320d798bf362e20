"""Killing the bot mid-render loses nothing: the next start delivers the video, once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sandbox import SandboxOptions, run_sandbox
from tests.console.cli_support import clean_env, nemobot
from tests.engine.harness import eventually


async def _read_until(stream: asyncio.StreamReader, marker: str, seen: list[str]) -> None:
    while True:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError(f"output ended before {marker!r}: {seen}")
        seen.append(line)
        if marker in line:
            return


async def test_kill_during_render_then_restart_delivers_once(tmp_path: Path) -> None:
    options = SandboxOptions(chunk_delay_seconds=0, image_seconds=1, render_min_seconds=4)
    async with run_sandbox(options) as running:
        env = {"NEMO_API_BASE": running.url, "NEMOBOT_RENDER_POLL_SECONDS": "0.3"}
        first = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "chat",
            "--out",
            "out",
            cwd=tmp_path,
            env=clean_env(**env),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert first.stdin is not None and first.stdout is not None
        first.stdin.write(b"generate an image of a harbour at dawn\nexport\n")
        await first.stdin.drain()  # stdin stays open: the bot keeps running
        seen: list[str] = []
        async with asyncio.timeout(60):
            await _read_until(first.stdout, "Rendering your video", seen)
            await eventually(lambda: bool(running.sandbox.render_submissions))  # not finished
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
        assert not list((tmp_path / "out").glob("*.mp4"))

        second = await nemobot(tmp_path, b"", "chat", "--out", "out", **env)
        assert second.code == 0, second.err
        assert "still rendering" in second.out
        assert second.out.count("[video] ") == 1
        assert len(list((tmp_path / "out").glob("*.mp4"))) == 1
        assert list(running.sandbox.render_submissions.values()) == [1]

        third = await nemobot(tmp_path, b"", "chat", "--out", "out", **env)
        assert third.code == 0, third.err
        assert "[video]" not in third.out  # delivered exactly once
