"""Which gateway shards this worker runs, and whether every one of them is connected.

Discord sends a guild's events to shard `(guild_id >> 22) % count` and DMs to shard 0;
`DISCORD_SHARD_IDS` splits the shards across workers. Unset, one worker runs one shard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import DiscordConfig

__all__ = ["ShardLinks", "ShardPlan"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """The shard count over all workers and the shards this worker connects."""

    count: int
    ids: tuple[int, ...]

    @classmethod
    def of(cls, config: DiscordConfig) -> ShardPlan:
        """From DISCORD_SHARD_COUNT / DISCORD_SHARD_IDS (validated by Settings)."""
        count = config.shard_count or 1
        return cls(count, config.shard_ids or tuple(range(count)))

    @property
    def syncs_commands(self) -> bool:
        """Whether this worker puts the slash commands: only shard 0's, so it happens once."""
        return 0 in self.ids

    def label(self, shard_id: int) -> str:
        """Like "shard 1/4": the id (as in DISCORD_SHARD_IDS) over the count."""
        return f"shard {shard_id}/{self.count}"


class ShardLinks:
    """Tracks this worker's shard connections; `report(True)` only while all are up."""

    def __init__(self, plan: ShardPlan, report: Callable[[bool], None]) -> None:
        self._plan = plan
        self._report = report
        self._up: set[int] = set()

    @property
    def all_up(self) -> bool:
        """Every shard of this worker is connected."""
        return self._up.issuperset(self._plan.ids)

    def connected(self, shard_id: int, *, resumed: bool = False) -> None:
        """A shard identified (READY and its guilds in) or resumed its session."""
        if not resumed:
            log.info("Discord: %s connected", self._plan.label(shard_id))
        self._up.add(shard_id)
        self._report(self.all_up)

    def disconnected(self, shard_id: int) -> None:
        """A shard lost its connection (discord.py reconnects it by itself)."""
        if shard_id in self._up:
            log.info("Discord: %s disconnected; reconnecting", self._plan.label(shard_id))
        self._up.discard(shard_id)
        self._report(False)
