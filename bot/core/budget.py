"""Send budgets: whether a platform, a group and a chat allow a send now.

The `Pacer` asks a `SendBudget` before each send, naming a window per key: the platform's
(Telegram's 30 a second) and the chat's (a group's 20 a minute, a chat's one a second), and
tells it when the send is done. `LocalBudget` counts in this process: right for one process
(SQLite, the console). `SharedBudget` counts in the database all workers share, so three
workers together keep the caps one would. Both count each send from when it is done: a
grant reaches the platform after a delay that differs from send to send (and grows on a
loaded host), so counting from the grant could let two sends a window apart arrive closer
than that. Until it is done, a send is held a while ahead.
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
    "LocalBudget",
    "SendBudget",
    "SharedBudget",
    "Throttled",
    "Windows",
    "shared_budget",
    "spare",
    "window_key",
]

log = logging.getLogger(__name__)

_ASK_TIMEOUT = 2.0  # a database slower than this is not waited for: counted here instead
# A send not yet settled counts as this far ahead: longer than a message takes to send,
# short enough that a worker killed mid-send holds up its chat only briefly. (A longer
# upload may outlive it: at worst a 429, which is waited out.)
_HOLD = 5.0
_WARN_EVERY = 60.0
_MANY_WINDOWS = 4096  # beyond this many, idle windows are forgotten

Windows = Sequence[tuple[str, Rate]]  # (key, rate): one sliding window each


def window_key(scope: str, rate: Rate) -> str:
    """The key of `scope`'s window at `rate` (a scope may have several: per second, per minute)."""
    return f"{scope}@{rate.count}/{rate.per:g}"


def spare(rate: Rate, live: bool) -> int:
    """Slots of a window a live preview must leave free: results (answers, images, videos)
    always have a quarter of every window (5 of a group's 20 a minute) to themselves."""
    return rate.count // 4 if live else 0


class SendBudget(Protocol):
    """Sliding send windows, asked before each send."""

    async def reserve(self, keys: Windows, cost: int, *, live: bool = False) -> float:
        """Take `cost` sends in every key's window if all allow them now and return 0.0;
        otherwise take nothing and return the seconds until they might. A `live` preview
        is allowed only while each window keeps its `spare` slots free."""
        ...

    async def sent(self, keys: Windows, cost: int) -> None:
        """The `cost` sends just taken in these windows are done (or failed)."""
        ...


class _Window:
    """Times of recent sends, in order, to keep within one `Rate` (as `reserve_sends` and
    `settle_sends` keep them in PostgreSQL): a send not yet done is held `hold` ahead."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._times: deque[float] = deque(maxlen=max(1, rate.count))

    def free_at(self, now: float, cost: int, keep: int = 0) -> float:
        """When `cost` more sends are allowed with `keep` slots still free (a send still
        in flight counts as if it ended now: the caller asks again)."""
        take = min(cost + keep, self.rate.count)
        if len(self._times) + take <= self.rate.count:
            return now
        return min(self._times[len(self._times) + take - self.rate.count - 1], now) + self.rate.per

    def hold(self, until: float, cost: int) -> None:
        for _ in range(min(cost, self.rate.count)):
            self._times.append(until)

    def settle(self, now: float, cost: int) -> None:
        """`cost` held sends are done: they count from now (which of them does not matter)."""
        times = list(self._times)
        n = len(times)
        for _ in range(min(cost, self.rate.count)):
            if n < 1 or times[n - 1] <= now:
                break
            n -= 1
            times[n] = now
        self._times = deque(sorted(times), maxlen=self._times.maxlen)

    def idle_since(self, now: float) -> bool:
        return not self._times or self._times[-1] + self.rate.per < now


class LocalBudget:
    """`SendBudget` counted in this process, on the event loop's clock."""

    def __init__(self, hold: float = _HOLD) -> None:
        self._hold = hold
        self._windows: dict[str, _Window] = {}

    async def reserve(self, keys: Windows, cost: int, *, live: bool = False) -> float:
        """Take `cost` sends in every window if all allow them now (0.0), else the wait."""
        now = asyncio.get_running_loop().time()
        windows = [self._window(key, rate, now) for key, rate in keys]
        ready = max([now, *(w.free_at(now, cost, spare(w.rate, live)) for w in windows)])
        if ready > now:
            return ready - now
        for window in windows:
            window.hold(now + self._hold, cost)
        return 0.0

    async def sent(self, keys: Windows, cost: int) -> None:
        """Count the sends from now."""
        now = asyncio.get_running_loop().time()
        for key, _ in keys:
            if window := self._windows.get(key):
                window.settle(now, cost)

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

    def __init__(self, windows: SendWindows, hold: float = _HOLD) -> None:
        self._windows = windows
        self._hold = hold
        self._fallback = LocalBudget()
        self._warned_at = float("-inf")

    async def reserve(self, keys: Windows, cost: int, *, live: bool = False) -> float:
        """Take `cost` sends in every window for the whole bot if all allow them now."""
        spares = [spare(rate, live) for _, rate in keys]
        try:
            async with asyncio.timeout(_ASK_TIMEOUT):
                return await self._windows.reserve_sends(keys, cost, self._hold, spares)
        except (StoreError, TimeoutError) as exc:
            self._warn(exc)
            return await self._fallback.reserve(keys, cost, live=live)

    async def sent(self, keys: Windows, cost: int) -> None:
        """Count the sends from now; unsettled, they count as held until the hold ends."""
        await self._fallback.sent(keys, cost)  # any it granted while the database was away
        try:
            async with asyncio.timeout(_ASK_TIMEOUT):
                await self._windows.settle_sends(keys, cost)
        except (StoreError, TimeoutError) as exc:
            self._warn(exc)

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY:
            self._warned_at = now
            why = str(exc) or "no answer in time"
            log.warning("send budget: %s; this worker counts its own sends meanwhile", why)


class Throttled:
    """A budget this process asks at most as often as `keys` allow (its platform's rate).

    No more could be granted, and chats waiting for the same slot would otherwise all ask
    the database at once when it frees.
    """

    def __init__(self, budget: SendBudget, keys: Windows) -> None:
        self._budget = budget
        self._keys = keys
        self._asks = LocalBudget(hold=0.0)  # an ask is done when it is answered

    async def reserve(self, keys: Windows, cost: int, *, live: bool = False) -> float:
        """Ask the budget, if this process has not asked too often just now."""
        wait = await self._asks.reserve(self._keys, cost)
        return wait if wait > 0 else await self._budget.reserve(keys, cost, live=live)

    async def sent(self, keys: Windows, cost: int) -> None:
        """Tell the budget."""
        await self._budget.sent(keys, cost)


def shared_budget(store: object) -> SendBudget | None:
    """The whole bot's budget if `store` is shared by several workers; None: count in-process."""
    if isinstance(store, SendWindows) and getattr(store, "shared", False):
        return SharedBudget(store)
    return None
