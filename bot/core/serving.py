"""Serving one accepted message: build the user's context, run the handler, explain failures.

In a group, what its admins chose comes first (`bot.core.chat_rules`): the language of the
bot's messages there, who may use it (everyone or admins only), and on Discord the channels
it answers in (a mention elsewhere is let be; a slash command elsewhere gets one line).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.core.accounts import Account, Accounts
from bot.core.admission import Admission
from bot.core.answering import answering
from bot.core.chat_rules import ChatRules
from bot.core.codec import session_tag
from bot.core.commands import Handlers
from bot.core.context import ItemHooks, TurnContext
from bot.core.conversation import Conversation
from bot.core.intents import Intent
from bot.core.messages import IncomingMessage
from bot.core.outbox import OutboxError
from bot.core.pacing import Pacer
from bot.core.texts import language_of, t
from bot.logs import pseudonym
from bot.nemo.errors import SessionNotFound
from storage import ChatSettings, PeopleStore, UserRecord

__all__ = ["Service"]

log = logging.getLogger(__name__)

_NO_HOOKS = ItemHooks()
# Intents every member may use wherever the bot is: changing the settings (an admin fixing
# the channels from another one), and the thanks for a payment.
_ANYWHERE = frozenset({"settings", "paid"})


class Service:
    """Runs one intent for one user; every failure becomes one friendly line."""

    def __init__(
        self,
        store: PeopleStore,
        accounts: Accounts,
        conversation: Conversation,
        handlers: Handlers,
        web_base: str,
        admission: Admission,
        rules: ChatRules,
    ) -> None:
        self._store = store
        self._admission = admission
        self._rules = rules
        self._accounts = accounts
        self._conversation = conversation
        self._handlers = handlers
        self._web_base = web_base

    async def serve(
        self,
        pacer: Pacer,
        user: UserRecord,
        msg: IncomingMessage,
        intent: Intent,
        hooks: ItemHooks = _NO_HOOKS,
    ) -> None:
        """Run `intent`; never raises for a backend, platform or programming fault."""
        user = await self._sticky_language(user, msg)

        async def account() -> Account:
            return await self._accounts.account(user.id)

        async with answering(
            pacer,
            msg.chat,
            user.language,
            f"request of user {pseudonym(user.id)}",
            web_base=self._web_base,
            account=account,
        ):
            await self._run(pacer, user, msg, intent, hooks)

    async def _sticky_language(self, user: UserRecord, msg: IncomingMessage) -> UserRecord:
        """Once a user writes Chinese, every answer to them is Chinese."""
        if user.language != "zh" and language_of(msg.text) == "zh":
            await self._store.set_language(user.id, "zh")
            return replace(user, language="zh")
        return user

    async def _run(
        self,
        pacer: Pacer,
        user: UserRecord,
        msg: IncomingMessage,
        intent: Intent,
        hooks: ItemHooks,
    ) -> None:
        spec = self._handlers.registry[intent.kind]
        here = await self._rules.settings(msg.chat)
        lang = here.language if here is not None and here.language else user.language
        admin = self._admission.is_admin(msg.user)
        kept_out = None if admin else await self._kept_out(pacer, msg, intent, here)
        if kept_out is not None:
            if kept_out:
                await pacer.send_text(msg.chat, t(kept_out, lang))
            return
        needs_account = spec.account or _names_session(intent)
        account = await self._accounts.account(user.id) if needs_account else Account.none()
        refusal = await self._refuse_button(user, intent, account)
        if refusal is not None:
            await pacer.send_text(msg.chat, t(refusal, lang))
            return
        ctx = TurnContext(user.id, msg.chat, pacer, account, "", lang, hooks.before_agent)
        ctx.admin = admin
        ctx.here = here
        ctx.accepted_at = hooks.accepted_at
        ctx.item_id = hooks.item_id
        ctx.told = hooks.told
        if spec.session:
            await self._open(ctx, lang)
        try:
            await spec.handler(self._handlers, ctx, msg, intent)
        except SessionNotFound:
            if not spec.session or ctx.reached_agent:
                raise
            log.info("session of user %s was lost; creating a new one", pseudonym(user.id))
            await self._accounts.new_session(user.id)
            await self._open(ctx, lang)
            await spec.handler(self._handlers, ctx, msg, intent)

    async def _open(self, ctx: TurnContext, lang: str) -> None:
        project = await self._accounts.project(ctx.user_id, ctx.account, lang)
        if project.created:
            self._conversation.assume_empty(project.session_id)
        ctx.session_id = project.session_id

    async def _kept_out(
        self, pacer: Pacer, msg: IncomingMessage, intent: Intent, here: ChatSettings | None
    ) -> str | None:
        """Why the group's settings keep this member out here: a line to say, "" to say
        nothing (a mention in another channel), or None to go on."""
        if here is None or intent.kind in _ANYWHERE:
            return None
        if here.channels and msg.chat.chat_id not in here.channels:
            return "settings_elsewhere" if msg.chat.interaction else ""
        if here.access == "admins" and not await self._rules.is_admin(pacer, msg.chat, msg.user):
            return "settings_admins_here"
        return None

    async def _refuse_button(
        self, user: UserRecord, intent: Intent, account: Account
    ) -> str | None:
        """Why a button press must not act (someone else's, or a replaced project), or None."""
        button = intent.button
        if button is None:
            return None
        if button.user_id is not None and button.user_id != user.id:
            return "not_yours"
        if _names_session(intent):
            current = await self._accounts.current(user.id, account)
            if current is None or session_tag(current.session_id) != button.session:
                return "session_replaced"
        return None


# Presses about the account, or about a video already made, whatever project is current.
_ANY_PROJECT = frozenset({"credits", "resend"})


def _names_session(intent: Intent) -> bool:
    """A press that acts on the project it was made for."""
    button = intent.button
    return button is not None and bool(button.session) and intent.kind not in _ANY_PROJECT


async def _say(pacer: Pacer, msg: IncomingMessage, text: str) -> None:
    try:
        await pacer.send_text(msg.chat, text)
    except OutboxError as exc:
        log.warning("could not answer in chat %s: %s", pseudonym(msg.chat.chat_id), exc)
