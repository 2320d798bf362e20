"""The chat platforms connected right now, each behind its `Pacer`, and whether they receive."""

from __future__ import annotations

import asyncio

from bot.core.budget import SendBudget
from bot.core.messages import ChatRef
from bot.core.observe import NoObserver, Observer
from bot.core.outbox import Outbox, Rate
from bot.core.pacing import Pacer

__all__ = ["Platforms"]


class Platforms:
    """Connected platforms by name; work for a platform that is not connected waits."""

    def __init__(self, observer: Observer | None = None, budget: SendBudget | None = None) -> None:
        """`budget`: where sends are counted (None: in this process, per platform)."""
        self._budget = budget
        self._pacers: dict[str, Pacer] = {}
        self._connected: dict[str, asyncio.Event] = {}
        self._receiving: dict[str, bool] = {}
        self._observer = observer or NoObserver()

    def connect(self, outbox: Outbox, *, platform_rate: Rate | None = None) -> Pacer:
        """Register an adapter's outbox; returns the pacer every send to it goes through."""
        name = outbox.platform
        observer = self._observer

        def waited(seconds: float) -> None:
            observer.rate_limit_wait(name, seconds)

        pacer = Pacer(outbox, platform_rate=platform_rate, on_wait=waited, budget=self._budget)
        self._pacers[name] = pacer
        self._receiving[name] = True
        self._event(name).set()
        return pacer

    def set_receiving(self, platform: str, receiving: bool) -> None:
        """An adapter lost (False) or regained (True) its connection for incoming updates."""
        if platform in self._pacers:
            self._receiving[platform] = receiving

    def receiving(self, platform: str) -> bool:
        """The platform is connected and its updates are coming in (what health reports)."""
        return platform in self._pacers and self._receiving.get(platform, False)

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
        self._receiving.pop(platform, None)
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
