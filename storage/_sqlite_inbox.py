"""The durable inbox of accepted chat messages, on SQLite (each operation one transaction)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import replace

from ._rows import (
    FINISH_STATUSES,
    INBOX_COLUMNS,
    RATE_COUNTS,
    RATE_WINDOW_SECONDS,
    THROTTLED_KIND,
    check_lane,
    item_of,
)
from ._sqlite_core import SqliteCore
from ._sqlite_util import lease_until, marks, one
from .records import Enqueued, InboxItem

__all__ = ["SqliteInbox"]

_EXPIRED = "(lease_expires IS NULL OR lease_expires <= ?)"


def _place(conn: sqlite3.Connection, item_id: int, user_id: int, status: str, lane: str) -> int:
    """Place in the user's line: 1 runs next, 0 when not waiting in the line."""
    if status != "queued" or lane != "line":
        return 0
    row = one(
        conn,
        "SELECT COUNT(*) FROM inbox WHERE user_id = ? AND status IN ('queued', 'running') "
        "AND lane = 'line' AND id < ?",
        (user_id, item_id),
    )
    return (row[0] if row is not None else 0) + 1


def _waiting(conn: sqlite3.Connection, user_id: int) -> int:
    row = one(
        conn,
        "SELECT COUNT(*) FROM inbox WHERE user_id = ? AND status = 'queued' AND lane = 'line'",
        (user_id,),
    )
    return int(row[0]) if row is not None else 0


def _rate(conn: sqlite3.Connection, user_id: int, now: float) -> tuple[int, int]:
    """The user's messages and recorded refusals within the rate window before `now`."""
    row = one(
        conn,
        f"SELECT {RATE_COUNTS} FROM inbox WHERE user_id = ? AND created_at > ?",
        (user_id, now - RATE_WINDOW_SECONDS),
    )
    assert row is not None
    return int(row[0]), int(row[1])


