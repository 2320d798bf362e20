"""Each user's line: their queued messages, claimed from the store and run one at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bot.core.context import Timing
from storage import InboxItem, Store

__all__ = ["Lines"]

log = logging.getLogger(__name__)

# What running an item may answer: finished ("done"), or "release": its platform is gone,
# so the item goes back to the store for later.
RunItem = Callable[[InboxItem], Coroutine[Any, Any, str]]


class Lines:
    """Per-user drainers over the store's inbox; one running item per user."""

    def __init__(self, store: Store, worker_id: str, timing: Timing, run_item: RunItem) -> None:
        self._store = store
        self._worker = worker_id
        self._timing = timing
        self._run_item = run_item
        self._drainers: dict[int, asyncio.Task[None]] = {}
        self._rewake: set[int] = set()
        self._turns: dict[int, asyncio.Task[str]] = {}
        self._stopping = False

    def open(self) -> None:
        """Accept wake-ups again (after `stop`)."""
        self._stopping = False

    @property
    def busy(self) -> int:
        """How many users' lines are being worked through."""
        return len(self._drainers)

    def wake(self, user_id: int) -> None:
        """Make sure the user's line is being worked through."""
        if self._stopping:
            return
        if user_id in self._drainers:
            # The drainer may be past its last claim: ask it to look once more.
            self._rewake.add(user_id)
            return
        self._drainers[user_id] = asyncio.create_task(self._drain(user_id))

    async def cancel(self, user_id: int) -> tuple[int, bool]:
        """Drop the user's queued messages and stop their running one.

        A turn running on another worker (shared store) is ended in the store; that worker
        stops it when its next lease renewal is refused.
        """
        dropped = await self._store.cancel_queued(user_id)
        turn = self._turns.get(user_id)
        stopped = turn is not None and not turn.done()
        if turn is not None and stopped:
            turn.cancel()
        elif self._store.shared:
            running = await self._store.running_item(user_id)
            stopped = running is not None and await self._store.finish(running.id, "cancelled")
        return dropped, stopped

    async def wait_idle(self) -> None:
        """Wait until no line is being worked through (never cancelling one if cancelled)."""
        while self._drainers:
            await asyncio.wait(list(self._drainers.values()))

    async def stop(self) -> None:
        """Stop every line; running items go back to the store for the next start."""
        self._stopping = True
        tasks = [*self._turns.values(), *self._drainers.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _drain(self, user_id: int) -> None:
        try:
            while not self._stopping:
                self._rewake.discard(user_id)
                item = await self._store.claim_next(
                    user_id, self._worker, self._timing.lease_seconds
                )
                if item is not None:
                    if await self._run(user_id, item) == "release":
                        return
                elif user_id not in self._rewake:
                    return
        finally:
            # No await between the last look and this: a later wake starts a new drainer.
            if self._drainers.get(user_id) is asyncio.current_task():
                del self._drainers[user_id]

    async def _run(self, user_id: int, item: InboxItem) -> str:
        turn = asyncio.create_task(self._run_item(item))
        self._turns[user_id] = turn
        renewer = asyncio.create_task(self._renew(item, turn))
        status = "done"
        try:
            status = await turn
        except asyncio.CancelledError:
            # Only /cancel cancels the turn alone. A drainer cancelled itself (stopping, or
            # shutting down) passes that on to the awaited turn: leave the row for the next
            # start (it is reported or rerun there), and claim nothing more.
            current = asyncio.current_task()
            stopping = self._stopping or (current is not None and current.cancelling() > 0)
            if stopping or not turn.cancelled():
                await self._store.release_item(item.id, self._worker)
                raise
            status = "cancelled"
        finally:
            renewer.cancel()
            self._turns.pop(user_id, None)
        if status == "release":
            await self._store.release_item(item.id, self._worker)
            return status
        await self._store.finish(item.id, status, owner=self._worker)
        return status

    async def _renew(self, item: InboxItem, turn: asyncio.Task[str]) -> None:
        while True:
            await asyncio.sleep(self._timing.lease_seconds / 3)
            if not await self._store.renew_lease(item.id, self._worker, self._timing.lease_seconds):
                # No longer ours: cancelled from another worker, or taken over after our
                # lease ran out. Either way this worker must stop working on it.
                log.info("inbox item %d is no longer ours; stopping its turn", item.id)
                turn.cancel()
                return
