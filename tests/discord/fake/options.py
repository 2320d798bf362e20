"""Knobs of the fake Discord."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass
class FakeDiscordOptions:
    """How the fake Discord behaves; the defaults are Discord's own numbers."""

    token: str = "MTAxMDEwMTAxMDEwMTAxMDEw.GfakeX.fake-token-for-tests-only-0123456789abcd"
    application_id: int = 1010101010101010101
    bot_name: str = "nemobot"
    # False: an IDENTIFY asking for MESSAGE_CONTENT (1 << 15) is closed with 4014.
    message_content_intent_enabled: bool = True
    interaction_ack_seconds: float = 3.0
    interaction_token_seconds: float = 900.0
    # Per-request attachment total for unboosted (tier 0/1) guilds and DMs.
    default_filesize_limit: int = 10 * MiB
    # (count, seconds): message creates/edits allowed per channel per window; None = unlimited.
    rate_limit_per_channel: tuple[int, float] | None = None
    # retry_after reported by those 429s; the channel's window re-opens after exactly this long.
    retry_after: float = 0.3
    heartbeat_interval_ms: int = 41250
    # The shard count GET /gateway/bot recommends.
    shards: int = 1
