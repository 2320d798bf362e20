"""Albums: photos sent together arrive as separate messages and are answered as one turn."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.core.messages import IncomingMessage
from storage import InboxItem, Store

__all__ = ["Albums"]


class Albums:
    """The first part's turn waits until no part came for `window` seconds, then takes all.

    When each part came is known to the worker that received it only (other workers fold
    in whatever parts are stored when the turn starts).
    """

    def __init__(self, store: Store, window: float) -> None:
        self._store = store
        self._window = window
        self._last: dict[tuple[int, str], float] = {}  # (user, album) → when its last part came

    def arrived(self, user_id: int, group: str) -> None:
        """A part of album `group` was just stored."""
        self._last[(user_id, group)] = asyncio.get_running_loop().time()

    async def gather(self, item: InboxItem, msg: IncomingMessage) -> IncomingMessage:
        """Wait for the rest of the album, then fold its messages into this one."""
        assert item.group_key is not None
        key = (item.user_id, item.group_key)
        loop = asyncio.get_running_loop()
        while (last := self._last.get(key)) is not None:
            wait = last + self._window - loop.time()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        self._last.pop(key, None)
        parts = [msg]
        for sibling in await self._store.absorb_group(item.id, item.user_id, item.group_key):
            parts.append(IncomingMessage.from_json(sibling.payload))
        text = next((p.text for p in parts if p.text.strip()), "")
        files = tuple(a for p in parts for a in p.attachments)
        return replace(msg, text=text, attachments=files)
