"""`python -m bench.emulator_proc`: the tests' Telegram Bot API emulator in its own process.

Serves one private chat (id 1) on a free port, prints `READY {"url", "token"}` and stops on
SIGTERM, so what it stores of an upload is not counted in the measuring process's memory.
"""

from __future__ import annotations

import asyncio

from bench.procs import ready, wait_for_stop
from tests.telegram.emulator import running_emulator

__all__ = ["main"]


async def _serve() -> None:
    async with running_emulator() as emu:
        emu.private_chat(1)
        ready(url=emu.url, token=emu.token)
        await wait_for_stop()


def main() -> None:
    """Serve until SIGTERM."""
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
