"""Telegram's limits, per chat: what the cloud Bot API (or a local server) allows."""

from __future__ import annotations

from bot.core.messages import ChatRef
from bot.core.outbox import Limits, Rate

__all__ = ["DRAFT_REFRESH", "PLATFORM_RATE", "limits_for"]

_MB = 1024 * 1024
# Bots should send at most about 30 messages a second overall, one a second per chat and
# 20 a minute per group (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits).
PLATFORM_RATE = Rate(30, 1.0)
_PRIVATE = (Rate(1, 1.0),)
_GROUP = (Rate(1, 1.0), Rate(20, 60.0))
# A sendMessageDraft preview lasts about 30 s unless sent again (Bot API docs): well before.
DRAFT_REFRESH = 20.0
_INLINE = Limits(
    max_text=1024,  # the message may be a photo by then: its caption's limit
    max_caption=1024,
    max_upload=0,  # an inline message takes no uploads
    rates=_PRIVATE,
    live="edit",
    notify_after=float("inf"),  # nothing can be added after it: always edited in place
    max_images=1,
)


def limits_for(chat: ChatRef, *, local_mode: bool, draft_refresh: float = DRAFT_REFRESH) -> Limits:
    """Private chats stream drafts; groups edit a live reply; a local server lifts file limits;
    an inline message is edited in place, one message (its text may become a caption)."""
    if chat.inline is not None:
        return _INLINE
    return Limits(
        max_text=4096,
        max_caption=1024,
        max_upload=(2000 if local_mode else 50) * _MB,
        max_download=None if local_mode else 20 * _MB,
        rates=_PRIVATE if chat.private else _GROUP,
        live="draft" if chat.private else "edit",
        edit_interval=1.0,
        draft_refresh=draft_refresh,
        typing_refresh=4.5,  # the indicator lapses after 5 s
        notify_after=20.0,
        max_images=10,
        album_buttons=False,  # an album cannot carry an inline keyboard
        download_hint=not local_mode,
    )
