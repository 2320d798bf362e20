"""`nemobot chat` on a pseudo-terminal: what a person at a keyboard sees, keystrokes in."""

from __future__ import annotations

import asyncio
import os
import pty
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from tests.console.cli_support import clean_env
from tests.orphans import die_with_parent


class Terminal:
    """The screen so far (everything the terminal received), and a keyboard."""

    def __init__(self, primary: int) -> None:
        self.screen = ""
        self._primary = primary
        self._changed = asyncio.Event()

    def received(self) -> None:
        try:
            chunk = os.read(self._primary, 65536)
        except OSError:  # the program ended and closed the terminal
            chunk = b""
        if not chunk:
            asyncio.get_running_loop().remove_reader(self._primary)
        self.screen += chunk.decode(errors="replace")
        self._changed.set()

    def type(self, line: str) -> None:
        """Type a line and press Enter."""
        os.write(self._primary, line.encode() + b"\n")

    async def wait_for(self, seen: Callable[[str], bool], timeout: float = 60) -> str:
        """The screen once `seen(screen)` holds."""
        async with asyncio.timeout(timeout):
            while not seen(self.screen):
                self._changed.clear()
                await self._changed.wait()
        return self.screen


@asynccontextmanager
async def terminal(cwd: Path, *args: str) -> AsyncIterator[Terminal]:
    """`python -m bot.cli chat ARGS` with stdin, stdout and stderr on one terminal."""
    primary, secondary = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot.cli", "chat", *args),
        cwd=cwd,
        env=clean_env(),
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        preexec_fn=die_with_parent,
    )
    os.close(secondary)
    screen = Terminal(primary)
    asyncio.get_running_loop().add_reader(primary, screen.received)
    try:
        yield screen
    finally:
        asyncio.get_running_loop().remove_reader(primary)
        if process.returncode is None:
            process.kill()
        await process.wait()
        os.close(primary)
