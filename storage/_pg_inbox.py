"""The durable inbox on PostgreSQL, safe with several workers claiming at once."""

from __future__ import annotations

from collections.abc import Collection

import asyncpg

from ._pg_core import CHANNEL, PgCore
from ._rows import (
    FINISH_STATUSES,
    INBOX_COLUMNS,
    RATE_COUNTS,
    RATE_WINDOW_SECONDS,
    THROTTLED_KIND,
    check_lane,
    item_of,
)
from ._sqlite_util import lease_until
from .records import Enqueued, InboxItem

__all__ = ["PgInbox"]


async def _place(
    conn: asyncpg.Connection, item_id: int, user_id: int, status: str, lane: str
) -> int:
    if status != "queued" or lane != "line":
        return 0
    ahead: int = await conn.fetchval(
        "SELECT count(*) FROM inbox WHERE user_id = $1 AND status IN ('queued', 'running') "
        "AND lane = 'line' AND id < $2",
        user_id,
        item_id,
    )
    return ahead + 1


async def _waiting(conn: asyncpg.Connection, user_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM inbox WHERE user_id = $1 AND status = 'queued' AND lane = 'line'",
        user_id,
    )
    return count


async def _rate(conn: asyncpg.Connection, user_id: int, now: float) -> tuple[int, int]:
    """The user's messages and recorded refusals within the rate window before `now`."""
    row = await conn.fetchrow(
        f"SELECT {RATE_COUNTS} FROM inbox WHERE user_id = $1 AND created_at > $2",
        user_id,
        now - RATE_WINDOW_SECONDS,
    )
    assert row is not None
    return row[0], row[1]


