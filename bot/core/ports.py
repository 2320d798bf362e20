"""What a chat platform plugs into: the `Adapter` the root runs, and how it says it cannot run.

An adapter connects its platform in `run`, registers its `Outbox` with the engine
(`Engine.connect`), hands every update to `Engine.submit`, and returns once `stop` is set
(having stopped receiving). A problem it cannot get past (a refused token, another bot
polling with the same token) is raised as `AdapterFailed` with one line for the operator.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.core.engine import Engine

__all__ = ["Adapter", "AdapterFailed"]


class AdapterFailed(Exception):
    """A platform cannot be used; the message says what the operator should do."""


class Adapter(Protocol):
    """One chat platform's connection."""

    platform: str

    async def run(self, engine: Engine, stop: asyncio.Event) -> None:
        """Receive updates into `engine` until `stop` is set; raise AdapterFailed if it can't."""
        ...
