"""Getting updates into the engine: long polling or a webhook, each update stored once.

Both paths confirm an update to Telegram only after `accept` has stored it: polling moves
its offset past an update once it is in the inbox, the webhook answers 200 only then. So a
crash never loses an update, and a redelivered one is dropped by the inbox's dedupe.
(PTB's own Updater confirms a batch as soon as it has fetched it, which is why it is not
used.) An update the library cannot read is skipped and confirmed on both paths
(`adapters.tg.reading`): nothing a Bot API server sends can stop the bot.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict, EndPointNotFound, InvalidToken, NetworkError, TelegramError

from adapters.tg.reading import (
    Fetched,
    confirm_updates,
    fetch_updates,
    read_update,
    update_id_of,
)
from bot.core.ports import AdapterFailed

__all__ = ["ALLOWED_UPDATES", "SECRET_HEADER", "poll_updates", "serve_webhook", "webhook_secret"]

log = logging.getLogger(__name__)
T = TypeVar("T")

Accept = Callable[[Update], Awaitable[None]]
Edge = Callable[[Coroutine[Any, Any, None]], Awaitable[None]]
# A payment's message comes as a "message"; its pre-checkout must be answered within 10 s.
ALLOWED_UPDATES = [
    "message",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "pre_checkout_query",
]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_SECONDS = 30
_RETRY_SECONDS = 5.0
CONFLICT = (
    "another process is polling Telegram with this TELEGRAM_BOT_TOKEN (409 Conflict). Stop it, "
    "or run every worker in webhook mode (TELEGRAM_WEBHOOK_URL)."
)
TOKEN_REFUSED = "Telegram refused TELEGRAM_BOT_TOKEN; check it with @BotFather."


def webhook_secret(token: str, configured: str | None) -> str:
    """The secret Telegram sends with each webhook call: configured, or derived from the token.

    Derived, every worker of one bot computes the same value without sharing a setting.
    """
    if configured:
        return configured
    return hashlib.sha256(f"nemobot-webhook:{token}".encode()).hexdigest()


async def _here(work: Coroutine[Any, Any, None]) -> None:
    await work


async def _unless_stopped(work: Coroutine[Any, Any, T], stop: asyncio.Event) -> T | None:
    """`work`'s result, or None if `stop` is set first (then `work` is cancelled)."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return None
    return task.result()


async def poll_updates(
    bot: Bot, accept: Accept, stop: asyncio.Event, receiving: Callable[[bool], None]
) -> None:
    """Long-poll until `stop`; an update's offset is confirmed only after it is stored.

    `receiving(False)` is called when Telegram cannot be reached, `receiving(True)` when it
    answers again (what `/healthz` reports).
    """
    offset: int | None = None
    outage = False
    while not stop.is_set():
        try:
            fetched = await _fetch(bot, offset, outage, stop)
        except NetworkError as exc:
            if not outage:
                log.warning("cannot reach the Telegram Bot API (%s); retrying", exc.message)
                receiving(False)
            outage = True
            await _unless_stopped(asyncio.sleep(_RETRY_SECONDS), stop)
            continue
        if fetched is None:
            break
        if outage:
            log.info("the Telegram Bot API is reachable again")
            receiving(True)
        outage = False
        offset = await _accept_all(fetched, accept, offset, stop)
    await _confirm(bot, offset)


async def _fetch(
    bot: Bot, offset: int | None, outage: bool, stop: asyncio.Event
) -> list[Fetched] | None:
    """One long poll (None: stopped first); a refused token or a second poller ends the adapter."""
    poll = fetch_updates(
        bot,
        offset=offset,
        # After an outage, a short poll: it tells at once that Telegram is back.
        poll_seconds=0 if outage else POLL_SECONDS,
        allowed=ALLOWED_UPDATES,
    )
    try:
        return await _unless_stopped(poll, stop)
    except Conflict:
        raise AdapterFailed(CONFLICT) from None
    except (InvalidToken, EndPointNotFound):  # do_api_request's word for a refused token
        raise AdapterFailed(TOKEN_REFUSED) from None


async def _accept_all(
    batch: list[Fetched], accept: Accept, offset: int | None, stop: asyncio.Event
) -> int | None:
    """Store each readable update in order; the offset moves past each stored or unreadable one."""
    for item in batch:
        if item.update is not None:
            try:
                await accept(item.update)
            except Exception as exc:  # noqa: BLE001 - not stored: keep it unconfirmed, retry later
                log.error("could not store Telegram update %d (%s); retrying", item.update_id, exc)
                await _unless_stopped(asyncio.sleep(_RETRY_SECONDS), stop)
                return offset
        offset = item.update_id + 1
    return offset


async def _confirm(bot: Bot, offset: int | None) -> None:
    """Tell Telegram what was stored, so a restart does not fetch it again (best effort)."""
    if offset is None:
        return
    try:
        await confirm_updates(bot, offset, ALLOWED_UPDATES)
    except TelegramError as exc:
        log.debug("could not confirm the last updates: %s", exc)


async def serve_webhook(
    bot: Bot,
    accept: Accept,
    stop: asyncio.Event,
    *,
    url: str,
    secret: str,
    listen: tuple[str, int],
    edge: Edge = _here,
) -> None:
    """Receive updates on `listen` until `stop`; 200 only after an update is stored.

    The web server runs where `edge` runs it: on the accepting loop, so that answering
    Telegram never waits for the serving loop (`bot.core.acceptance`).
    """
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.router.add_post(urlsplit(url).path or "/", _webhook_handler(bot, accept, secret))
    runner = web.AppRunner(app, access_log=None)
    await edge(runner.setup())
    try:
        await edge(_listen(runner, listen))
        try:
            await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
        except TelegramError as exc:
            raise AdapterFailed(f"Telegram refused the webhook {url}: {exc.message}") from None
        log.info("Telegram: receiving updates at %s", url)
        await stop.wait()
    finally:
        await edge(runner.cleanup())


def _webhook_handler(
    bot: Bot, accept: Accept, secret: str
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The webhook's one route: check the secret, read the update, answer once it is stored."""

    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return web.Response(status=401)
        try:
            data = await request.json()
        except ValueError:  # not JSON (or not UTF-8)
            return web.Response(status=400)
        if update_id_of(data) is None:  # JSON, but not an update: a list, a number, null...
            return web.Response(status=400)
        update = read_update(data, bot)
        if update is None:  # an update PTB cannot read: skipped, and 200 so it is not resent
            return web.Response(status=200)
        try:
            await accept(update)
        except Exception as exc:  # noqa: BLE001 - not stored: Telegram will deliver it again
            log.error("could not store Telegram update %d (%s)", update.update_id, exc)
            return web.Response(status=500)
        return web.Response(status=200)

    return receive


async def _listen(runner: web.AppRunner, listen: tuple[str, int]) -> None:
    try:
        await web.TCPSite(runner, *listen).start()
    except OSError as exc:
        raise AdapterFailed(f"cannot listen on {listen[0]}:{listen[1]} ({exc.strerror})") from None
