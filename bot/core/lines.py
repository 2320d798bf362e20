"""Each user's line: their messages claimed from the store and worked on one at a time.

The store hands out a user's line head only (`claim_next`): the oldest item not yet final.
So message N+1 is never worked on before message N is answered, reported or cancelled,
whichever worker had it. While an item runs its lease is renewed; a refused renewal (a
`/cancel` from another worker, or a takeover after a stall) stops the work at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal

from storage import Claim, InboxStore

__all__ = ["Lines", "Outcome"]

log = logging.getLogger(__name__)

# How working on an item ended: answered ("finish"), "report"ed (a takeover told the user),
# or "release"d: its platform is gone, so it goes back to the store for later.
Outcome = Literal["finish", "report", "release"]
RunClaim = Callable[[Claim], Coroutine[Any, Any, Outcome]]


class Lines:
    """Per-user drainers over the store's inbox; one item at a time per user."""

    def __init__(
        self, inbox: InboxStore, worker_id: str, lease_seconds: float, run_claim: RunClaim
    ) -> None:
        self._inbox = inbox
        self._worker = worker_id
        self._lease = lease_seconds
        self._run_claim = run_claim
        self._drainers: dict[int, asyncio.Task[None]] = {}
        self._rewake: set[int] = set()
        self._turns: dict[int, asyncio.Task[Outcome]] = {}
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
        """/cancel: drop the user's queued messages and end their active one, anywhere.

        The store ends the active item whichever worker holds it; here, a turn of this
        worker stops at once, one on another worker when its next renewal is refused.
        """
        dropped, ended = await self._inbox.cancel_user(user_id)
        turn = self._turns.get(user_id)
        running_here = turn is not None and not turn.done()
        if turn is not None and running_here:
            turn.cancel()
        return dropped, ended is not None or running_here

    async def wait_idle(self) -> None:
        """Wait until no line is being worked through (never cancelling one if cancelled)."""
        while self._drainers:
            await asyncio.wait(list(self._drainers.values()))

    async def stop(self) -> None:
        """Stop every line; items being worked on go back to the store (see `release`)."""
        self._stopping = True
        tasks = [*self._turns.values(), *self._drainers.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _drain(self, user_id: int) -> None:
        try:
            while not self._stopping:
                self._rewake.discard(user_id)
                claim = await self._inbox.claim_next(user_id, self._worker, self._lease)
                if claim is not None:
                    if await self._run(user_id, claim) == "release":
                        return
                elif user_id not in self._rewake:
                    return
        finally:
            # No await between the last look and this: a later wake starts a new drainer.
            if self._drainers.get(user_id) is asyncio.current_task():
                del self._drainers[user_id]

    async def _run(self, user_id: int, claim: Claim) -> Outcome | None:
        """Work on one claimed item and record how it ended (None: it was not ours to end)."""
        item = claim.item
        turn = asyncio.create_task(self._run_claim(claim))
        self._turns[user_id] = turn
        renewer = asyncio.create_task(self._renew(item.id, turn))
        try:
            outcome = await turn
        except asyncio.CancelledError:
            current = asyncio.current_task()
            stopping = self._stopping or (current is not None and current.cancelling() > 0)
            if stopping or not turn.cancelled():
                # Shutting down: unsent work is queued again, sent work waits for a takeover.
                await self._inbox.release(item.id, self._worker)
                raise
            # /cancel, or no longer ours: the store already says what became of it.
            return None
        finally:
            renewer.cancel()
            self._turns.pop(user_id, None)
        if outcome == "release":
            await self._inbox.release(item.id, self._worker)
        else:
            await self._inbox.finish(item.id, self._worker, outcome)
        return outcome

    async def _renew(self, item_id: int, turn: asyncio.Task[Outcome]) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                ours = await self._inbox.renew(item_id, self._worker, self._lease)
            except Exception as exc:  # noqa: BLE001 - the database may answer the next time
                log.warning("could not renew a lease (%s: %s)", type(exc).__name__, exc)
                continue
            if not ours:
                # Cancelled from another worker, or taken over after our lease ran out:
                # either way this worker must stop working on it.
                log.info("inbox item %d is no longer ours; stopping its work", item_id)
                turn.cancel()
                return
