"""The Telegram adapter: python-telegram-bot's `Application` in front of the engine.

`nemobot run` starts it when `TELEGRAM_BOT_TOKEN` is set. It long-polls by default, or
receives a webhook when `TELEGRAM_WEBHOOK_URL` is set, and answers through
`adapters.tg.outbox.TelegramOutbox`. `TELEGRAM_API_BASE_URL` points it at another Bot API
server (a self-hosted `telegram-bot-api`; with `TELEGRAM_LOCAL_MODE=1`, its `--local` mode).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Bot, CallbackQuery, PreCheckoutQuery, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder

from adapters.tg.commands import publish_commands
from adapters.tg.inline import InlineAnswers
from adapters.tg.intake import BotIdentity, chosen_of, message_of, payer_of, press_of
from adapters.tg.limits import DRAFT_REFRESH, PLATFORM_RATE
from adapters.tg.outbox import PLATFORM, TelegramOutbox
from adapters.tg.receiving import TOKEN_REFUSED, poll_updates, serve_webhook, webhook_secret
from bot.config import TelegramConfig
from bot.core import codec
from bot.core.engine import Engine
from bot.core.ports import AdapterFailed
from bot.core.registry import Registry
from bot.core.texts import chat_language, t

__all__ = ["TelegramAdapter"]

log = logging.getLogger(__name__)

_CONNECT_RETRY_SECONDS = 5.0
_MEDIA_TIMEOUT = 300.0


class TelegramAdapter:
    """One Telegram bot, run until told to stop."""

    platform = PLATFORM

    def __init__(self, config: TelegramConfig, *, draft_refresh: float = DRAFT_REFRESH) -> None:
        self._config = config
        self._token = config.token
        self._draft_refresh = draft_refresh  # tests shorten it, with the emulator's draft life

    def application(self) -> Application:  # type: ignore[type-arg]
        """The PTB application: its `Bot` and lifecycle (updates are received by us)."""
        builder = ApplicationBuilder().token(self._token).updater(None)
        root = self._config.api_base_url
        if root:
            builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
        if self._config.local_mode:
            builder = builder.local_mode(True)
        return builder.media_write_timeout(_MEDIA_TIMEOUT).build()

    async def run(self, engine: Engine, stop: asyncio.Event) -> None:
        """Connect, receive updates into `engine` until `stop`, then disconnect."""
        application = self.application()
        if not await self._initialize(application, stop):
            return
        bot = application.bot
        try:
            me = BotIdentity(bot.id, bot.username)
            outbox = TelegramOutbox(
                bot,
                local_mode=self._config.local_mode,
                draft_refresh=self._draft_refresh,
                inline_mode=bot.supports_inline_queries,
            )
            engine.connect(outbox, platform_rate=PLATFORM_RATE)
            if self._config.answer_only:
                # Answers only: updates are received by the ingress workers.
                log.info("Telegram: answering as @%s (role worker: not receiving)", bot.username)
                await stop.wait()
                return
            await self._menu(bot, engine.registry, outbox.inline_handle)
            intake = _Intake(bot, me, engine)
            try:
                await self._receive(bot, intake, stop, engine)
            finally:
                await intake.inline.close()
        finally:
            engine.disconnect(PLATFORM)
            await application.shutdown()

    async def _initialize(self, application: Application, stop: asyncio.Event) -> bool:  # type: ignore[type-arg]
        """getMe until it works; False if stopped first. A refused token is fatal."""
        warned = False
        while not stop.is_set():
            try:
                await application.initialize()
            except InvalidToken:
                raise AdapterFailed(TOKEN_REFUSED) from None
            except NetworkError as exc:
                if not warned:
                    log.warning("cannot reach the Telegram Bot API yet (%s); retrying", exc.message)
                warned = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), _CONNECT_RETRY_SECONDS)
                continue
            bot = application.bot
            mode = "webhook" if self._config.webhook_url else "polling"
            log.info("Telegram: connected as @%s (%s)", bot.username, mode)
            if not bot.can_read_all_group_messages:
                log.info(
                    "Telegram: privacy mode is on; in groups only mentions, replies and "
                    "commands reach the bot (which is all it answers)"
                )
            if not bot.supports_inline_queries:
                log.info(
                    "Telegram: inline mode is off; turn it on with @BotFather (/setinline, "
                    "and /setinlinefeedback so chosen results reach the bot)"
                )
            return True
        return False

    async def _menu(self, bot: Bot, registry: Registry, inline_handle: str | None) -> None:
        try:
            await publish_commands(bot, registry, inline_handle)
        except TelegramError as exc:
            log.warning("could not set the Telegram command menu: %s", exc.message)

    async def _receive(
        self, bot: Bot, intake: _Intake, stop: asyncio.Event, engine: Engine
    ) -> None:
        url = self._config.webhook_url
        if url:
            secret = webhook_secret(self._token, self._config.webhook_secret)
            listen = self._config.webhook_listen
            edge = engine.acceptance.at_edge
            await serve_webhook(
                bot, intake.accept, stop, url=url, secret=secret, listen=listen, edge=edge
            )
            return
        with contextlib.suppress(TelegramError):
            await bot.delete_webhook()  # getUpdates is refused while a webhook is set

        def receiving(up: bool) -> None:
            engine.platforms.set_receiving(PLATFORM, up)

        await poll_updates(bot, intake.accept, stop, receiving)


class _Intake:
    """Turns each update into a stored message (or nothing), answering button presses and
    (beside, never stored) inline queries.

    `accept` may run at the accepting edge (the webhook's own loop, `bot.core.acceptance`):
    there it only stores; every Bot API call it makes is handed to the serving loop, where
    the bot's HTTP client lives, and is not waited for.
    """

    def __init__(self, bot: Bot, me: BotIdentity, engine: Engine) -> None:
        self._bot = bot
        self._me = me
        self._engine = engine
        self.inline = InlineAnswers(bot, engine)
        self._calls: set[asyncio.Task[None]] = set()

    async def accept(self, update: Update) -> None:
        """Store the update's message; raises only when it could not be stored.

        A press whose data is not one of the bot's payloads (forged, or another bot's
        keyboard through a relay) gets a toast and starts nothing: never typed text. A
        pre-checkout query is answered at once (Telegram cancels the payment after 10 s).
        """
        if update.inline_query is not None:
            query_asked = update.inline_query
            self._engine.acceptance.to_serving(lambda: self.inline.take(query_asked))
            return
        checkout = update.pre_checkout_query
        if checkout is not None:
            self._call(lambda: self._precheck(update, checkout))
            return
        query = update.callback_query
        if query is not None and codec.decode(query.data or "") is None:
            toast = t("button_unknown", chat_language(query.from_user.language_code))
            self._call(lambda: self._answer(query, toast))
            log.info("refused a button press that is not ours (update %d)", update.update_id)
            return
        await self._store(update, query)

    async def _store(self, update: Update, query: CallbackQuery | None) -> None:
        try:
            incoming = press_of(update) or chosen_of(update) or message_of(update, self._me)
        except (ValueError, AttributeError, UnicodeError) as exc:
            log.warning("skipped an odd Telegram update %d: %s", update.update_id, exc)
            incoming = None
        toast: str | None = None
        try:
            if incoming is not None:
                toast = (await self._engine.submit(incoming)).toast
        finally:  # stored or not, the spinner stops (an unstored press comes again)
            if query is not None:  # answered where the presser looks, once it is stored
                self._call(lambda: self._answer(query, toast))

    def _call(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Make a Bot API call on the serving loop, without waiting for it."""

        def start() -> None:
            task = asyncio.create_task(work())
            self._calls.add(task)
            task.add_done_callback(self._calls.discard)

        self._engine.acceptance.to_serving(start)

    async def _precheck(self, update: Update, checkout: PreCheckoutQuery) -> None:
        payer = payer_of(update)
        assert payer is not None
        ok = await self._engine.precheck(
            payer, checkout.invoice_payload, checkout.currency, checkout.total_amount
        )
        why = None if ok else t("invoice_outdated", chat_language(payer.language))
        try:
            await checkout.answer(ok, error_message=why)
        except TelegramError as exc:
            log.warning("pre-checkout %s not answered: %s", update.update_id, exc.message)

    async def _answer(self, query: CallbackQuery, toast: str | None = None) -> None:
        try:
            await query.answer(toast)
        except TelegramError as exc:
            log.debug("button press not acknowledged: %s", exc.message)
