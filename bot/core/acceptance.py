"""Where messages are accepted: on the serving loop, or apart on a thread of their own.

Serving a turn costs the event loop ~13 ms of CPU, so under a crowd every await of an
acceptance waits behind turns, and a platform waiting for its acknowledgement waits too
(Telegram keeps only 40 webhook calls open). `AcceptThread` gives acceptance its own event
loop on its own thread, with its own database connections (`Store.twin`) and its own
`Reception`: storing a message never queues behind serving. An edge that runs on that loop
(the Telegram webhook) answers the platform without the serving loop at all; what follows
an acceptance (waking the sender's line, a notice) is handed back to the serving loop.

`Inline` is the same interface without a thread: for tests and stores without a twin.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from bot.core.messages import IncomingMessage, User
from bot.core.reception import Admitted, Reception
from storage import Store, UserRecord

__all__ = ["AcceptThread", "Acceptance", "Inline"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_STOP_SECONDS = 5.0


class Acceptance(Protocol):
    """Admits messages, and runs an edge's coroutines where messages are admitted."""

    async def admit(self, msg: IncomingMessage, *, claim_for: str | None) -> Admitted:
        """Store `msg` (see `Reception.admit`), from any loop."""
        ...

    async def known_user(self, sender: User) -> UserRecord:
        """The sender's record, from any loop."""
        ...

    async def at_edge(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the accepting loop and wait for it (from the serving loop)."""
        ...

    def to_serving(self, callback: Callable[[], None]) -> None:
        """Call `callback` on the serving loop, soon; never waits."""
        ...

    async def close(self) -> None:
        """Stop accepting; what was accepted is stored."""
        ...


class Inline:
    """Acceptance on the serving loop itself."""

    def __init__(self, reception: Reception) -> None:
        self._reception = reception

    async def admit(self, msg: IncomingMessage, *, claim_for: str | None) -> Admitted:
        """Store `msg` right here."""
        return await self._reception.admit(msg, claim_for=claim_for)

    async def known_user(self, sender: User) -> UserRecord:
        """The sender's record."""
        return await self._reception.known_user(sender)

    async def at_edge(self, work: Coroutine[Any, Any, T]) -> T:
        """There is one loop: run `work` here."""
        return await work

    def to_serving(self, callback: Callable[[], None]) -> None:
        """Already on the serving loop."""
        callback()

    async def close(self) -> None:
        """Nothing to stop."""


class AcceptThread:
    """Acceptance on a thread with its own loop, store twin and `Reception`."""

    def __init__(self, serving: asyncio.AbstractEventLoop) -> None:
        self._serving = serving
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="nemobot-accept", daemon=True)
        self._reception: Reception | None = None
        self._store: Store | None = None
        self._closing = False

    @classmethod
    async def start(
        cls, store: Store, make_reception: Callable[[Store], Reception]
    ) -> AcceptThread:
        """Start the thread and open `store`'s twin on it; call on the serving loop."""
        accepting = cls(asyncio.get_running_loop())
        accepting._thread.start()
        try:
            await accepting.at_edge(accepting._open(store, make_reception))
        except BaseException:
            await accepting.close()
            raise
        return accepting

    async def _open(self, store: Store, make_reception: Callable[[Store], Reception]) -> None:
        self._store = await store.twin()
        self._reception = make_reception(self._store)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    async def admit(self, msg: IncomingMessage, *, claim_for: str | None) -> Admitted:
        """Store `msg` on the accepting loop (directly when already there)."""
        assert self._reception is not None
        return await self._here(self._reception.admit(msg, claim_for=claim_for))

    async def known_user(self, sender: User) -> UserRecord:
        """The sender's record, read through the accepting loop's connections."""
        assert self._reception is not None
        return await self._here(self._reception.known_user(sender))

    async def at_edge(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the accepting loop; the caller's loop waits without blocking."""
        if self._closing:
            work.close()
            raise RuntimeError("messages are no longer accepted here")
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._loop))

    def to_serving(self, callback: Callable[[], None]) -> None:
        """Call `callback` on the serving loop (at once when already there)."""
        if _running_loop() is self._serving:
            callback()
        else:
            self._serving.call_soon_threadsafe(callback)

    async def _here(self, work: Coroutine[Any, Any, T]) -> T:
        if _running_loop() is self._loop:
            return await work
        return await self.at_edge(work)

    async def close(self) -> None:
        """Stop what runs at the edge, close the twin and the thread (once)."""
        if self._closing:
            return
        try:
            await self.at_edge(self._finish())
        except Exception as exc:  # noqa: BLE001 - stopping anyway; nothing is left unstored
            log.warning("could not close the accepting connections (%s)", type(exc).__name__)
        self._closing = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join, _STOP_SECONDS)

    async def _finish(self) -> None:
        here = asyncio.current_task()
        others = [task for task in asyncio.all_tasks() if task is not here]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        store, self._store = self._store, None
        if store is not None:
            await store.close()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
