"""The rate limiter every send goes through, with python-telegram-bot's `process_request` seam.

Per chat one call runs at a time, the best priority first (final answers before live
previews: better than PTB's `AIORateLimiter`, which has no priorities), within the chat's
windows and the platform's, as counted by a `SendBudget` (this process's, or the whole bot's
in the database). A platform's "retry after" blocks the chat that long; a final answer is
retried until it lands, a live preview is dropped (a newer one follows), and so is a preview
that could not go for a while.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TypeVar

from bot.core.budget import LocalBudget, SendBudget, Throttled, Windows, window_key
from bot.core.messages import ChatRef
from bot.core.outbox import OutboxRetryLater, Rate

__all__ = ["FINAL", "LIVE", "Limiter"]

log = logging.getLogger(__name__)
T = TypeVar("T")

FINAL, LIVE = 0, 1  # priorities: lower goes first
_MAX_RETRIES = 8  # 429s in a row before a final answer is given up
_LIVE_PATIENCE = 2.0  # a live preview that cannot go sooner is stale: skipped
_MANY_GATES = 1024  # beyond this many chats, idle ones' queues are forgotten


class _Gate:
    """One chat's queue: one call at a time, best priority first, within every window."""

    def __init__(self, keys: Windows, budget: SendBudget) -> None:
        self.keys = keys
        self._budget = budget
        self.blocked_until = 0.0
        self._waiting: list[tuple[int, int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._runner: asyncio.Task[None] | None = None
        self._done = asyncio.Event()

    @property
    def idle(self) -> bool:
        """Nobody waits and nothing runs."""
        return not self._waiting and (self._runner is None or self._runner.done())

    @asynccontextmanager
    async def turn(self, priority: int, cost: int) -> AsyncIterator[None]:
        """Wait for this chat's next slot, then hold it for the body."""
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), cost, granted))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._dispatch())
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled() and granted.exception() is None:
                self._done.set()  # the slot was ours: hand it on
            raise
        try:
            yield
        finally:
            self._done.set()

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            best = self._waiting[0]
            priority, _, cost, granted = best
            if granted.done():
                heapq.heappop(self._waiting)  # its caller gave up
                continue
            wait = self.blocked_until - loop.time()
            if wait <= 0 and cost:
                wait = await self._budget.reserve(self.keys, cost, live=priority == LIVE)
            if wait <= 0:
                await self._grant()  # returns once the call is done
                if cost:
                    await self._budget.sent(self.keys, cost)
            elif self._waiting[0] is not best:
                continue  # a better waiter came while the budget was asked
            elif priority == LIVE and wait > _LIVE_PATIENCE:
                heapq.heappop(self._waiting)
                if not granted.done():
                    granted.set_exception(OutboxRetryLater("live preview skipped", wait))
            else:
                await asyncio.sleep(wait)  # then look again: a better waiter may have come

    async def _grant(self) -> None:
        """The slot just taken goes to the best waiter now (a final may have come meanwhile)."""
        while self._waiting:
            _, _, _, granted = heapq.heappop(self._waiting)
            if not granted.done():
                self._done.clear()
                granted.set_result(None)
                await self._done.wait()
                return


class Limiter:
    """One platform's sends, paced per chat and for the platform (see the module docstring)."""

    def __init__(
        self,
        platform: str,
        *,
        platform_rate: Rate | None = None,
        on_wait: Callable[[float], None] | None = None,
        budget: SendBudget | None = None,
    ) -> None:
        rate = platform_rate
        self._platform_keys: Windows = ((window_key(platform, rate), rate),) if rate else ()
        self._paced = Throttled(budget, self._platform_keys) if budget else LocalBudget()
        self._on_wait = on_wait
        self._gates: dict[tuple[str, str, str | None], _Gate] = {}
        self.waits = 0  # how often the platform told us to slow down
        self.waited_seconds = 0.0

    async def process_request(
        self,
        callback: Callable[[], Awaitable[T]],
        chat: ChatRef,
        rates: Sequence[Rate],
        *,
        live: bool = False,
        cost: int = 1,
    ) -> T:
        """Run `callback` (one send to `chat`, whose windows are `rates`) in its turn;
        `cost` counts its messages (0: not counted, as a deletion)."""
        gate = self._gate(chat, rates)
        retries = 0
        while True:
            async with gate.turn(LIVE if live else FINAL, cost):
                try:
                    return await callback()
                except OutboxRetryLater as exc:
                    self._blocked(gate, exc.retry_after)
                    retries += 1
                    if live or retries > _MAX_RETRIES:
                        raise
                    log.info("platform asked to wait %.1f s in a chat; will retry", exc.retry_after)

    def _blocked(self, gate: _Gate, seconds: float) -> None:
        gate.blocked_until = max(gate.blocked_until, asyncio.get_running_loop().time() + seconds)
        self.waits += 1
        self.waited_seconds += seconds
        if self._on_wait is not None:
            self._on_wait(seconds)

    def _gate(self, chat: ChatRef, rates: Sequence[Rate]) -> _Gate:
        gate = self._gates.get(chat.key)
        if gate is None:
            if len(self._gates) > _MANY_GATES:
                self._forget_idle_gates()
            scope = ":".join(part or "" for part in chat.key)
            keys = [(window_key(scope, rate), rate) for rate in rates]
            gate = _Gate((*self._platform_keys, *keys), self._paced)
            self._gates[chat.key] = gate
        return gate

    def _forget_idle_gates(self) -> None:
        """Idle chats' queues go; their windows stay in the budget as long as they count."""
        now = asyncio.get_running_loop().time()
        for key, gate in list(self._gates.items()):
            if gate.idle and gate.blocked_until < now:
                del self._gates[key]
