"""Snowflakes, tokens and timestamps shaped like Discord's."""

from __future__ import annotations

import datetime as dt
import secrets
import time

DISCORD_EPOCH_MS = 1420070400000


class SnowflakeFactory:
    """Unique, increasing snowflakes whose embedded time is now (discord.py reads it)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        stamp = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(self._last + 1, stamp)
        return self._last


def iso_now() -> str:
    """The current UTC time as Discord writes it."""
    return dt.datetime.now(dt.UTC).isoformat()


def interaction_token() -> str:
    """A random, URL-safe interaction token (Discord's are long opaque strings)."""
    return "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)


def session_id() -> str:
    """A gateway session id."""
    return secrets.token_hex(16)
