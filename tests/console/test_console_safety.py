"""The console is safe to sit in front of: no control characters, Ctrl-C ends it at once."""

from __future__ import annotations

import asyncio
import os
import pty
import signal
import sys
import time
from pathlib import Path

from sandbox import SandboxOptions, run_sandbox
from tests.console.cli_support import clean_env, nemobot

BAD = "\x1b[2J\x1b]0;pwned\x07\x9b31m\x00"


async def test_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    async with run_sandbox(SandboxOptions(chunk_delay_seconds=0)) as running:
        running.sandbox.faults.reply_text_once = f"Hello {BAD}there"
        stdin = f"tell me something\n/help{BAD}\n".encode()
        run = await nemobot(tmp_path, stdin, "chat", NEMO_API_BASE=running.url)
    assert run.code == 0, run.err
    assert "Hello ]0;pwned31mthere" in run.out or "Hello " in run.out
    for char in ("\x1b", "\x07", "\x9b", "\x00"):
        assert char not in run.out


async def test_ctrl_c_in_the_interactive_console_exits_at_once(tmp_path: Path) -> None:
    """Regression: a blocked read of the terminal held the exit until the next Enter."""
    primary, secondary = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "chat",
        cwd=tmp_path,
        env=clean_env(),
        stdin=secondary,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    os.close(secondary)
    try:
        assert process.stdout is not None
        async with asyncio.timeout(60):
            while b"you> " not in await process.stdout.read(64):
                pass
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(10):
            code = await process.wait()
        assert code == 130
        assert time.monotonic() - started < 5
    finally:
        os.close(primary)
        if process.returncode is None:
            process.kill()
            await process.wait()
