"""Pending updates with Telegram's getUpdates semantics, and the change notifier."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from . import errors
from .errors import ApiError

JSON = dict[str, Any]
# Telegram's default when allowed_updates is empty: everything except these three.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Notifier:
    """Wakes waiters on every state change; waiting never polls."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.version = 0

    def notify(self) -> None:
        """Signal a change to everyone waiting."""
        self.version += 1
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, timeout: float | None) -> bool:
        """Wait for the next change; False on timeout."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def wait_until(self, check: Callable[[], bool], timeout: float) -> bool:
        """Re-evaluate `check` after each change until true (True) or timeout (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check():
            remaining = deadline - loop.time()
            if remaining <= 0 or not await self.wait(remaining):
                return check()
        return True


def update_type(update: JSON) -> str:
    """The kind of an Update ("message", "callback_query", ...)."""
    return next((key for key in update if key != "update_id"), "")


def is_allowed(update: JSON, allowed: list[str] | None) -> bool:
    """Whether an update passes the bot's allowed_updates setting."""
    kind = update_type(update)
    if not allowed:
        return kind not in NOT_BY_DEFAULT
    return kind in allowed


class UpdateQueue:
    """Unconfirmed updates; getUpdates with offset > update_id confirms (drops) them."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        self.pending: list[JSON] = []
        self.allowed_updates: list[str] | None = None
        self._last_id = 0
        self._poll_serial = 0
        self.waiting_pollers = 0
        self.closing = False

    def next_update_id(self) -> int:
        """Allocate the next update_id (monotonic)."""
        self._last_id += 1
        return self._last_id

    def push(self, update: JSON) -> JSON:
        """Queue an update, giving it an update_id if it has none."""
        if "update_id" not in update:
            update = {"update_id": self.next_update_id(), **update}
        self._last_id = max(self._last_id, update["update_id"])
        self.pending.append(update)
        self.pending.sort(key=lambda item: item["update_id"])
        self.notifier.notify()
        return update

    def confirm(self, offset: int) -> None:
        """Apply a getUpdates offset: positive drops older ids, negative keeps the last -N."""
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset < 0:
            self.pending = self.pending[offset:]

    def drop_all(self) -> None:
        """drop_pending_updates=True."""
        self.pending.clear()

    def confirm_one(self, update: JSON) -> None:
        """Webhook delivery succeeded for this update."""
        if update in self.pending:
            self.pending.remove(update)

    def deliverable(self, allowed: list[str] | None) -> list[JSON]:
        """Pending updates the bot would get; others are dropped like the server does."""
        self.pending = [u for u in self.pending if is_allowed(u, allowed)]
        return self.pending

    async def get_updates(
        self, offset: int, limit: int, timeout: float, allowed: list[str] | None
    ) -> list[JSON]:
        """One getUpdates call: confirm, then answer at once or when an update arrives."""
        self._poll_serial += 1
        serial = self._poll_serial
        if allowed is not None:
            self.allowed_updates = allowed or None
        self.confirm(offset)
        self.notifier.notify()  # an older long poll sees it was superseded; waiters, the confirm
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while True:
            if serial != self._poll_serial:
                raise ApiError(409, errors.CONFLICT_POLLER)
            batch = self.deliverable(self.allowed_updates)[:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self.closing:
                return [dict(update) for update in batch]
            await self._wait_as_poller(remaining)

    async def _wait_as_poller(self, remaining: float) -> None:
        self.waiting_pollers += 1
        self.notifier.notify()
        try:
            await self.notifier.wait(remaining)
        finally:
            self.waiting_pollers -= 1
