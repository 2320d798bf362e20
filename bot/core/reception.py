"""Accepting a message: who sent it, may they, what it is (decided once), and storing it.

Nothing here waits for the backend or a platform: the message is written to the inbox with
its decided intent and the caller learns its place in line. What the sender is told about a
refusal is returned, not sent, so the engine can send it without making the caller wait.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from bot.core.admission import Admission, Refusal, RefusalStatus
from bot.core.intents import REGISTRY, Intent
from bot.core.messages import IncomingMessage
from bot.core.router import route
from bot.core.texts import chat_language, t
from bot.logs import redact
from storage import AcceptRules, Enqueued, InboxStore, NewItem, PeopleStore, UserRecord

__all__ = ["Accepted", "Admitted", "Reception"]


@dataclass(frozen=True, slots=True)
class Accepted:
    """What became of a submitted message.

    `queued`: stored in the user's line at `position` (1 runs next); `side`: stored and
    answered beside the line; `duplicate`: seen before; `repeat`: a button press the same as
    one still pending (acknowledged, dropped); `full`: the user already has too many messages
    waiting; `not_allowed`: the sender may not use the bot; `too_long`: over the length cap;
    `throttled`: the sender writes faster than the per-user rate.
    """

    status: Literal["queued", "side", "duplicate", "repeat", "full"] | RefusalStatus
    position: int = 0


@dataclass(frozen=True, slots=True)
class Admitted:
    """An accepted (or refused) message, with what the engine needs to serve or answer it."""

    accepted: Accepted
    user: UserRecord
    msg: IncomingMessage  # as the handler must see it (a /login's token included)
    intent: Intent
    item_id: int = 0
    notice: str | None = None  # a line for the sender's chat, if any


class Reception:
    """Stores each message once, with its intent, within the sender's limits."""

    def __init__(
        self,
        people: PeopleStore,
        inbox: InboxStore,
        admission: Admission,
        *,
        queue_limit: int,
        rate_in_store: bool,
        lease_seconds: float,
    ) -> None:
        self._people = people
        self._inbox = inbox
        self._admission = admission
        self._queue_limit = queue_limit
        self._rate_in_store = rate_in_store
        self._lease_seconds = lease_seconds
        self._user_ids: dict[tuple[str, str], int] = {}  # a cache: ids never change

    async def admit(self, msg: IncomingMessage, *, claim_for: str | None) -> Admitted:
        """Store `msg` (a side message already claimed by `claim_for`, if given)."""
        user = await self._user(msg)
        intent = route(msg.text, has_attachments=bool(msg.attachments))
        refused = self._admission.refusal(msg, user.id)
        if refused is not None:
            return self._refused(refused, user, msg, intent)
        spec = REGISTRY[intent.kind]
        # A secret (a /login's token) is stored as sent and erased once answered; anything
        # token-shaped pasted into another message is masked, for the agent too.
        stored = msg if not spec.keep_text else replace(msg, text=redact(msg.text))
        if spec.keep_text and intent.arg:
            intent = replace(intent, arg=redact(intent.arg))
        owner = claim_for if spec.lane == "side" else None
        placed = await self._inbox.accept(self._item(stored, user, intent), self._rules(msg, owner))
        return self._outcome(placed, user, stored, intent, spec.lane)

    def _item(self, stored: IncomingMessage, user: UserRecord, intent: Intent) -> NewItem:
        button = intent.button
        press = f"{intent.kind}:{button.session}:{button.ref}" if button is not None else None
        return NewItem(
            platform=stored.chat.platform,
            update_id=stored.update_id,
            user_id=user.id,
            chat=stored.chat.to_json(),
            kind=intent.kind,
            intent=intent.to_json(),
            payload=stored.to_json(),
            lane=REGISTRY[intent.kind].lane,
            group=stored.group,
            press_key=press,
        )

    def _rules(self, msg: IncomingMessage, owner: str | None) -> AcceptRules:
        """Operators pass every limit; an album's parts are one message."""
        admin = self._admission.is_admin(msg.user)
        unlimited = msg.group is not None or admin
        counted_here = self._rate_in_store and not admin
        return AcceptRules(
            limit=None if unlimited else self._queue_limit,
            per_minute=self._admission.per_minute if counted_here else None,
            owner=owner,
            lease_seconds=self._lease_seconds,
        )

    def _outcome(
        self,
        placed: Enqueued,
        user: UserRecord,
        msg: IncomingMessage,
        intent: Intent,
        lane: str,
    ) -> Admitted:
        def admitted(accepted: Accepted, notice: str | None = None) -> Admitted:
            return Admitted(accepted, user, msg, intent, placed.item_id, notice)

        press = intent.button is not None  # answered where the presser looks, not in the chat
        lang = user.language
        if placed.duplicate:
            return admitted(Accepted("duplicate", placed.position))
        if placed.repeat:
            return admitted(Accepted("repeat"))
        if placed.throttled:  # counted by the store across workers: it says when to tell
            line = "slow_down" if placed.first_refusal else None
            return self._refused(Refusal("throttled", line), user, msg, intent)
        if placed.refused:
            full = None if press else t("queue_full", lang, limit=self._queue_limit)
            return admitted(Accepted("full"), full)
        if lane == "side":
            return admitted(Accepted("side"))
        waiting = placed.position > 1 and msg.group is None and not press
        notice = t("queued", lang, position=placed.position) if waiting else None
        return admitted(Accepted("queued", placed.position), notice)

    def _refused(
        self, refused: Refusal, user: UserRecord, msg: IncomingMessage, intent: Intent
    ) -> Admitted:
        notice = None
        if refused.text_key is not None:
            notice = t(refused.text_key, user.language, **refused.values)
        return Admitted(Accepted(refused.status), user, msg, intent, 0, notice)

    async def _user(self, msg: IncomingMessage) -> UserRecord:
        """The sender's record; known ids are cached so a message costs a read, not a write."""
        key = (msg.user.platform, msg.user.id)
        user_id = self._user_ids.get(key)
        user = await self._people.get_user(user_id) if user_id is not None else None
        if user is None:
            user = await self._people.upsert_user(*key, chat_language(msg.user.language))
            self._user_ids[key] = user.id
        return user
