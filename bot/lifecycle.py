"""Running chat platforms: every adapter in one task group, one engine, one shutdown path.

Adapters are `bot.core.ports.Adapter`s; when one raises `AdapterFailed` the others stop too.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence

from bot.core.engine import Engine
from bot.core.ports import Adapter, AdapterFailed

__all__ = ["serve_adapters", "stop_on_signals"]

log = logging.getLogger(__name__)

DRAIN_SECONDS = 6.0  # in-flight work gets this long after SIGTERM; the rest resumes later


async def serve_adapters(
    engine: Engine,
    adapters: Sequence[Adapter],
    stop: asyncio.Event,
    *,
    drain_seconds: float = DRAIN_SECONDS,
) -> int:
    """Run every adapter until `stop` (or a failure); drain the engine; the exit code."""
    failures: list[str] = []

    async def run(adapter: Adapter) -> None:
        try:
            await adapter.run(engine, stop)
        except AdapterFailed as exc:
            failures.append(f"{adapter.platform}: {exc}")
            stop.set()

    await engine.start()
    async with asyncio.TaskGroup() as group:
        for adapter in adapters:
            group.create_task(run(adapter))
    await engine.drain(drain_seconds)
    for line in failures:
        log.error("%s", line)
    return 2 if failures else 0


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop` (a second one is ignored: shutdown is under way)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
