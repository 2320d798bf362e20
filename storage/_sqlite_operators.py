"""What operators need from SQLite: access rules, figures, and pruning old renders and images."""

from __future__ import annotations

import sqlite3

from ._rows import rule_of, sql_list
from ._sqlite_core import SqliteCore
from ._sqlite_util import one
from .lifecycle import ITEM_ACTIVE, RENDER_FINAL
from .records import ACCESS_RULES, AccessRule, StoreStats

__all__ = ["SqliteOperators"]


class SqliteOperators(SqliteCore):
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
                "INSERT INTO access_rules (who, rule, set_by, set_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (who, rule) DO NOTHING",
                (who, rule, set_by, self._now()),
            )
        return await self._change_one(
            "DELETE FROM access_rules WHERE who = ? AND rule = ?", (who, rule)
        )

    async def stats(self, since: float) -> StoreStats:
        """Counts for operators; `turns_since` counts messages that reached the agent."""

        def work(conn: sqlite3.Connection) -> StoreStats:
            def count(sql: str, params: tuple[object, ...] = ()) -> int:
                row = one(conn, sql, params)
                return int(row[0]) if row is not None else 0

            inbox = one(
                conn,
                "SELECT count(*) AS total, "
                "coalesce(sum(status = 'queued'), 0) AS queued, "
                f"coalesce(sum(status IN {sql_list(ITEM_ACTIVE)}), 0) AS running FROM inbox",
                (),
            )
            assert inbox is not None
            renders = {
                str(row["status"]): int(row["n"])
                for row in conn.execute(
                    "SELECT status, count(*) AS n FROM renders GROUP BY status"
                ).fetchall()
            }
            return StoreStats(
                users=count("SELECT count(*) FROM users"),
                turns_since=count(
                    "SELECT count(*) FROM inbox WHERE reached_agent = 1 AND created_at >= ?",
                    (since,),
                ),
                renders=renders,
                queued=int(inbox["queued"]),
                running=int(inbox["running"]),
                inbox_rows=int(inbox["total"]),
                banned=count("SELECT count(*) FROM access_rules WHERE rule = 'ban'"),
                allowed=count("SELECT count(*) FROM access_rules WHERE rule = 'allow'"),
            )

        return await self._read(work)

    async def ping(self) -> None:
        """Raise unless the database answers a query."""
        await self._fetch("SELECT 1")

    async def prune_renders(self, older_than: float) -> int:
        """Delete finished render jobs from before `older_than`, and old images of past projects.

        Images of a user's current project stay whatever their age: they are what keeps
        them from being posted twice.
        """

        def work(conn: sqlite3.Connection) -> int:
            deleted = conn.execute(
                f"DELETE FROM renders WHERE status IN {sql_list(RENDER_FINAL)} "
                "AND coalesce(finished_at, created_at) < ?",
                (older_than,),
            ).rowcount
            conn.execute(
                "DELETE FROM images WHERE created_at < ? "
                "AND session_id NOT IN (SELECT session_id FROM sessions)",
                (older_than,),
            )
            return int(deleted)

        return await self._write(work)
