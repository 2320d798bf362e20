"""Snowflakes, tokens and timestamps shaped like Discord's."""

from __future__ import annotations

import datetime as dt
import secrets
import time

DISCORD_EPOCH_MS = 1420070400000
_TIME_SHIFT = 22  # a snowflake's milliseconds sit above 22 bits of worker, process, counter


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a guild's events: `(guild_id >> 22) % shard_count`."""
    return (guild_id >> _TIME_SHIFT) % shard_count


class SnowflakeFactory:
    """Unique, increasing snowflakes whose embedded time is now (discord.py reads it)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        stamp = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << _TIME_SHIFT
        self._last = max(self._last + 1, stamp)
        return self._last

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """A new snowflake that, as a guild id, lands on `shard_id` of `shard_count`."""
        if not 0 <= shard_id < shard_count:
            raise ValueError(f"shard {shard_id} is not one of {shard_count}")
        low = self.next()
        ms = low >> _TIME_SHIFT
        # Move the time forward (by under shard_count ms) to the wanted residue.
        self._last = ((ms + (shard_id - ms) % shard_count) << _TIME_SHIFT) | (
            low & ((1 << _TIME_SHIFT) - 1)
        )
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
