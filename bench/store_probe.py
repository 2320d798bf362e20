"""Watching the SQLite write path: call latencies and how busy the one connection is."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from storage import SqliteStore

__all__ = ["StoreProbe", "TimedLock", "store_call_seconds"]


class TimedLock(asyncio.Lock):
    """An asyncio.Lock that adds up how long it was held and how long callers waited."""

    def __init__(self) -> None:
        super().__init__()
        self.held = 0.0
        self.waits: list[float] = []
        self._since = 0.0

    async def acquire(self) -> bool:
        asked = time.perf_counter()
        await super().acquire()
        self._since = time.perf_counter()
        self.waits.append(self._since - asked)
        return True

    def release(self) -> None:
        self.held += time.perf_counter() - self._since
        super().release()


class StoreProbe:
    """Times chosen store methods and swaps in a `TimedLock` (the store's single writer path).

    Reaches into `SqliteStore._lock`: every write transaction runs under it (reads use a
    second connection), so its busy share of the wall time bounds what SQLite could cost.
    """

    def __init__(self, store: SqliteStore, methods: tuple[str, ...]) -> None:
        self.lock = TimedLock()
        store._lock = self.lock  # measuring the private writer lock on purpose
        self.latencies: dict[str, list[float]] = {name: [] for name in methods}
        for name in methods:
            setattr(store, name, self._timed(name, getattr(store, name)))

    def _timed(
        self, name: str, method: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        samples = self.latencies[name]

        @functools.wraps(method)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                samples.append(time.perf_counter() - started)

        return timed


async def store_call_seconds(store: SqliteStore, turns: int = 300) -> float:
    """Mean seconds of one store call, measured alone on a quiet event loop.

    Replays the calls the engine makes for a turn (accept, claim, account and session
    look-ups, mark, count, finish: 12 calls), one turn after the other.
    """
    owner = "capacity-probe"
    started = time.perf_counter()
    for k in range(turns):
        user = await store.upsert_user("capacity", f"c{k % 50}")
        await store.queued_count(user.id)
        placed = await store.enqueue("capacity", f"cap-{k}", user.id, "{}", "turn", "{}")
        item = await store.claim_next(user.id, owner, 60)
        assert item is not None and item.id == placed.item_id
        await store.get_user(user.id)
        await store.credentials(user.id)
        await store.client_id_for(user.id)
        await store.credentials(user.id)
        await store.get_session(user.id, "anon:x")
        await store.mark_reached_agent(item.id, owner=owner)
        await store.bump_usage(user.id, turns=1)
        await store.finish(item.id, "done", owner=owner)
    return (time.perf_counter() - started) / (turns * 12)
