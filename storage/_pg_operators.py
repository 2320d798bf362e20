"""What operators need from PostgreSQL: access rules, figures, pruning old renders and images."""

from __future__ import annotations

import asyncpg

from ._pg_core import PgCore
from ._rows import rule_of, sql_list
from .lifecycle import ITEM_ACTIVE, RENDER_FINAL
from .records import ACCESS_RULES, AccessRule, StoreStats

__all__ = ["PgOperators"]


class PgOperators(PgCore):
    """Access rules set by operators, the figures of `/stats`, pruning of old jobs."""

    async def access_rules(self) -> list[AccessRule]:
        """Every ban and allow rule, oldest first."""
        rows = await self._fetch("SELECT * FROM access_rules ORDER BY set_at, who")
        return [rule_of(row) for row in rows]

    async def set_access(self, who: str, rule: str, on: bool, *, set_by: str = "") -> bool:
        """Add (`on`) or remove one rule; True if that changed anything."""
        if rule not in ACCESS_RULES:
            raise ValueError(f"unknown access rule {rule!r}")
        if on:
            return await self._change_one(
                "INSERT INTO access_rules (who, rule, set_by, set_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (who, rule) DO NOTHING",
                who,
                rule,
                set_by,
                self._now(),
            )
        return await self._change_one(
            "DELETE FROM access_rules WHERE who = $1 AND rule = $2", who, rule
        )

    async def stats(self, since: float) -> StoreStats:
        """Counts for operators; `turns_since` counts messages that reached the agent."""

        async def work(conn: asyncpg.Connection) -> StoreStats:
            inbox = await conn.fetchrow(
                "SELECT count(*) AS total, count(*) FILTER (WHERE status = 'queued') AS queued, "
                f"count(*) FILTER (WHERE status IN {sql_list(ITEM_ACTIVE)}) AS running, "
                "count(*) FILTER (WHERE reached_agent AND created_at >= $1) AS turns FROM inbox",
                since,
            )
            rules = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE rule = 'ban') AS banned, "
                "count(*) FILTER (WHERE rule = 'allow') AS allowed FROM access_rules"
            )
            renders = await conn.fetch("SELECT status, count(*) AS n FROM renders GROUP BY status")
            users = await conn.fetchval("SELECT count(*) FROM users")
            assert inbox is not None and rules is not None
            return StoreStats(
                users=int(users),
                turns_since=int(inbox["turns"]),
                renders={str(row["status"]): int(row["n"]) for row in renders},
                queued=int(inbox["queued"]),
                running=int(inbox["running"]),
                inbox_rows=int(inbox["total"]),
                banned=int(rules["banned"]),
                allowed=int(rules["allowed"]),
            )

        return await self._tx(work)

    async def ping(self) -> None:
        """Raise unless the database answers a query."""
        await self._fetch("SELECT 1")

    async def prune_renders(self, older_than: float) -> int:
        """Delete finished render jobs from before `older_than`, and old images of past projects.

        Images of a user's current project stay whatever their age: they are what keeps them
        from being posted twice.
        """

        async def work(conn: asyncpg.Connection) -> int:
            deleted = await conn.fetch(
                f"DELETE FROM renders WHERE status IN {sql_list(RENDER_FINAL)} "
                "AND coalesce(finished_at, created_at) < $1 RETURNING render_id",
                older_than,
            )
            await conn.execute(
                "DELETE FROM images WHERE created_at < $1 "
                "AND session_id NOT IN (SELECT session_id FROM sessions)",
                older_than,
            )
            return len(deleted)

        return await self._tx(work)
