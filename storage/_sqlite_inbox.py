"""The durable inbox of accepted chat messages, on SQLite."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

import aiosqlite

from ._sqlite_core import SqliteCore
from ._sqlite_util import execute, fetch_all, fetch_one, lease_until
from .records import Enqueued, InboxItem

__all__ = ["SqliteInbox"]

_COLUMNS = (
    "id, platform, update_id, user_id, chat, kind, payload, status, reached_agent, "
    "created_at, owner, lease_expires, lane, group_key"
)
_LANES = frozenset({"line", "side"})
_EXPIRED = "(lease_expires IS NULL OR lease_expires <= ?)"
_FINISH_STATUSES = frozenset({"done", "failed", "interrupted", "cancelled"})


def _item(row: aiosqlite.Row) -> InboxItem:
    return InboxItem(
        id=row["id"],
        platform=row["platform"],
        update_id=row["update_id"],
        user_id=row["user_id"],
        chat=row["chat"],
        kind=row["kind"],
        payload=row["payload"],
        status=row["status"],
        reached_agent=bool(row["reached_agent"]),
        created_at=row["created_at"],
        owner=row["owner"],
        lease_expires=row["lease_expires"],
        lane=row["lane"],
        group_key=row["group_key"],
    )


async def _place(
    db: aiosqlite.Connection, item_id: int, user_id: int, status: str, lane: str
) -> int:
    if status != "queued" or lane != "line":
        return 0
    row = await fetch_one(
        db,
        "SELECT COUNT(*) FROM inbox WHERE user_id = ? AND status IN ('queued', 'running') "
        "AND lane = 'line' AND id < ?",
        (user_id, item_id),
    )
    return (row[0] if row is not None else 0) + 1


async def _waiting(db: aiosqlite.Connection, user_id: int) -> int:
    row = await fetch_one(
        db,
        "SELECT COUNT(*) FROM inbox WHERE user_id = ? AND status = 'queued' AND lane = 'line'",
        (user_id,),
    )
    return int(row[0]) if row is not None else 0


class SqliteInbox(SqliteCore):
    """Inbox methods of the SQLite store."""

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
    ) -> Enqueued:
        """Store a message once per (platform, update_id) and return its place in line.

        With `limit`, a line message is refused (not stored) while the user already has that
        many waiting. Side-lane messages have no place in line (position 0).
        """
        if lane not in _LANES:
            raise ValueError(f"unknown lane {lane!r}")
        async with self._tx() as db:
            seen = await fetch_one(
                db,
                "SELECT id, user_id, status, lane FROM inbox WHERE platform = ? AND update_id = ?",
                (platform, update_id),
            )
            if seen is not None:
                position = await _place(
                    db, seen["id"], seen["user_id"], seen["status"], seen["lane"]
                )
                return Enqueued(item_id=seen["id"], position=position, duplicate=True)
            if limit is not None and lane == "line" and await _waiting(db, user_id) >= limit:
                return Enqueued(item_id=0, position=0, duplicate=False, refused=True)
            async with db.execute(
                "INSERT INTO inbox (platform, update_id, user_id, chat, kind, payload, created_at,"
                " lane, group_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (platform, update_id, user_id, chat, kind, payload, self._now(), lane, group),
            ) as cursor:
                new_id = cursor.lastrowid
            assert new_id is not None
            position = await _place(db, new_id, user_id, "queued", lane)
            return Enqueued(item_id=new_id, position=position, duplicate=False)

    async def get_item(self, item_id: int) -> InboxItem | None:
        """One inbox item by id."""
        async with self._read() as db:
            row = await fetch_one(db, f"SELECT {_COLUMNS} FROM inbox WHERE id = ?", (item_id,))
        return _item(row) if row is not None else None

    async def claim_next(self, user_id: int, owner: str, lease_seconds: float) -> InboxItem | None:
        """Lease the user's oldest queued item to `owner`, unless one of theirs is running.

        An expired running item that never reached the agent is put back first, so it keeps its
        place; an expired one that did reach the agent is left for `recover` to report.
        """
        now = self._now()
        expires = lease_until(now, lease_seconds)
        async with self._tx() as db:
            live = await fetch_one(
                db,
                "SELECT 1 FROM inbox WHERE user_id = ? AND status = 'running' AND lane = 'line' "
                "AND lease_expires > ? LIMIT 1",
                (user_id, now),
            )
            if live is not None:
                return None
            await execute(
                db,
                "UPDATE inbox SET status = 'queued', owner = NULL, lease_expires = NULL "
                f"WHERE user_id = ? AND status = 'running' AND reached_agent = 0 AND {_EXPIRED}",
                (user_id, now),
            )
            row = await fetch_one(
                db,
                "SELECT id FROM inbox WHERE user_id = ? AND status = 'queued' AND lane = 'line' "
                "ORDER BY id LIMIT 1",
                (user_id,),
            )
            if row is None:
                return None
            await execute(
                db,
                "UPDATE inbox SET status = 'running', owner = ?, lease_expires = ? WHERE id = ?",
                (owner, expires, row["id"]),
            )
            claimed = await fetch_one(
                db, f"SELECT {_COLUMNS} FROM inbox WHERE id = ?", (row["id"],)
            )
        assert claimed is not None
        return _item(claimed)

    async def claim_item(self, item_id: int, owner: str, lease_seconds: float) -> InboxItem | None:
        """Lease one queued side-lane item to `owner`; None if it is not (or no longer) queued."""
        expires = lease_until(self._now(), lease_seconds)
        async with self._tx() as db:
            changed = await execute(
                db,
                "UPDATE inbox SET status = 'running', owner = ?, lease_expires = ? "
                "WHERE id = ? AND status = 'queued' AND lane = 'side'",
                (owner, expires, item_id),
            )
            if changed != 1:
                return None
            row = await fetch_one(db, f"SELECT {_COLUMNS} FROM inbox WHERE id = ?", (item_id,))
        assert row is not None
        return _item(row)

    async def absorb_group(self, item_id: int, user_id: int, group: str) -> list[InboxItem]:
        """Fold the user's other queued messages of `group` into running item `item_id`.

        They are marked done (their content now belongs to `item_id`'s turn) and returned
        oldest first.
        """
        async with self._tx() as db:
            rows = await fetch_all(
                db,
                f"SELECT {_COLUMNS} FROM inbox WHERE user_id = ? AND group_key = ? "
                "AND status = 'queued' AND lane = 'line' AND id != ? ORDER BY id",
                (user_id, group, item_id),
            )
            if rows:
                marks = ", ".join("?" for _ in rows)
                await execute(
                    db,
                    f"UPDATE inbox SET status = 'done', finished_at = ? WHERE id IN ({marks})",
                    (self._now(), *(row["id"] for row in rows)),
                )
        return [_item(row) for row in rows]

    async def renew_lease(self, item_id: int, owner: str, lease_seconds: float) -> bool:
        """Extend `owner`'s lease on a running item; False if it is no longer theirs."""
        expires = lease_until(self._now(), lease_seconds)
        return await self._change_one(
            "UPDATE inbox SET lease_expires = ? WHERE id = ? AND owner = ? AND status = 'running'",
            (expires, item_id, owner),
        )

    async def release_item(self, item_id: int, owner: str) -> bool:
        """Give up `owner`'s lease on a running item.

        One that never reached the agent is queued again at once; one that did stays running
        without a lease, for `recover` to report (it is never sent twice).
        """
        return await self._change_one(
            "UPDATE inbox SET owner = NULL, lease_expires = NULL, "
            "status = CASE WHEN reached_agent = 0 THEN 'queued' ELSE status END "
            "WHERE id = ? AND owner = ? AND status = 'running'",
            (item_id, owner),
        )

    async def mark_reached_agent(self, item_id: int, *, owner: str | None = None) -> bool:
        """Record, before calling the agent, that this turn may have been charged.

        False means the item is no longer running (or not `owner`'s): do not call the agent.
        """
        return await self._change_one(
            "UPDATE inbox SET reached_agent = 1 WHERE id = ? AND status = 'running' "
            "AND (? IS NULL OR owner = ?)",
            (item_id, owner, owner),
        )

    async def finish(self, item_id: int, status: str, *, owner: str | None = None) -> bool:
        """End a running item as done, failed, interrupted or cancelled; False if not running."""
        if status not in _FINISH_STATUSES:
            raise ValueError(f"cannot finish an inbox item as {status!r}")
        return await self._change_one(
            "UPDATE inbox SET status = ?, finished_at = ?, lease_expires = NULL "
            "WHERE id = ? AND status = 'running' AND (? IS NULL OR owner = ?)",
            (status, self._now(), item_id, owner, owner),
        )

    async def cancel_queued(self, user_id: int) -> int:
        """Mark all the user's queued line items cancelled; return how many."""
        async with self._tx() as db:
            return await execute(
                db,
                "UPDATE inbox SET status = 'cancelled', finished_at = ? "
                "WHERE user_id = ? AND status = 'queued' AND lane = 'line'",
                (self._now(), user_id),
            )

    async def running_item(self, user_id: int) -> InboxItem | None:
        """The user's running item (one with a live lease first), or None."""
        async with self._read() as db:
            row = await fetch_one(
                db,
                f"SELECT {_COLUMNS} FROM inbox WHERE user_id = ? AND status = 'running' "
                "AND lane = 'line' ORDER BY coalesce(lease_expires > ?, 0) DESC, id DESC LIMIT 1",
                (user_id, self._now()),
            )
        return _item(row) if row is not None else None

    async def queued_count(self, user_id: int) -> int:
        """How many of the user's items wait in line."""
        async with self._read() as db:
            return await _waiting(db, user_id)

    async def users_with_work(self, platforms: Collection[str]) -> list[int]:
        """Users of `platforms` with queued or expired running line items, longest waiting first."""
        if not platforms:
            return []
        marks = ", ".join("?" for _ in platforms)
        async with self._read() as db:
            rows = await fetch_all(
                db,
                "SELECT inbox.user_id FROM inbox JOIN users ON users.id = inbox.user_id "
                f"WHERE inbox.lane = 'line' AND users.platform IN ({marks}) AND "
                f"(inbox.status = 'queued' OR (inbox.status = 'running' AND {_EXPIRED})) "
                "GROUP BY inbox.user_id ORDER BY MIN(inbox.id)",
                (*platforms, self._now()),
            )
        return [row["user_id"] for row in rows]

    async def side_items(self, platforms: Collection[str]) -> list[int]:
        """Queued side-lane items of `platforms` (left by a stop), oldest first."""
        if not platforms:
            return []
        marks = ", ".join("?" for _ in platforms)
        async with self._read() as db:
            rows = await fetch_all(
                db,
                f"SELECT id FROM inbox WHERE lane = 'side' AND status = 'queued' "
                f"AND platform IN ({marks}) ORDER BY id",
                tuple(platforms),
            )
        return [row["id"] for row in rows]

    async def recover(self, owner: str, lease_seconds: float) -> list[InboxItem]:
        """Take back expired running items: requeue the unsent, interrupt and return the rest.

        Items that reached the agent are never resent (the turn may have been charged); they
        become `interrupted`, recorded as held by `owner`, who tells their users.
        """
        now = self._now()
        expires = lease_until(now, lease_seconds)
        async with self._tx() as db:
            await execute(
                db,
                "UPDATE inbox SET status = 'queued', owner = NULL, lease_expires = NULL "
                f"WHERE status = 'running' AND reached_agent = 0 AND {_EXPIRED}",
                (now,),
            )
            rows = await fetch_all(
                db,
                f"SELECT {_COLUMNS} FROM inbox WHERE status = 'running' AND reached_agent = 1 "
                f"AND {_EXPIRED} ORDER BY id",
                (now,),
            )
            await execute(
                db,
                "UPDATE inbox SET status = 'interrupted', finished_at = ?, owner = ?, "
                f"lease_expires = ? WHERE status = 'running' AND reached_agent = 1 AND {_EXPIRED}",
                (now, owner, expires, now),
            )
        return [
            replace(_item(row), status="interrupted", owner=owner, lease_expires=expires)
            for row in rows
        ]

    async def prune_inbox(self, older_than: float) -> int:
        """Delete items finished before `older_than`; newer ones keep their dedupe key."""
        async with self._tx() as db:
            return await execute(
                db,
                "DELETE FROM inbox WHERE status IN ('done', 'failed', 'cancelled', 'interrupted') "
                "AND finished_at < ?",
                (older_than,),
            )