class PgInbox(PgCore):
    """Inbox methods of the PostgreSQL store."""

    async def enqueue(
        self,
        platform: str,
        update_id: str,
        user_id: int,
        chat: str,
        kind: str,
        payload: str,
        *,
        lane: str = "line",
        group: str | None = None,
        limit: int | None = None,
        per_minute: int | None = None,
        owner: str | None = None,
        lease_seconds: float = 0.0,
    ) -> Enqueued:
        """Store a message once per (platform, update_id), announce it, return its place.

        Two workers given the same update (a webhook retried elsewhere) race on the unique
        key: one stores it, the other gets it back as a duplicate.
        """
        check_lane(lane, owner)
        now = self._now()
        status, expires = (
            ("queued", None) if owner is None else ("running", lease_until(now, lease_seconds))
        )

        async def work(conn: asyncpg.Connection) -> Enqueued:
            # Serialize this user's enqueues, so the queue limit holds across workers.
            await conn.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", user_id)
            seen = await conn.fetchrow(
                "SELECT id, user_id, status, lane FROM inbox "
                "WHERE platform = $1 AND update_id = $2",
                platform,
                update_id,
            )
            if seen is not None:
                place = await _place(
                    conn, seen["id"], seen["user_id"], seen["status"], seen["lane"]
                )
                return Enqueued(item_id=seen["id"], position=place, duplicate=True)
            if per_minute is not None:
                sent, refusals = await _rate(conn, user_id, now)
                if sent >= per_minute:
                    await conn.execute(
                        "INSERT INTO inbox (platform, update_id, user_id, chat, kind, payload, "
                        "created_at, finished_at, lane, status) "
                        "VALUES ($1, $2, $3, $4, $5, '', $6, $6, 'side', 'cancelled')",
                        *(platform, update_id, user_id, chat, THROTTLED_KIND, now),
                    )
                    first = refusals == 0
                    return Enqueued(0, 0, duplicate=False, throttled=True, first_refusal=first)
            if limit is not None and lane == "line" and await _waiting(conn, user_id) >= limit:
                return Enqueued(item_id=0, position=0, duplicate=False, refused=True)
            new_id = await conn.fetchval(
                "INSERT INTO inbox (platform, update_id, user_id, chat, kind, payload, "
                "created_at, lane, group_key, status, owner, lease_expires) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                "ON CONFLICT (platform, update_id) DO NOTHING RETURNING id",
                platform,
                update_id,
                user_id,
                chat,
                kind,
                payload,
                now,
                lane,
                group,
                status,
                owner,
                expires,
            )
            if new_id is None:  # another worker stored it a moment ago
                other = await conn.fetchrow(
                    "SELECT id FROM inbox WHERE platform = $1 AND update_id = $2",
                    platform,
                    update_id,
                )
                assert other is not None
                return Enqueued(item_id=other["id"], position=0, duplicate=True)
            note = f"line:{platform}:{user_id}" if lane == "line" else f"side:{platform}:{new_id}"
            if owner is None:
                await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, note)  # sent on commit
            place = await _place(conn, new_id, user_id, status, lane)
            return Enqueued(item_id=new_id, position=place, duplicate=False)

        return await self._tx(work)

    async def get_item(self, item_id: int) -> InboxItem | None:
        """One inbox item by id."""
        rows = await self._fetch(f"SELECT {INBOX_COLUMNS} FROM inbox WHERE id = $1", item_id)
        return item_of(rows[0]) if rows else None

    async def claim_next(self, user_id: int, owner: str, lease_seconds: float) -> InboxItem | None:
        """Lease the user's oldest queued line item, unless one of theirs is running.

        The user's row is locked with SKIP LOCKED: while another worker is claiming for the
        same user this one steps aside at once (that worker will run the line).
        """
        now = self._now()
        expires = lease_until(now, lease_seconds)

        async def work(conn: asyncpg.Connection) -> InboxItem | None:
            mine = await conn.fetchval(
                "SELECT id FROM users WHERE id = $1 FOR UPDATE SKIP LOCKED", user_id
            )
            if mine is None:
                return None
            live = await conn.fetchval(
                "SELECT 1 FROM inbox WHERE user_id = $1 AND status = 'running' AND lane = 'line' "
                "AND lease_expires > $2 LIMIT 1",
                user_id,
                now,
            )
            if live is not None:
                return None
            await conn.execute(
                "UPDATE inbox SET status = 'queued', owner = NULL, lease_expires = NULL "
                "WHERE user_id = $1 AND status = 'running' AND NOT reached_agent "
                "AND (lease_expires IS NULL OR lease_expires <= $2)",
                user_id,
                now,
            )
            row = await conn.fetchrow(
                f"UPDATE inbox SET status = 'running', owner = $2, lease_expires = $3 "
                f"WHERE status = 'queued' AND id = (SELECT id FROM inbox WHERE user_id = $1 "
                f"AND status = 'queued' AND lane = 'line' ORDER BY id LIMIT 1) "
                f"RETURNING {INBOX_COLUMNS}",
                user_id,
                owner,
                expires,
            )
            return item_of(row) if row is not None else None

        return await self._tx(work)

    async def claim_item(self, item_id: int, owner: str, lease_seconds: float) -> InboxItem | None:
        """Lease one queued side-lane item to `owner`; None if it is not (or no longer) queued."""
        expires = lease_until(self._now(), lease_seconds)
        rows = await self._fetch(
            f"UPDATE inbox SET status = 'running', owner = $2, lease_expires = $3 "
            f"WHERE id = $1 AND status = 'queued' AND lane = 'side' RETURNING {INBOX_COLUMNS}",
            item_id,
            owner,
            expires,
        )
        return item_of(rows[0]) if rows else None

    async def absorb_group(self, item_id: int, user_id: int, group: str) -> list[InboxItem]:
        """Fold the user's other queued messages of `group` into running item `item_id`."""
        rows = await self._fetch(
            f"UPDATE inbox SET status = 'done', finished_at = $4 WHERE id IN ("
            "SELECT id FROM inbox WHERE user_id = $1 AND group_key = $2 AND status = 'queued' "
            f"AND lane = 'line' AND id != $3 FOR UPDATE) RETURNING {INBOX_COLUMNS}",
            user_id,
            group,
            item_id,
            self._now(),
        )
        return sorted((item_of(row) for row in rows), key=lambda item: item.id)

    async def renew_lease(self, item_id: int, owner: str, lease_seconds: float) -> bool:
        """Extend `owner`'s lease on a running item; False if it is no longer theirs."""
        return await self._change_one(
            "UPDATE inbox SET lease_expires = $1 WHERE id = $2 AND owner = $3 "
            "AND status = 'running'",
            lease_until(self._now(), lease_seconds),
            item_id,
            owner,
        )

    async def release_item(self, item_id: int, owner: str) -> bool:
        """Give up `owner`'s lease: queued again if it never reached the agent."""
        return await self._change_one(
            "UPDATE inbox SET owner = NULL, lease_expires = NULL, "
            "status = CASE WHEN NOT reached_agent THEN 'queued' ELSE status END "
            "WHERE id = $1 AND owner = $2 AND status = 'running'",
            item_id,
            owner,
        )

    async def mark_reached_agent(self, item_id: int, *, owner: str | None = None) -> bool:
        """Record, before calling the agent, that this turn may have been charged."""
        return await self._change_one(
            "UPDATE inbox SET reached_agent = TRUE WHERE id = $1 AND status = 'running' "
            "AND ($2::text IS NULL OR owner = $2)",
            item_id,
            owner,
        )

    async def finish(self, item_id: int, status: str, *, owner: str | None = None) -> bool:
        """End a running item as done, failed, interrupted or cancelled; False if not running."""
        if status not in FINISH_STATUSES:
            raise ValueError(f"cannot finish an inbox item as {status!r}")
        return await self._change_one(
            "UPDATE inbox SET status = $1, finished_at = $2, lease_expires = NULL "
            "WHERE id = $3 AND status = 'running' AND ($4::text IS NULL OR owner = $4)",
            status,
            self._now(),
            item_id,
            owner,
        )

    async def cancel_queued(self, user_id: int) -> int:
        """Mark all the user's queued line items cancelled; return how many."""
        return await self._execute(
            "UPDATE inbox SET status = 'cancelled', finished_at = $1 "
            "WHERE user_id = $2 AND status = 'queued' AND lane = 'line'",
            self._now(),
            user_id,
        )

    async def running_item(self, user_id: int) -> InboxItem | None:
        """The user's running line item (one with a live lease first), or None."""
        rows = await self._fetch(
            f"SELECT {INBOX_COLUMNS} FROM inbox WHERE user_id = $1 AND status = 'running' "
            "AND lane = 'line' ORDER BY coalesce(lease_expires > $2, FALSE) DESC, id DESC "
            "LIMIT 1",
            user_id,
            self._now(),
        )
        return item_of(rows[0]) if rows else None

    async def queued_count(self, user_id: int) -> int:
        """How many of the user's items wait in line."""
        async with self._connection() as conn:
            return await _waiting(conn, user_id)

    async def users_with_work(self, platforms: Collection[str]) -> list[int]:
        """Users of `platforms` with queued or expired running line items, longest waiting first."""
        if not platforms:
            return []
        rows = await self._fetch(
            "SELECT inbox.user_id FROM inbox JOIN users ON users.id = inbox.user_id "
            "WHERE inbox.lane = 'line' AND users.platform = ANY($1::text[]) AND "
            "(inbox.status = 'queued' OR (inbox.status = 'running' AND "
            "(inbox.lease_expires IS NULL OR inbox.lease_expires <= $2))) "
            "GROUP BY inbox.user_id ORDER BY min(inbox.id)",
            list(platforms),
            self._now(),
        )
        return [row["user_id"] for row in rows]

    async def side_items(self, platforms: Collection[str]) -> list[int]:
        """Queued side-lane items of `platforms`, oldest first."""
        if not platforms:
            return []
        rows = await self._fetch(
            "SELECT id FROM inbox WHERE lane = 'side' AND status = 'queued' "
            "AND platform = ANY($1::text[]) ORDER BY id",
            list(platforms),
        )
        return [row["id"] for row in rows]

    async def recover(self, owner: str, lease_seconds: float) -> list[InboxItem]:
        """Take back expired running items: requeue the unsent, interrupt and return the rest.

        Rows another worker is recovering at the same moment are skipped (SKIP LOCKED), so
        each interrupted turn is reported by exactly one worker.
        """
        now = self._now()
        expires = lease_until(now, lease_seconds)
        expired = "status = 'running' AND (lease_expires IS NULL OR lease_expires <= $1)"

        async def work(conn: asyncpg.Connection) -> list[InboxItem]:
            await conn.execute(
                "UPDATE inbox SET status = 'queued', owner = NULL, lease_expires = NULL "
                f"WHERE id IN (SELECT id FROM inbox WHERE {expired} AND NOT reached_agent "
                "FOR UPDATE SKIP LOCKED)",
                now,
            )
            rows = await conn.fetch(
                f"UPDATE inbox SET status = 'interrupted', finished_at = $1, owner = $2, "
                f"lease_expires = $3 WHERE id IN (SELECT id FROM inbox WHERE {expired} "
                f"AND reached_agent FOR UPDATE SKIP LOCKED) RETURNING {INBOX_COLUMNS}",
                now,
                owner,
                expires,
            )
            return sorted((item_of(row) for row in rows), key=lambda item: item.id)

        return await self._tx(work)

    async def prune_inbox(self, older_than: float) -> int:
        """Delete items finished before `older_than`; newer ones keep their dedupe key."""
        return await self._execute(
            "DELETE FROM inbox WHERE status IN ('done', 'failed', 'cancelled', 'interrupted') "
            "AND finished_at < $1",
            older_than,
        )

    async def forget_texts(self, finished_before: float) -> int:
        """Erase the text of messages answered before `finished_before` (they keep their key)."""
        return await self._execute(
            "UPDATE inbox SET payload = jsonb_set(nemobot_jsonb_or_null(payload), '{text}', "
            "'\"\"')::text WHERE status IN ('done', 'failed', 'cancelled', 'interrupted') "
            "AND finished_at < $1 "
            "AND jsonb_typeof(nemobot_jsonb_or_null(payload)) = 'object' "
            "AND coalesce(nemobot_jsonb_or_null(payload) ->> 'text', '') != ''",
            finished_before,
        )