def _by_id(conn: sqlite3.Connection, item_id: int) -> InboxItem:
    row = one(conn, f"SELECT {INBOX_COLUMNS} FROM inbox WHERE id = ?", (item_id,))
    assert row is not None
    return item_of(row)


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
        per_minute: int | None = None,
        owner: str | None = None,
        lease_seconds: float = 0.0,
    ) -> Enqueued:
        """Store a message once per (platform, update_id) and return its place in line.

        With `limit`, a line message is refused (not stored) while the user already has that
        many waiting. Side-lane messages have no place in line (position 0).
        """
        check_lane(lane, owner)
        now = self._now()
        status, expires = (
            ("queued", None) if owner is None else ("running", lease_until(now, lease_seconds))
        )

        def work(conn: sqlite3.Connection) -> Enqueued:
            seen = one(
                conn,
                "SELECT id, user_id, status, lane FROM inbox WHERE platform = ? AND update_id = ?",
                (platform, update_id),
            )
            if seen is not None:
                place = _place(conn, seen["id"], seen["user_id"], seen["status"], seen["lane"])
                return Enqueued(item_id=seen["id"], position=place, duplicate=True)
            if per_minute is not None:
                sent, refusals = _rate(conn, user_id, now)
                if sent >= per_minute:
                    conn.execute(
                        "INSERT INTO inbox (platform, update_id, user_id, chat, kind, payload, "
                        "created_at, finished_at, lane, status) "
                        "VALUES (?, ?, ?, ?, ?, '', ?, ?, 'side', 'cancelled')",
                        (platform, update_id, user_id, chat, THROTTLED_KIND, now, now),
                    )
                    first = refusals == 0
                    return Enqueued(0, 0, duplicate=False, throttled=True, first_refusal=first)
            if limit is not None and lane == "line" and _waiting(conn, user_id) >= limit:
                return Enqueued(item_id=0, position=0, duplicate=False, refused=True)
            cursor = conn.execute(
                "INSERT INTO inbox (platform, update_id, user_id, chat, kind, payload, created_at,"
                " lane, group_key, status, owner, lease_expires)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *(platform, update_id, user_id, chat, kind, payload, now),
                    *(lane, group, status, owner, expires),
                ),
            )
            new_id = cursor.lastrowid
            assert new_id is not None
            place = _place(conn, new_id, user_id, status, lane)
            return Enqueued(item_id=new_id, position=place, duplicate=False)

        return await self._write(work)

    async def get_item(self, item_id: int) -> InboxItem | None:
        """One inbox item by id."""
        rows = await self._fetch(f"SELECT {INBOX_COLUMNS} FROM inbox WHERE id = ?", (item_id,))
        return item_of(rows[0]) if rows else None

    async def claim_next(self, user_id: int, owner: str, lease_seconds: float) -> InboxItem | None:
        """Lease the user's oldest queued line item to `owner`, unless one of theirs is running.

        An expired running item that never reached the agent is put back first, so it keeps its
        place; an expired one that did reach the agent is left for `recover` to report.
        """
        now = self._now()
        expires = lease_until(now, lease_seconds)

        def work(conn: sqlite3.Connection) -> InboxItem | None:
            live = one(
                conn,
                "SELECT 1 FROM inbox WHERE user_id = ? AND status = 'running' AND lane = 'line' "
                "AND lease_expires > ? LIMIT 1",
                (user_id, now),
            )
            if live is not None:
                return None
            conn.execute(
                "UPDATE inbox SET status = 'queued', owner = NULL, lease_expires = NULL "
                f"WHERE user_id = ? AND status = 'running' AND reached_agent = 0 AND {_EXPIRED}",
                (user_id, now),
            )
            row = one(
                conn,
                "SELECT id FROM inbox WHERE user_id = ? AND status = 'queued' AND lane = 'line' "
                "ORDER BY id LIMIT 1",
                (user_id,),
            )
            if row is None:
                return None
            conn.execute(
                "UPDATE inbox SET status = 'running', owner = ?, lease_expires = ? WHERE id = ?",
                (owner, expires, row["id"]),
            )
            return _by_id(conn, row["id"])

        return await self._write(work)

    async def claim_item(self, item_id: int, owner: str, lease_seconds: float) -> InboxItem | None:
        """Lease one queued side-lane item to `owner`; None if it is not (or no longer) queued."""
        expires = lease_until(self._now(), lease_seconds)

        def work(conn: sqlite3.Connection) -> InboxItem | None:
            changed = conn.execute(
                "UPDATE inbox SET status = 'running', owner = ?, lease_expires = ? "
                "WHERE id = ? AND status = 'queued' AND lane = 'side'",
                (owner, expires, item_id),
            ).rowcount
            return _by_id(conn, item_id) if changed == 1 else None

        return await self._write(work)

    async def absorb_group(self, item_id: int, user_id: int, group: str) -> list[InboxItem]:
        """Fold the user's other queued messages of `group` into running item `item_id`.

        They are marked done (their content now belongs to `item_id`'s turn) and returned
        oldest first.
        """
        now = self._now()

        def work(conn: sqlite3.Connection) -> list[InboxItem]:
            rows = conn.execute(
                f"SELECT {INBOX_COLUMNS} FROM inbox WHERE user_id = ? AND group_key = ? "
                "AND status = 'queued' AND lane = 'line' AND id != ? ORDER BY id",
                (user_id, group, item_id),
            ).fetchall()
            if rows:
                conn.execute(
                    f"UPDATE inbox SET status = 'done', finished_at = ? "
                    f"WHERE id IN ({marks(len(rows))})",
                    (now, *(row["id"] for row in rows)),
                )
            return [item_of(row) for row in rows]

        return await self._write(work)

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
        if status not in FINISH_STATUSES:
            raise ValueError(f"cannot finish an inbox item as {status!r}")
        return await self._change_one(
            "UPDATE inbox SET status = ?, finished_at = ?, lease_expires = NULL "
            "WHERE id = ? AND status = 'running' AND (? IS NULL OR owner = ?)",
            (status, self._now(), item_id, owner, owner),
        )

    async def cancel_queued(self, user_id: int) -> int:
        """Mark all the user's queued line items cancelled; return how many."""
        now = self._now()
        return await self._write(
            lambda conn: (
                conn.execute(
                    "UPDATE inbox SET status = 'cancelled', finished_at = ? "
                    "WHERE user_id = ? AND status = 'queued' AND lane = 'line'",
                    (now, user_id),
                ).rowcount
            )
        )

    async def running_item(self, user_id: int) -> InboxItem | None:
        """The user's running line item (one with a live lease first), or None."""
        rows = await self._fetch(
            f"SELECT {INBOX_COLUMNS} FROM inbox WHERE user_id = ? AND status = 'running' "
            "AND lane = 'line' ORDER BY coalesce(lease_expires > ?, 0) DESC, id DESC LIMIT 1",
            (user_id, self._now()),
        )
        return item_of(rows[0]) if rows else None

    async def queued_count(self, user_id: int) -> int:
        """How many of the user's items wait in line."""
        return await self._read(lambda conn: _waiting(conn, user_id))

    async def users_with_work(self, platforms: Collection[str]) -> list[int]:
        """Users of `platforms` with queued or expired running line items, longest waiting first."""
        if not platforms:
            return []
        rows = await self._fetch(
            "SELECT inbox.user_id FROM inbox JOIN users ON users.id = inbox.user_id "
            f"WHERE inbox.lane = 'line' AND users.platform IN ({marks(len(platforms))}) AND "
            f"(inbox.status = 'queued' OR (inbox.status = 'running' AND {_EXPIRED})) "
            "GROUP BY inbox.user_id ORDER BY MIN(inbox.id)",
            (*platforms, self._now()),
        )
        return [row["user_id"] for row in rows]

    async def side_items(self, platforms: Collection[str]) -> list[int]:
        """Queued side-lane items of `platforms` (left by a stop), oldest first."""
        if not platforms:
            return []
        rows = await self._fetch(
            f"SELECT id FROM inbox WHERE lane = 'side' AND status = 'queued' "
            f"AND platform IN ({marks(len(platforms))}) ORDER BY id",
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

        def work(conn: sqlite3.Connection) -> list[InboxItem]:
            conn.execute(
                "UPDATE inbox SET status = 'queued', owner = NULL, lease_expires = NULL "
                f"WHERE status = 'running' AND reached_agent = 0 AND {_EXPIRED}",
                (now,),
            )
            rows = conn.execute(
                f"SELECT {INBOX_COLUMNS} FROM inbox WHERE status = 'running' AND reached_agent = 1 "
                f"AND {_EXPIRED} ORDER BY id",
                (now,),
            ).fetchall()
            conn.execute(
                "UPDATE inbox SET status = 'interrupted', finished_at = ?, owner = ?, "
                f"lease_expires = ? WHERE status = 'running' AND reached_agent = 1 AND {_EXPIRED}",
                (now, owner, expires, now),
            )
            return [
                replace(item_of(row), status="interrupted", owner=owner, lease_expires=expires)
                for row in rows
            ]

        return await self._write(work)

    async def prune_inbox(self, older_than: float) -> int:
        """Delete items finished before `older_than`; newer ones keep their dedupe key."""
        return await self._write(
            lambda conn: (
                conn.execute(
                    "DELETE FROM inbox WHERE status IN "
                    "('done', 'failed', 'cancelled', 'interrupted') AND finished_at < ?",
                    (older_than,),
                ).rowcount
            )
        )

    async def forget_texts(self, finished_before: float) -> int:
        """Erase the text of messages answered before `finished_before` (they keep their key)."""
        return await self._write(
            lambda conn: (
                conn.execute(
                    "UPDATE inbox SET payload = json_set(payload, '$.text', '') "
                    "WHERE status IN ('done', 'failed', 'cancelled', 'interrupted') "
                    "AND finished_at < ? AND json_valid(payload) "
                    "AND coalesce(json_extract(payload, '$.text'), '') != ''",
                    (finished_before,),
                ).rowcount
            )
        )
