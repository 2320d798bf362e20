"""How a worker finds work: alone on its database, or one of several on a shared one.

Alone (SQLite), every message is stored by this process, which wakes its own work, and every
lease found at the start is its own dead one. With several workers (PostgreSQL), a message may
be stored by any of them: each listens for the announcements of new messages and, every few
seconds, looks for work nobody took or whose holder's lease ran out (a worker that died).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from storage import Store

__all__ = ["Coordination", "Fleet", "Solo", "coordination_for"]

log = logging.getLogger(__name__)

_LOOK_EVERY = 5.0  # seconds between looks for work others left

Heard = Callable[[str], None]
Look = Callable[[], Awaitable[None]]


class Coordination(Protocol):
    """The strategy a worker follows to find the work it should do."""

    rate_in_store: bool  # the per-user rate is counted in the database, for every worker

    def describe(self, worker_id: str, role: str) -> str | None:
        """A line for the log at start, or None."""
        ...

    async def listen(self, heard: Heard) -> None:
        """From now on, call `heard(note)` for each message announced by any worker."""
        ...

    async def run(self, look: Look) -> None:
        """Until cancelled: call `look()` regularly for work others left."""
        ...


class Solo:
    """One process on its own database: it knows every message it stores."""

    rate_in_store = False

    def describe(self, worker_id: str, role: str) -> str | None:
        """Nothing worth a log line."""
        return None

    async def listen(self, heard: Heard) -> None:
        """Nothing to listen to: this process wakes its own work."""

    async def run(self, look: Look) -> None:
        """Nothing left by others."""
        await asyncio.Event().wait()


class Fleet:
    """One of several workers on a shared database."""

    rate_in_store = True

    def __init__(self, store: Store, lease_seconds: float) -> None:
        self._store = store
        self._every = min(_LOOK_EVERY, lease_seconds / 3)
        self._listening = False

    def describe(self, worker_id: str, role: str) -> str | None:
        """The worker's id, which its leases carry (operators match log lines to rows)."""
        return f"worker {worker_id} starting on a shared store (role {role})"

    async def listen(self, heard: Heard) -> None:
        """Announcements come over the database (once per worker, however often started)."""
        if not self._listening:
            await self._store.listen(heard)
            self._listening = True

    async def run(self, look: Look) -> None:
        """Every few seconds, look for what others left."""
        while True:
            await asyncio.sleep(self._every)
            try:
                await look()
            except Exception as exc:  # noqa: BLE001 - the database may be back next round
                log.warning("could not look for work (%s: %s)", type(exc).__name__, exc)


def coordination_for(store: Store, lease_seconds: float) -> Coordination:
    """The strategy that fits `store`: several workers share it, or one process owns it."""
    return Fleet(store, lease_seconds) if store.shared else Solo()
