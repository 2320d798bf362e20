"""Albums: photos sent together arrive as separate messages and are answered as one turn.

The first part's turn waits until no part of the album was stored for `window` seconds, then
folds the others in. When a part was stored is read from the inbox, so the window holds
whichever workers the parts reached.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

from bot.core.messages import IncomingMessage
from storage import InboxItem, InboxStore

__all__ = ["Albums"]


class Albums:
    """Gathers an album's parts into the turn of its first part."""

    def __init__(
        self, inbox: InboxStore, window: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._inbox = inbox
        self._window = window
        self._clock = clock  # epoch seconds, like the store's times

    async def gather(self, item: InboxItem, msg: IncomingMessage) -> IncomingMessage:
        """Wait for the rest of the album, then fold its messages into this one."""
        assert item.group_key is not None
        while True:
            last = await self._inbox.last_of_group(item.user_id, item.group_key)
            wait = (last or item.created_at) + self._window - self._clock()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        parts = [msg]
        for sibling in await self._inbox.absorb_group(item.id, item.user_id, item.group_key):
            parts.append(IncomingMessage.from_json(sibling.payload))
        text = next((p.text for p in parts if p.text.strip()), "")
        files = tuple(a for p in parts for a in p.attachments)
        return replace(msg, text=text, attachments=files)
