"""Send budgets: whether a platform, a group and a chat allow a send now, and for whom.

The `Pacer` asks a `SendBudget` before each send, naming a window per key: the platform's
(Telegram's 30 a second) and the chat's (a group's 20 a minute, a chat's one a second).
`LocalBudget` counts them in this process: right for one process (SQLite, the console).
`SharedBudget` counts them in the database all workers share, so three workers together keep
the caps one would. A send reserved at one moment reaches the platform a few milliseconds
later, by a delay that differs between workers; shared windows are therefore widened by
`LATENCY_SPREAD`, or two sends a window apart could arrive closer than that.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from bot.core.outbox import Rate
from storage.budgets import SendWindows
from storage.errors import StoreError

__all__ = [
    "LATENCY_SPREAD",
    "LocalBudget",
    "SendBudget",
    "SharedBudget",
    "Windows",
    "shared_budget",
    "window_key",
]

log = logging.getLogger(__name__)

LATENCY_SPREAD = 0.1  # seconds added to every shared window
_ASK_TIMEOUT = 2.0  # a database slower than this is not waited for: counted here instead
_WARN_EVERY = 60.0
_MANY_WINDOWS = 4096  # beyond this many, idle windows are forgotten

Windows = Sequence[tuple[str, Rate]]  # (key, rate): one sliding window each


def window_key(scope: str, rate: Rate) -> str:
    """The key of `scope`'s window at `rate` (a scope may have several: per second, per minute)."""
    return f"{scope}@{rate.count}/{rate.per:g}"


class SendBudget(Protocol):
    """Sliding send windows, asked before each send."""

    async def reserve(self, keys: Windows, cost: int) -> float:
        """Take `cost` sends in every key's window if all allow them now and return 0.0;
        otherwise take nothing and return the seconds until they might."""
        ...


class _Window:
    """Times of recent sends, to keep within one `Rate`."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._times: deque[float] = deque(maxlen=max(1, rate.count))

    def free_at(self, now: float, cost: int) -> float:
        """When `cost` more sends are allowed."""
        take = min(cost, self.rate.count)
        if len(self._times) + take <= self.rate.count:
            return now
        return self._times[len(self._times) + take - self.rate.count - 1] + self.rate.per

    def record(self, now: float, cost: int) -> None:
        for _ in range(min(cost, self.rate.count)):
            self._times.append(now)

    def idle_since(self, now: float) -> bool:
        return not self._times or self._times[-1] + self.rate.per < now


class LocalBudget:
    """`SendBudget` counted in this process, on the event loop's clock."""

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}

    async def reserve(self, keys: Windows, cost: int) -> float:
        """Take `cost` sends in every window if all allow them now (0.0), else the wait."""
        now = asyncio.get_running_loop().time()
        windows = [self._window(key, rate, now) for key, rate in keys]
        ready = max([now, *(window.free_at(now, cost) for window in windows)])
        if ready > now:
            return ready - now
        for window in windows:
            window.record(now, cost)
        return 0.0

    def _window(self, key: str, rate: Rate, now: float) -> _Window:
        window = self._windows.get(key)
        if window is None:
            if len(self._windows) >= _MANY_WINDOWS:
                self._forget_idle(now)
            window = self._windows[key] = _Window(rate)
        return window

    def _forget_idle(self, now: float) -> None:
        for key, window in list(self._windows.items()):
            if window.idle_since(now):
                del self._windows[key]


class SharedBudget:
    """`SendBudget` counted in the database every worker shares.

    Should the database not answer, this worker counts its sends itself meanwhile (and says
    so in the log): the platform's 429s are still waited out, nothing is lost.
    """

    def __init__(self, windows: SendWindows, spread: float = LATENCY_SPREAD) -> None:
        self._windows = windows
        self._spread = spread
        self._fallback = LocalBudget()
        self._warned_at = float("-inf")

    async def reserve(self, keys: Windows, cost: int) -> float:
        """Take `cost` sends in every window for the whole bot if all allow them now."""
        widened = [(key, Rate(rate.count, rate.per + self._spread)) for key, rate in keys]
        try:
            async with asyncio.timeout(_ASK_TIMEOUT):
                return await self._windows.reserve_sends(widened, cost)
        except (StoreError, TimeoutError) as exc:
            self._warn(exc)
            return await self._fallback.reserve(keys, cost)

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY:
            self._warned_at = now
            why = str(exc) or "no answer in time"
            log.warning("send budget: %s; this worker counts its own sends meanwhile", why)


def shared_budget(store: object) -> SendBudget | None:
    """The whole bot's budget if `store` is shared by several workers; None: count in-process."""
    if isinstance(store, SendWindows) and getattr(store, "shared", False):
        return SharedBudget(store)
    return None
