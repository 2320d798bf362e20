"""Discord's limits, per chat: 2,000 characters, 5 sends per 5 s per channel, the guild's files."""

from __future__ import annotations

from bot.core.messages import ChatRef
from bot.core.outbox import Limits, Rate

__all__ = ["DEFAULT_UPLOAD", "MENTION_ROOM", "PLATFORM_RATE", "limits_for"]

DEFAULT_UPLOAD = 10 * 1024 * 1024  # a guild without boosts, and DMs
MENTION_ROOM = 30  # "<@snowflake> " in front of answers that outlived their interaction
PLATFORM_RATE = Rate(50, 1.0)  # Discord's global limit per bot
_CHANNEL = (Rate(5, 5.0),)


def limits_for(chat: ChatRef, upload_limit: int) -> Limits:
    """What a Discord channel (or an interaction in it) allows."""
    room = MENTION_ROOM if chat.interaction else 0
    return Limits(
        max_text=2000 - room,
        max_caption=2000 - room,
        max_upload=upload_limit,
        max_download=None,
        rates=_CHANNEL,
        live="edit",
        edit_interval=1.0,
        typing_refresh=8.0,  # the indicator lasts 10 s
        notify_after=20.0,
        max_images=10,
        album_buttons=True,
    )
