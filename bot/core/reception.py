"""Accepting a message: who sent it, may they, what it is (decided once), and storing it.

Nothing here waits for the backend or a platform: the message is written to the inbox with
its decided intent and the caller learns its place in line. What the sender is told about a
refusal is returned, not sent, so the engine can send it without making the caller wait.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Protocol

from bot.core.admission import Admission, Refusal, RefusalStatus
from bot.core.intents import Intent
from bot.core.messages import IncomingMessage, User
from bot.core.registry import Registry
from bot.core.router import route
from bot.core.stars import Stars
from bot.core.texts import chat_language, t
from bot.logs import redact
from storage import (
    AcceptRules,
    Enqueued,
    InboxStore,
    LedgerStore,
    Newcomer,
    NewItem,
    PeopleStore,
    RenderStore,
    UserRecord,
)

__all__ = ["Accepted", "Admitted", "Reception"]


class ReceptionStores(PeopleStore, InboxStore, RenderStore, LedgerStore, Protocol):
    """Who sent it, where it is stored, (for Export presses) the user's renders, and (for a
    payment) the packs they bought."""


@dataclass(frozen=True, slots=True)
class Accepted:
    """What became of a submitted message.

    `queued`: stored in the user's line at `position` (1 runs next); `side`: stored and
    answered beside the line; `duplicate`: seen before; `repeat`: a button press the same as
    one still pending (acknowledged, dropped); `full`: the user already has too many messages
    waiting; `not_allowed`: the sender may not use the bot; `too_long`: over the length cap;
    `throttled`: the sender writes faster than the per-user rate; `busy`: Export pressed
    while the user's render runs; `not_yours`: someone else's button. A press is answered
    where the presser looks (`toast`), never in the chat.
    """

    status: (
        Literal["queued", "side", "duplicate", "repeat", "full", "busy", "not_yours"]
        | RefusalStatus
    )
    position: int = 0
    toast: str | None = None  # for a button press: a line only the presser sees


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
        store: ReceptionStores,
        admission: Admission,
        registry: Registry,
        stars: Stars,
        *,
        queue_limit: int,
        renders_per_user: int,
        rate_in_store: bool,
        lease_seconds: float,
    ) -> None:
        self._people = store
        self._inbox = store
        self._renders = store
        self._renders_per_user = renders_per_user
        self._admission = admission
        self._registry = registry
        self._stars = stars
        self._queue_limit = queue_limit
        self._rate_in_store = rate_in_store
        self._lease_seconds = lease_seconds
        self._user_ids: dict[tuple[str, str], int] = {}  # a cache: ids never change

    async def admit(self, msg: IncomingMessage, *, claim_for: str | None) -> Admitted:
        """Store `msg` (a side message already claimed by `claim_for`, if given).

        A payment is credited first, before anything may refuse the message: its charge id
        makes that once, and the update is confirmed to the platform only after this returns.
        A payment credited before (the same charge in another update) is a duplicate: not
        thanked twice. A sender not seen since the start gets their row in the same write
        as their message, unless the message needs the row first (a payment, a button).
        """
        intent = route(
            msg.text, self._registry, has_attachments=bool(msg.attachments), chosen=msg.chosen
        )
        user = await self._cached_user(msg.user)
        if user is None and (msg.payment is not None or intent.button is not None):
            user = await self.known_user(msg.user)
        if msg.payment is not None and user is not None:
            intent = Intent("paid", msg.payment.charge_id)
            if not await self._stars.credit(user.id, msg.payment):
                return Admitted(Accepted("duplicate"), user, msg, intent)
        refused = self._admission.refusal(msg)
        if refused is not None:
            user = user or await self.known_user(msg.user)
            return self._refused(refused, user, msg, intent)
        if intent.button is not None and user is not None:
            early = await self._press_refusal(user, msg, intent)
            if early is not None:
                return early
        return await self._store(msg, user, intent, claim_for)

    async def _store(
        self, msg: IncomingMessage, user: UserRecord | None, intent: Intent, owner: str | None
    ) -> Admitted:
        spec = self._registry[intent.kind]
        # A secret (a /login's token) is stored as sent and erased once answered; anything
        # token-shaped pasted into another message is masked, for the agent too.
        stored = msg if not spec.keep_text else replace(msg, text=redact(msg.text))
        if spec.keep_text and intent.arg:
            intent = replace(intent, arg=redact(intent.arg))
        owner = owner if spec.lane == "side" else None
        item = self._item(stored, user, intent)
        placed = await self._inbox.accept(item, self._rules(msg, owner))
        if user is None:
            assert placed.user is not None  # made with the message
            user = placed.user
            self._user_ids[(msg.user.platform, msg.user.id)] = user.id
        return self._outcome(placed, user, stored, intent, spec.lane)

    async def _press_refusal(
        self, user: UserRecord, msg: IncomingMessage, intent: Intent
    ) -> Admitted | None:
        """A press answered at once, with a toast: someone else's button, or Export while
        the user's render runs (mashing it must not fill the chat)."""
        button, lang = intent.button, user.language
        if button is not None and button.user_id is not None and button.user_id != user.id:
            return _said(Admitted(Accepted("not_yours"), user, msg, intent), t("not_yours", lang))
        if intent.kind != "export" or self._admission.is_admin(msg.user):
            return None
        active = await self._renders.active_renders(user.id)
        if len(active) < self._renders_per_user:
            return None
        line = t("export_busy", lang, progress=active[0].progress)
        return _said(Admitted(Accepted("busy"), user, msg, intent), line)

    def _item(self, stored: IncomingMessage, user: UserRecord | None, intent: Intent) -> NewItem:
        button = intent.button
        press = f"{intent.kind}:{button.session}:{button.ref}" if button is not None else None
        sender = stored.user
        newcomer = None
        if user is None:
            newcomer = Newcomer(sender.platform, sender.id, chat_language(sender.language))
        return NewItem(
            platform=stored.chat.platform,
            update_id=stored.update_id,
            user_id=user.id if user is not None else 0,
            chat=stored.chat.to_json(),
            kind=intent.kind,
            intent=intent.to_json(),
            payload=stored.to_json(),
            lane=self._registry[intent.kind].lane,
            group=stored.group,
            press_key=press,
            newcomer=newcomer,
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
        def admitted(accepted: Accepted, line: str | None = None) -> Admitted:
            return _said(Admitted(accepted, user, msg, intent, placed.item_id), line)

        lang = user.language
        if placed.duplicate:
            return admitted(Accepted("duplicate", placed.position))
        if placed.repeat:
            return admitted(Accepted("repeat"), t("press_repeated", lang))
        if placed.throttled:  # counted by the store across workers: it says when to tell
            line = "slow_down" if placed.first_refusal else None
            return self._refused(Refusal("throttled", line, reason="slow_down"), user, msg, intent)
        if placed.refused:
            return admitted(Accepted("full"), t("queue_full", lang, limit=self._queue_limit))
        if lane == "side":
            return admitted(Accepted("side"))
        if placed.position <= 1 or msg.group is not None:
            return admitted(Accepted("queued", placed.position))
        key = "press_queued" if intent.button is not None else "queued"
        return admitted(Accepted("queued", placed.position), t(key, lang, position=placed.position))

    def _refused(
        self, refused: Refusal, user: UserRecord, msg: IncomingMessage, intent: Intent
    ) -> Admitted:
        line = None
        # An inline message waits for its answer in place: it is always told why not.
        key = refused.reason if msg.chosen and refused.text_key is None else refused.text_key
        if key is not None:
            line = t(key, user.language, **refused.values)
        return _said(Admitted(Accepted(refused.status), user, msg, intent), line)

    async def known_user(self, sender: User) -> UserRecord:
        """The sender's record, made the first time; known ids are cached so a message
        costs a read, not a write."""
        user = await self._cached_user(sender)
        if user is None:
            key = (sender.platform, sender.id)
            user = await self._people.upsert_user(*key, chat_language(sender.language))
            self._user_ids[key] = user.id
        return user

    async def _cached_user(self, sender: User) -> UserRecord | None:
        """The record of a sender this process has met (read afresh), else None."""
        user_id = self._user_ids.get((sender.platform, sender.id))
        return await self._people.get_user(user_id) if user_id is not None else None


def _said(admitted: Admitted, line: str | None) -> Admitted:
    """Give `line` to the sender: in the chat for a message, as a toast for a press."""
    if line is None:
        return admitted
    if admitted.intent.button is None:
        return replace(admitted, notice=line)
    return replace(admitted, accepted=replace(admitted.accepted, toast=line))
