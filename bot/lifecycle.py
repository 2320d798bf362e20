"""Running chat platforms: every adapter in one task group, one engine, one shutdown path.

An adapter connects its platform in `run`, registers its outbox with the engine, hands every
update to `Engine.submit`, and returns once `stop` is set (having stopped receiving). A
problem it cannot get past (a refused token, another bot polling with the same token) is
raised as `AdapterFailed` with one line for the operator; the other adapters then stop too.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from typing import Protocol

from bot.core.engine import Engine

__all__ = ["Adapter", "AdapterFailed", "serve_adapters", "stop_on_signals"]

log = logging.getLogger(__name__)

DRAIN_SECONDS = 6.0  # in-flight work gets this long after SIGTERM; the rest resumes later


class AdapterFailed(Exception):
    """A platform cannot be used; the message says what the operator should do."""


class Adapter(Protocol):
    """One chat platform's connection."""

    platform: str

    async def run(self, engine: Engine, stop: asyncio.Event) -> None:
        """Receive updates into `engine` until `stop` is set; raise AdapterFailed if it can't."""
        ...


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
