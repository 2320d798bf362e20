"""What each intent does. The engine decides when (at once, or in the user's queue)."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from bot.core.accounts import Accounts
from bot.core.conversation import Conversation, TurnContext
from bot.core.export import Exporter
from bot.core.messages import IncomingMessage
from bot.core.outbox import OutboxError
from bot.core.router import Intent, asks_for_video
from bot.core.texts import LANGUAGES, t
from bot.core.uploads import Uploads
from bot.nemo import NemoClient
from bot.nemo.draft import summary
from bot.nemo.errors import NemoAuthError
from storage import Store

__all__ = ["MAX_MESSAGE_CHARS", "NEEDS", "Handlers"]

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000

# What each intent needs before it runs: (a NemoVideo account, a session).
NEEDS: dict[str, tuple[bool, bool]] = {
    "turn": (True, True),
    "export": (True, True),
    "upload": (True, True),
    "status": (True, True),
    "interrupted": (True, True),
    "credits": (True, False),
    "new": (False, False),
    "lang": (False, False),
    "login": (False, False),
    "logout": (False, False),
    "start": (False, False),
    "help": (False, False),
    "empty": (False, False),
    "unknown_command": (False, False),
}


@dataclass(slots=True)
class Handlers:
    """The bot's actions, given a user context."""

    store: Store
    nemo: NemoClient
    accounts: Accounts
    conversation: Conversation
    exporter: Exporter
    uploads: Uploads

    async def reply(self, ctx: TurnContext, key: str, **values: object) -> None:
        """Send one text line from `texts`."""
        await ctx.outbox.send_text(ctx.chat, t(key, ctx.lang, **values))

    # -- queued: they touch the session in order with the user's turns ------------------

    async def turn(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """An agent turn, with auto-export when the user asked for the video."""
        text = intent.arg
        if len(text) > MAX_MESSAGE_CHARS:
            await self.reply(ctx, "too_long", length=len(text), limit=MAX_MESSAGE_CHARS)
            return
        wants_video = asks_for_video(text)
        outcome = await self.conversation.run(ctx, text, exporting=wants_video)
        await self.store.bump_usage(ctx.user_id, turns=1, images=outcome.images)
        if outcome.gui_export and wants_video:
            await self.export(ctx, msg, intent)

    async def export(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """Render the latest draft."""
        await self.exporter.start(ctx.user_id, ctx.chat, ctx.lang, ctx.account, ctx.session_id)

    async def upload(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """Attachments go up together; the caption then runs as a turn."""
        if not msg.attachments:
            await self.reply(ctx, "upload_how")
            return
        uploaded = await self.uploads.handle(ctx, msg.attachments)
        if uploaded:
            self.conversation.forget(ctx.session_id)
            await self.store.bump_usage(ctx.user_id, uploads=uploaded)
        if uploaded and intent.arg:
            await self.turn(ctx, msg, Intent("turn", intent.arg))

    async def new(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """A fresh project."""
        await self.accounts.new_session(ctx.user_id)
        await self.reply(ctx, "new_session")

    # -- immediate: read-only or about the bot itself ---------------------------------------

    async def status(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """The timeline in the skill's summary style."""
        state = await self.conversation.state(ctx)
        text = summary(state.draft)
        await ctx.outbox.send_text(
            ctx.chat,
            t("status", ctx.lang, summary=text) if text else t("status_empty", ctx.lang),
            self.conversation.buttons(ctx) if text else (),
        )

    async def credits(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """The account's balance."""
        balance = await self.nemo.credits(ctx.account.auth)
        await self.reply(
            ctx,
            "credits",
            available=balance.available,
            frozen=balance.frozen,
            total=balance.total,
        )

    async def lang(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """Choose the reply language."""
        choice = intent.arg.strip().lower()[:2]
        if choice not in LANGUAGES:
            await self.reply(ctx, "lang_usage")
            return
        await self.store.set_language(ctx.user_id, choice)
        ctx.lang = choice
        await self.reply(ctx, "lang_set")

    async def login(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """Attach the user's own token: private chats only; the message is deleted."""
        if msg.message_id is not None:
            with contextlib.suppress(OutboxError):
                await ctx.outbox.delete_message(ctx.chat, msg.message_id)
        if not ctx.chat.private:
            await self.reply(ctx, "login_private_only")
            return
        token = intent.arg.strip()
        if not token or " " in token:
            await self.reply(ctx, "login_usage")
            return
        try:
            available = await self.accounts.login(ctx.user_id, token)
        except NemoAuthError:
            await self.reply(ctx, "login_bad")
            return
        await self.reply(ctx, "login_ok", available=available)

    async def logout(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """Back to the bot's account."""
        await self.accounts.logout(ctx.user_id)
        await self.reply(ctx, "logout_ok")

    # -- answers that need nothing from NemoVideo ------------------------------------------

    async def start(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """The greeting."""
        await self.reply(ctx, "welcome")

    async def help(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """What the bot understands."""
        await self.reply(ctx, "help")

    async def empty(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """A blank message."""
        await self.reply(ctx, "empty_message")

    async def unknown_command(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """A slash command the bot does not have."""
        await self.reply(ctx, "unknown_command", command=intent.arg[:32])

    async def interrupted(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """A turn was running when the bot stopped: say what the project looks like now."""
        state = await self.conversation.state(ctx)
        found = summary(state.draft) or t("status_empty", ctx.lang)
        await self.reply(ctx, "interrupted", state=found)

    async def handle(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """Run the handler named by the intent."""
        await getattr(self, intent.kind)(ctx, msg, intent)
