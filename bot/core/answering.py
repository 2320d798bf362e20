"""The one place where what went wrong while working for someone becomes their line and ours.

`answering(...)` wraps a piece of work done for one user in one chat (a turn, a command, a
render being followed): a backend or token problem becomes one friendly line in the chat
(`bot.core.failures.describe`) and one log line; a platform that refused the answer is only
logged (there is nowhere left to say it); a bug is logged by type and told as "something
went wrong". Cancellation always passes through. aiogram's `router.errors` is the model.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.core.accounts import Account, TokenUnavailable
from bot.core.failures import describe
from bot.core.messages import ChatRef
from bot.core.outbox import OutboxError
from bot.core.pacing import Pacer
from bot.core.texts import t
from bot.nemo.errors import NemoError

__all__ = ["answering"]

log = logging.getLogger(__name__)

AccountLookup = Callable[[], Awaitable[Account | None]]


@asynccontextmanager
async def answering(
    pacer: Pacer,
    chat: ChatRef,
    lang: str,
    what: str,
    *,
    web_base: str = "",
    account: AccountLookup | None = None,
) -> AsyncIterator[None]:
    """Run the block; turn whatever it raises (but cancellation) into the user's line.

    `what` names the work in the log ("request of user u-…", "render r_…"); `account` finds
    the user's account, for the link a credits problem needs.
    """
    try:
        yield
    except asyncio.CancelledError:
        raise
    except TokenUnavailable as exc:
        await _say(pacer, chat, describe(exc, lang))
    except NemoError as exc:
        log.warning("%s failed: %r", what, exc)
        found = await _account(account)
        await _say(pacer, chat, describe(exc, lang, found, web_base))
    except OutboxError as exc:
        log.warning("%s: could not answer: %s", what, exc)
    except Exception as exc:  # noqa: BLE001 - the one place a bug must not kill the bot
        log.error("unexpected %s in %s: %s", type(exc).__name__, what, exc)
        await _say(pacer, chat, t("err_internal", lang))


async def _account(lookup: AccountLookup | None) -> Account | None:
    if lookup is None:
        return None
    try:
        return await lookup()
    except (NemoError, TokenUnavailable):
        return None


async def _say(pacer: Pacer, chat: ChatRef, text: str) -> None:
    try:
        await pacer.send_text(chat, text)
    except OutboxError as exc:
        log.warning("could not answer in a chat: %s", exc)
