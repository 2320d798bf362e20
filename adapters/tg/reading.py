"""Reading Telegram updates one at a time, so one the library cannot read is skipped, not fatal.

PTB's `Bot.get_updates` parses a whole batch at once: one update it cannot read (a `poll`
without the `persistent_id` PTB 22.8 requires, as an older Bot API server sends) raises for
the whole batch, and its critical log line holds the raw batch, names and texts included.
So the batch is fetched as raw JSON and each update parsed on its own; one that does not
parse is logged by id and type only, and still confirmed.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update
from telegram.warnings import PTBUserWarning

__all__ = ["Fetched", "confirm_updates", "fetch_updates", "read_update", "update_id_of"]

log = logging.getLogger(__name__)

# `do_api_request("getUpdates")` is how PTB hands back the raw batch; its advice to call
# `get_updates` instead is exactly what this module must not do.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)

_READ_MARGIN_SECONDS = 5.0  # on top of the long poll, as PTB's own get_updates allows
_KIND = re.compile(r"[a-z_]{1,40}")


@dataclass(frozen=True, slots=True)
class Fetched:
    """One update of a batch: its id, and the update (None when it could not be read)."""

    update_id: int
    update: Update | None


async def fetch_updates(
    bot: Bot, *, offset: int | None, poll_seconds: float, allowed: list[str]
) -> list[Fetched]:
    """One getUpdates call; raises what PTB raises for the call, never for an update."""
    raw = await _get_updates(bot, offset=offset, poll_seconds=poll_seconds, allowed=allowed)
    fetched = []
    for data in raw if isinstance(raw, list) else ():
        update_id = update_id_of(data)
        if update_id is None:
            log.warning("skipped a Telegram update without an update id")
            continue
        fetched.append(Fetched(update_id, read_update(data, bot)))
    return fetched


async def confirm_updates(bot: Bot, offset: int, allowed: list[str]) -> None:
    """Tell Telegram everything before `offset` is handled (what follows is not read)."""
    await _get_updates(bot, offset=offset, poll_seconds=0, allowed=allowed, limit=1)


def update_id_of(data: object) -> int | None:
    """The update id of a raw update, or None when it is not an object with one."""
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    return update_id if isinstance(update_id, int) and not isinstance(update_id, bool) else None


def read_update(data: dict[str, Any], bot: Bot) -> Update | None:
    """PTB's Update for `data`, or None (logged by id and type only) when PTB cannot read it."""
    try:
        return Update.de_json(data, bot)
    except Exception as exc:  # noqa: BLE001 - any parse failure: skip this update, not the bot
        log.warning(
            "skipped Telegram update %s (%s): python-telegram-bot cannot read it (%s)",
            data.get("update_id"),
            _kind(data),
            type(exc).__name__,
        )
        return None


def _kind(data: dict[str, Any]) -> str:
    """The update's type ("message", "callback_query", ...): a key, never a value."""
    kind = next((key for key in data if key != "update_id"), "")
    return kind if isinstance(kind, str) and _KIND.fullmatch(kind) else "unknown type"


async def _get_updates(
    bot: Bot, *, offset: int | None, poll_seconds: float, allowed: list[str], limit: int = 100
) -> Any:
    kwargs: dict[str, Any] = {"timeout": poll_seconds, "limit": limit, "allowed_updates": allowed}
    if offset is not None:
        kwargs["offset"] = offset
    return await bot.do_api_request(
        "getUpdates", api_kwargs=kwargs, read_timeout=poll_seconds + _READ_MARGIN_SECONDS
    )
