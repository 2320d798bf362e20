"""Running `nemobot` as a real process with a clean environment."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.orphans import die_with_parent

_OURS = ("NEMO_", "NEMOBOT_", "TELEGRAM_", "DISCORD_")


@dataclass
class Run:
    """What one `nemobot` process did."""

    code: int
    out: str
    err: str


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the bot's own variables, plus `extra`.

    What the network ban puts here (`TESTS_NETBAN*`, `PYTHONPATH`) stays: the child gets it.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env.update(extra)
    return env


async def nemobot(cwd: Path, stdin: bytes, *args: str, timeout: float = 90, **env: str) -> Run:
    """Run `python -m bot.cli ARGS` in `cwd` with `stdin` piped in."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=cwd,
        env=clean_env(**env),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=die_with_parent,
    )
    async with asyncio.timeout(timeout):
        out, err = await process.communicate(stdin)
    return Run(process.returncode or 0, out.decode(), err.decode())
