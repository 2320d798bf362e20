"""Keeping the database small and discreet: old texts erased, old messages and renders pruned.

Pruned inbox rows take their platform update ids with them, so a platform redelivering an
update older than the retention would be answered again; platforms give up long before.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from storage import InboxStore, OperatorStore

__all__ = ["Housekeeping"]

log = logging.getLogger(__name__)

_HOUR = 3600.0
_DAY = 24 * _HOUR


class HousekeptStore(InboxStore, OperatorStore, Protocol):
    """The inbox's and the render jobs' upkeep."""


class Housekeeping:
    """Erases message texts after `text_hours`, deletes answered messages after `keep_days`
    and finished render jobs after `render_keep_days`."""

    def __init__(
        self,
        store: HousekeptStore,
        *,
        text_hours: float,
        keep_days: float,
        render_keep_days: float = 30.0,
        every: float = _HOUR,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._text_seconds = text_hours * _HOUR
        self._keep_seconds = keep_days * _DAY
        self._render_keep_seconds = render_keep_days * _DAY
        self._every = every
        self._clock = clock

    async def run_once(self) -> tuple[int, int, int]:
        """One round: (texts erased, messages deleted, render jobs deleted)."""
        now = self._clock()
        erased = await self._store.forget_texts(now - self._text_seconds)
        pruned = await self._store.prune_inbox(now - self._keep_seconds)
        renders = await self._store.prune_renders(now - self._render_keep_seconds)
        if erased or pruned or renders:
            log.info(
                "housekeeping: erased %d message texts, deleted %d old messages and %d old renders",
                erased,
                pruned,
                renders,
            )
        return erased, pruned, renders

    async def run(self) -> None:
        """Forever, once every `every` seconds; a failed round is logged and retried later."""
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # noqa: BLE001 - housekeeping must never stop the bot
                log.warning("housekeeping failed (%s: %s)", type(exc).__name__, exc)
            await asyncio.sleep(self._every)
