"""What a worker does with an inbox item it holds, as the item's lifecycle says.

A side message is answered and finished (a secret in it erased with the same write). A line
item is run, or, when this worker took it over from one whose lease ran out after it may
have reached the agent, reported to the user in the message's own words with a Send again
button. A run marks the item `sending` right before the request to the agent leaves; if the
mark is refused the item is no longer ours and the agent is never called.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Protocol

from bot.core.albums import Albums
from bot.core.context import ItemHooks
from bot.core.intents import Intent
from bot.core.lines import Outcome
from bot.core.messages import IncomingMessage
from bot.core.platforms import Platforms
from bot.core.reception import Admitted
from bot.core.registry import Registry
from bot.core.router import route
from bot.core.serving import Service
from storage import Claim, InboxItem, InboxStore, PeopleStore, UserRecord

__all__ = ["ItemWork"]


class _Stores(InboxStore, PeopleStore, Protocol):
    """The inbox, and the users its items belong to."""


class ItemWork:
    """Serves the inbox items this worker holds."""

    def __init__(
        self,
        store: _Stores,
        platforms: Platforms,
        service: Service,
        registry: Registry,
        albums: Albums,
        worker_id: str,
        lease_seconds: float,
    ) -> None:
        self._store = store
        self._platforms = platforms
        self._service = service
        self._registry = registry
        self._albums = albums
        self._worker = worker_id
        self._lease = lease_seconds

    async def side(self, item_id: int, known: Admitted | None) -> None:
        """Answer one side-lane message: just accepted here, or taken from the store."""
        if known is not None:
            user, msg, intent = known.user, known.msg, known.intent
        else:
            item = await self._store.claim_side(item_id, self._worker, self._lease)
            if item is None:
                return
            user, msg, intent = await self._unpack(item)
        pacer = self._platforms.for_chat(msg.chat)
        if pacer is None:
            await self._store.release(item_id, self._worker)
            return
        await self._service.serve(pacer, user, msg, intent)
        scrub = not self._registry[intent.kind].keep_text
        await self._store.finish(item_id, self._worker, scrub=scrub)

    async def line(self, claim: Claim) -> Outcome:
        """Work on a claimed line item: run it, or report it."""
        item = claim.item
        user, msg, intent = await self._unpack(item)
        pacer = self._platforms.for_chat(msg.chat)
        if pacer is None:
            return "release"
        if claim.action == "report":

            async def told() -> None:
                await self._store.finish(item.id, self._worker, "report")

            report = Intent("interrupted", intent.arg)
            await self._service.serve(pacer, user, msg, report, ItemHooks(item.id, told=told))
            return "report"
        if item.group_key is not None:
            msg = await self._albums.gather(item, msg)
            intent = replace(intent, arg=msg.text.strip())

        async def reached_agent() -> None:
            if not await self._store.mark_sending(item.id, self._worker):
                raise asyncio.CancelledError  # no longer ours: never call the agent

        hooks = ItemHooks(item.id, item.created_at, before_agent=reached_agent)
        await self._service.serve(pacer, user, msg, intent, hooks)
        return "finish"

    async def _unpack(self, item: InboxItem) -> tuple[UserRecord, IncomingMessage, Intent]:
        msg = IncomingMessage.from_json(item.payload)
        user = await self._store.get_user(item.user_id)
        if user is None:  # pragma: no cover - rows are deleted with their user
            raise LookupError(f"inbox item {item.id} has no user")
        if item.intent is not None:
            return user, msg, Intent.from_json(item.intent)
        # Stored by a version that did not keep the intent: decided from its text, once.
        intent = route(
            msg.text, self._registry, has_attachments=bool(msg.attachments), chosen=msg.chosen
        )
        return user, msg, intent
