"""What each of the users' intents does, and the router that says how each runs."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.core.accounts import Accounts
from bot.core.admission import Admission
from bot.core.allowances import EXPORT, TURN, Allowances
from bot.core.chat_rules import ChatRules
from bot.core.context import TurnContext
from bot.core.conversation import Conversation, TurnOutcome
from bot.core.export import Exporter, ExportRequest
from bot.core.gallery import images_in_state
from bot.core.help import help_text
from bot.core.intents import Intent, can_send_again
from bot.core.keyboards import answer_buttons, send_again_buttons
from bot.core.messages import ChatRef, IncomingMessage
from bot.core.outbox import Keyboard, OutboxError, OutboxUnreachable
from bot.core.platforms import Platforms
from bot.core.registry import Option, Registry, Router
from bot.core.router import START_PAYLOADS
from bot.core.stars import Stars
from bot.core.storyboard import Storyboard
from bot.core.texts import LANGUAGES, t, t_count
from bot.core.timeline import summary
from bot.core.uploads import Uploads
from bot.core.wording import asks_for_video, first_words
from bot.nemo import NemoClient
from bot.nemo.errors import NemoAuthError
from storage import (
    KINDS,
    ChatSettingsStore,
    Counts,
    ImageStore,
    InboxStore,
    LedgerStore,
    OperatorStore,
    PeopleStore,
)

__all__ = ["Handlers", "router"]

log = logging.getLogger(__name__)

# Stops the user's running turn and drops their queue: (messages dropped, a turn was stopped).
CancelUser = Callable[[int], Awaitable[tuple[int, bool]]]


class HandlerStores(
    PeopleStore, ImageStore, InboxStore, OperatorStore, LedgerStore, ChatSettingsStore, Protocol
):
    """What the handlers read and write themselves: users, images, a reported message,
    payments, and (the operators' commands) rules and figures."""


@dataclass(slots=True)
class Handlers:
    """The bot's actions, given a user context."""

    store: HandlerStores
    nemo: NemoClient
    accounts: Accounts
    conversation: Conversation
    exporter: Exporter
    uploads: Uploads
    cancel_user: CancelUser
    web_base: str
    admission: Admission
    registry: Registry  # what `send_again` runs, and what /help lists
    storyboard: Storyboard  # /status as a picture
    allowances: Allowances
    stars: Stars
    rules: ChatRules
    platforms: Platforms  # a refund goes to the platform the payment was made on

    async def reply(self, ctx: TurnContext, key: str, **values: object) -> None:
        """Send one text line from `texts`."""
        await ctx.pacer.send_text(ctx.chat, t(key, ctx.lang, **values))

    # -- in the user's line: they touch the session in order with the user's turns -------

    async def over_allowance(self, ctx: TurnContext, needs: tuple[str, ...]) -> bool:
        """Say so (with packs to buy, where the platform sells them) and True when the user
        has no allowance left for `needs` today."""
        short = await self.allowances.check(ctx.spender, needs)
        if short is None:
            return False
        line = short.line(ctx.lang)
        buttons: Keyboard = ()
        if short.whose == "user" and ctx.pacer.takes_payments:
            buttons = self.stars.offer(ctx.user_id, (short.kind,), ctx.lang)
            line = f"{line}\n{t('stars_offer', ctx.lang)}" if buttons else line
        await ctx.pacer.send_text(ctx.chat, line, buttons)
        return True

    async def turn(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """An agent turn, with auto-export when the user asked for the video; refused before
        the agent is called (spending nothing) when the user's allowance is used up."""
        if await self.over_allowance(ctx, TURN):
            return
        text = intent.arg  # within MAX_MESSAGE_CHARS: longer ones are refused before stored
        wants_video = asks_for_video(text)
        outcome = TurnOutcome()
        try:
            outcome = await self.conversation.run(ctx, text, exporting=wants_video)
        finally:
            if ctx.reached_agent:  # it may have cost credits, whatever happened after
                spent = Counts(turns=1, images=outcome.images)
                await self.allowances.spend(ctx.spender, spent)
        await self.store.bump_usage(ctx.user_id, turns=1, images=outcome.images)
        if outcome.gui_export and wants_video:
            await self.export(ctx, msg, intent)

    async def inline(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """🎨 A prompt chosen in inline mode: one image, made in the inline message itself
        (never an export: the words describe a picture, whatever they say)."""
        prompt = intent.arg.strip()
        if not prompt:
            await self.reply(ctx, "inline_empty", handle=ctx.pacer.inline_handle() or "")
            return
        if await self.over_allowance(ctx, TURN):  # inline turns spend the same allowance
            return
        ctx.image_prompt = prompt
        outcome = TurnOutcome()
        try:
            outcome = await self.conversation.run(ctx, t("agent_inline", ctx.lang, prompt=prompt))
        finally:
            if ctx.reached_agent:
                await self.allowances.spend(ctx.spender, Counts(turns=1, images=outcome.images))
        await self.store.bump_usage(ctx.user_id, turns=1, images=outcome.images)

    async def export(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """Render the latest draft (asked for on an inline message: into the private chat)."""
        chat = ctx.chat
        if chat.inline is not None:
            private = await self._private_for_video(ctx)
            if private is None:
                return
            chat = private
        """Render the latest draft (counted when the video is delivered)."""
        if await self.over_allowance(ctx, EXPORT):
            return
        request = ExportRequest(
            *(ctx.user_id, chat, ctx.lang, ctx.account, ctx.session_id),
            exempt=ctx.admin,
            item_id=ctx.item_id,
            quiet=ctx.quiet,
        )
        await self.exporter.start(request, ctx.pacer)

    async def _private_for_video(self, ctx: TurnContext) -> ChatRef | None:
        """Where the video of an inline message goes: the user's private chat with the bot,
        which the inline message then links to. None when the bot may not write there yet:
        the inline message offers a link whose Start runs the export there."""
        private = ctx.chat.private_chat()
        try:
            await ctx.pacer.send_text(private, t("inline_export_here", ctx.lang))
        except OutboxUnreachable:
            link = ctx.pacer.start_link(START_EXPORT) or ""
            await self.reply(ctx, "inline_export_start", link=link)
            return None
        await self.reply(ctx, "inline_export_sent", link=ctx.pacer.start_link(None) or "")
        return private

    async def resend(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """Send again a video the bot may not have finished sending."""
        request = ExportRequest(ctx.user_id, ctx.chat, ctx.lang, ctx.account, ctx.session_id)
        await self.exporter.resend(request, ctx.pacer)

    async def upload(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """Attachments go up together; the caption then runs as a turn.

        The caption runs even when no file could be used: the refusal says so, and the
        person gets an answer to what they wrote rather than silence.
        """
        if not msg.attachments:
            await self.reply(ctx, "upload_how")
            return
        caption = bool(intent.arg.strip())
        uploaded = await self.uploads.handle(ctx, msg.attachments, caption=caption)
        if uploaded:
            self.conversation.forget(ctx.session_id)
            await self.store.bump_usage(ctx.user_id, uploads=uploaded)
        if caption:
            await self.turn(ctx, msg, Intent("turn", intent.arg))

    async def again(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """🔁 The same image's prompt once more."""
        await self._redo(ctx, msg, intent, "agent_again")

    async def variation(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """✨ A variation of that image."""
        await self._redo(ctx, msg, intent, "agent_variation")

    async def _redo(
        self, ctx: TurnContext, msg: IncomingMessage, intent: Intent, wording: str
    ) -> None:
        ref = intent.button.ref if intent.button else None
        image = await self.store.get_image(ref) if ref is not None else None
        if image is None or image.user_id != ctx.user_id or not image.prompt:
            await self.reply(ctx, "image_gone")
            return
        text = t(wording, ctx.lang, prompt=image.prompt)
        ctx.image_prompt = image.prompt  # the new image is "of" the original prompt, too
        await self.turn(ctx, msg, Intent("turn", text))

    async def new(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """A fresh project."""
        await self.accounts.new_session(ctx.user_id)
        await self.reply(ctx, "new_session")

    async def interrupted(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """A turn that may have reached the agent when its worker stopped: say so in the
        message's own words, show the project now, and offer to send it again.

        Images the turn made and that were never posted come too (ones that may have been
        posted are not sent again).
        """
        state = await self.conversation.state(ctx)
        found = summary(state.draft, ctx.lang) or t("status_empty", ctx.lang)
        words = first_words(intent.arg) or t("your_message", ctx.lang)
        buttons = (
            () if ctx.item_id is None else send_again_buttons(ctx.user_id, ctx.item_id, ctx.lang)
        )
        line = t("interrupted", ctx.lang, words=words, state=found)
        await ctx.pacer.send_text(ctx.chat, line, buttons)
        if ctx.told is not None:  # recorded at once: the images below may take a while
            await ctx.told()
        await self.conversation.gallery.post(ctx, images_in_state(state.generated_media))

    async def send_again(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """↩️ The user asks to send a reported message again: once, as it was decided."""
        ref = intent.button.ref if intent.button else None
        item = await self.store.resend_item(ref, ctx.user_id) if ref is not None else None
        again = Intent.from_json(item.intent) if item is not None and item.intent else None
        if item is None or again is None or not can_send_again(again):
            await self.reply(ctx, "nothing_to_send_again")
            return
        handler = self.registry[again.kind].handler
        await handler(self, ctx, IncomingMessage.from_json(item.payload), again)

    # -- beside the line: they only read, or are about the bot itself -------------------

    async def status(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """The timeline as a storyboard picture, captioned with the skill-style summary (the
        summary alone when there is nothing to draw or the picture cannot be made)."""
        state = await self.conversation.state(ctx)
        text = summary(state.draft, ctx.lang)
        if not text:
            await self.reply(ctx, "status_empty")
            return
        buttons = answer_buttons(ctx.user_id, ctx.session_id, ctx.lang)
        line = t("status", ctx.lang, summary=text)
        if not await self.storyboard.send(ctx, state, line, buttons):
            await ctx.pacer.send_text(ctx.chat, line, buttons)

    async def credits(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """The account's balance; on a shared account with daily allowances, what is left of
        the user's today instead (operators see the shared account's balance too)."""
        if ctx.account.kind != "env" or not self.allowances.limited:
            await ctx.pacer.send_text(ctx.chat, await self._balance(ctx))
            return
        spender = ctx.spender
        buttons: Keyboard = ()
        if spender.metered:
            lines = [(await self.allowances.left(spender)).text(ctx.lang)]
            if ctx.pacer.takes_payments:
                buttons = self.stars.offer(ctx.user_id, KINDS, ctx.lang)
        else:
            lines = [t("allowance_none", ctx.lang)]
        if ctx.admin:
            lines.append(t("allowance_account", ctx.lang, balance=await self._balance(ctx)))
        await ctx.pacer.send_text(ctx.chat, "\n".join(lines), buttons)

    async def _balance(self, ctx: TurnContext) -> str:
        balance = await self.nemo.credits(ctx.account.auth)
        return t(
            "credits_on_hold" if balance.frozen else "credits",
            ctx.lang,
            available=balance.available,
            frozen=balance.frozen,
            total=balance.total,
        )

    async def web(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """A link that opens the project in the NemoVideo web editor."""
        project = await self.accounts.current(ctx.user_id, ctx.account)
        state = await self.conversation.state(ctx)
        if project is None or not project.task_id or not summary(state.draft, ctx.lang):
            await self.reply(ctx, "web_empty")
            return
        token = await self.nemo.claim_token(ctx.account.auth, project.task_id, ctx.session_id)
        await self.reply(ctx, "web_link", link=f"{self.web_base}/workspace/claim?ct={token}")

    async def cancel(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """Stop what the bot is doing for this user and clear their line."""
        dropped, stopped = await self.cancel_user(ctx.user_id)
        if not dropped and not stopped:
            await self.reply(ctx, "nothing_to_cancel")
            return
        await ctx.pacer.send_text(ctx.chat, t_count("cancelled", ctx.lang, dropped))

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
                await ctx.pacer.delete_message(ctx.chat, msg.message_id)
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

    async def start(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """The greeting."""
        await self.reply(ctx, "welcome")

    async def help(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """What the bot understands (and, where buttons are typed, how to press them)."""
        typed = ctx.pacer.limits(ctx.chat).typed_buttons
        inline = ctx.pacer.inline_handle()
        text = help_text(self.registry, ctx.lang, typed_buttons=typed, inline_handle=inline)
        await ctx.pacer.send_text(ctx.chat, text)

    async def empty(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """A blank message."""
        await self.reply(ctx, "empty_message")

    async def unknown_command(self, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
        """A slash command the bot does not have."""
        await self.reply(ctx, "unknown_command", command=intent.arg[:32])


START_EXPORT = next(payload for payload, kind in START_PAYLOADS.items() if kind == "export")


def router() -> Router:
    """The users' intents: the commands in the order the menus show them, then the rest."""
    r = Router("commands")
    r.side("start", Handlers.start, command=True)
    r.side("help", Handlers.help, command=True)
    r.line("export", Handlers.export, session=True, command=True, buttons=("export", "retry"))
    r.side("status", Handlers.status, session=True, command=True, buttons=("status",))
    r.side("credits", Handlers.credits, account=True, command=True, buttons=("credits",))
    r.line("new", Handlers.new, command=True, buttons=("new",))
    r.side("cancel", Handlers.cancel, command=True, buttons=("cancel",))
    r.side("web", Handlers.web, session=True, command=True, buttons=("web",))
    r.side("lang", Handlers.lang, command=True, option=Option("language", LANGUAGES))
    r.side("login", Handlers.login, command=True, keep_text=False, option=Option("token"))
    r.side("logout", Handlers.logout, command=True)
    r.line("turn", Handlers.turn, session=True)
    r.line("inline", Handlers.inline, session=True)
    r.line("upload", Handlers.upload, session=True)
    r.line("again", Handlers.again, session=True, buttons=("again",))
    r.line("variation", Handlers.variation, session=True, buttons=("variation",))
    r.line("resend", Handlers.resend, account=True, buttons=("resend",))
    r.line("interrupted", Handlers.interrupted, session=True)
    r.line("send_again", Handlers.send_again, session=True, buttons=("sendagain",))
    r.side("empty", Handlers.empty)
    r.side("unknown_command", Handlers.unknown_command)
    return r
