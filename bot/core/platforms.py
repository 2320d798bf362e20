"""The chat platforms connected right now, each behind its `Pacer`."""

from __future__ import annotations

import asyncio

from bot.core.messages import ChatRef
from bot.core.outbox import Outbox, Rate
from bot.core.pacing import Pacer

__all__ = ["Platforms"]


class Platforms:
    """Connected platforms by name; work for a platform that is not connected waits."""

    def __init__(self) -> None:
        self._pacers: dict[str, Pacer] = {}
        self._connected: dict[str, asyncio.Event] = {}

    def connect(self, outbox: Outbox, *, platform_rate: Rate | None = None) -> Pacer:
        """Register an adapter's outbox; returns the pacer every send to it goes through."""
        pacer = Pacer(outbox, platform_rate=platform_rate)
        self._pacers[outbox.platform] = pacer
        self._event(outbox.platform).set()
        return pacer

    async def wait_for(self, platform: str, seconds: float) -> Pacer | None:
        """The platform's pacer once it is connected, or None after `seconds`."""
        try:
            async with asyncio.timeout(seconds):
                await self._event(platform).wait()
        except TimeoutError:
            return None
        return self._pacers.get(platform)

    def _event(self, platform: str) -> asyncio.Event:
        return self._connected.setdefault(platform, asyncio.Event())

    def disconnect(self, platform: str) -> None:
        """Forget a platform; its queued work stays in the store."""
        self._pacers.pop(platform, None)
        self._event(platform).clear()

    def get(self, platform: str) -> Pacer | None:
        """The pacer of a connected platform, or None."""
        return self._pacers.get(platform)

    def for_chat(self, chat: ChatRef) -> Pacer | None:
        """Where answers to `chat` go, or None while its platform is not connected."""
        return self._pacers.get(chat.platform)

    @property
    def names(self) -> tuple[str, ...]:
        """The connected platforms."""
        return tuple(self._pacers)
