"""Render (video export) jobs on SQLite: submitted once, polled by one holder, delivered once."""

from __future__ import annotations

import sqlite3

from ._rows import ACTIVE_RENDERS, RENDER_COLUMNS, job_of, render_changes
from ._sqlite_core import SqliteCore
from ._sqlite_util import lease_until, one
from .errors import RenderExistsError
from .records import RenderJob

__all__ = ["SqliteRenders"]

_BY_ROWID = f"SELECT {RENDER_COLUMNS} FROM renders WHERE rowid = ?"


class SqliteRenders(SqliteCore):
    """Render job methods of the SQLite store."""

    async def create_render(
        self,
        render_id: str,
        user_id: int,
        chat: str,
        session_id: str,
        owner: str,
        lease_seconds: float,
        attempt: int = 1,
    ) -> RenderJob:
        """Persist a job as `created` (before submitting it), leased to `owner`."""
        now = self._now()
        expires = lease_until(now, lease_seconds)

        def work(conn: sqlite3.Connection) -> RenderJob:
            try:
                conn.execute(
                    "INSERT INTO renders (render_id, user_id, chat, session_id, attempt, "
                    "created_at, owner, lease_expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (render_id, user_id, chat, session_id, attempt, now, owner, expires),
                )
            except sqlite3.IntegrityError as exc:
                if "renders.render_id" not in str(exc):
                    raise
                raise RenderExistsError(f"render {render_id!r} already exists") from exc
            row = one(
                conn, f"SELECT {RENDER_COLUMNS} FROM renders WHERE render_id = ?", (render_id,)
            )
            assert row is not None
            return job_of(row)

        return await self._write(work)

    async def update_render(
        self,
        render_id: str,
        *,
        status: str | None = None,
        progress: int | None = None,
        output_url: str | None = None,
        error: str | None = None,
        submitted_at: float | None = None,
        finished_at: float | None = None,
    ) -> bool:
        """Set the given fields (None leaves a field as is); False if there is no such job."""
        changes = render_changes(
            status=status,
            progress=progress,
            output_url=output_url,
            error=error,
            submitted_at=submitted_at,
            finished_at=finished_at,
        )
        assignments = ", ".join(f"{name} = ?" for name in changes) or "render_id = render_id"
        return await self._change_one(
            f"UPDATE renders SET {assignments} WHERE render_id = ?",
            (*changes.values(), render_id),
        )

    async def get_render(self, render_id: str) -> RenderJob | None:
        """One job by id."""
        rows = await self._fetch(
            f"SELECT {RENDER_COLUMNS} FROM renders WHERE render_id = ?", (render_id,)
        )
        return job_of(rows[0]) if rows else None

    async def active_renders(self, user_id: int) -> list[RenderJob]:
        """The user's jobs not finished yet (not failed, cancelled, delivered), newest first."""
        rows = await self._fetch(
            f"SELECT {RENDER_COLUMNS} FROM renders WHERE user_id = ? AND {ACTIVE_RENDERS} "
            "ORDER BY created_at DESC, rowid DESC",
            (user_id,),
        )
        return [job_of(row) for row in rows]

    async def claim_renders(self, owner: str, lease_seconds: float) -> list[RenderJob]:
        """Lease to `owner` every unfinished job whose lease is missing or expired."""
        now = self._now()
        expires = lease_until(now, lease_seconds)
        claimable = f"{ACTIVE_RENDERS} AND (lease_expires IS NULL OR lease_expires <= ?)"

        def work(conn: sqlite3.Connection) -> list[RenderJob]:
            ids = [
                row["rowid"]
                for row in conn.execute(
                    f"SELECT rowid FROM renders WHERE {claimable} ORDER BY created_at, rowid",
                    (now,),
                )
            ]
            conn.execute(
                f"UPDATE renders SET owner = ?, lease_expires = ? WHERE {claimable}",
                (owner, expires, now),
            )
            return [
                job_of(row)
                for rowid in ids
                if (
                    row := one(
                        conn, f"SELECT {RENDER_COLUMNS} FROM renders WHERE rowid = ?", (rowid,)
                    )
                )
            ]

        return await self._write(work)

    async def renew_render_lease(self, render_id: str, owner: str, lease_seconds: float) -> bool:
        """Extend `owner`'s lease on an unfinished job; False if it is no longer theirs."""
        expires = lease_until(self._now(), lease_seconds)
        return await self._change_one(
            "UPDATE renders SET lease_expires = ? WHERE render_id = ? AND owner = ? "
            f"AND {ACTIVE_RENDERS}",
            (expires, render_id, owner),
        )

    async def begin_delivery(self, render_id: str) -> bool:
        """Move a completed job to `delivering`; True for exactly one caller."""
        return await self._change_one(
            "UPDATE renders SET status = 'delivering' WHERE render_id = ? AND status = 'completed'",
            (render_id,),
        )

    async def mark_delivered(self, render_id: str) -> bool:
        """Record that the video reached the chat and drop the lease."""
        return await self._change_one(
            "UPDATE renders SET status = 'delivered', delivered = 1, "
            "finished_at = coalesce(finished_at, ?), owner = NULL, lease_expires = NULL "
            "WHERE render_id = ?",
            (self._now(), render_id),
        )

    async def release_render(self, render_id: str, owner: str) -> bool:
        """Give up `owner`'s lease so another poller may claim the job."""
        return await self._change_one(
            "UPDATE renders SET owner = NULL, lease_expires = NULL "
            "WHERE render_id = ? AND owner = ?",
            (render_id, owner),
        )

    async def render_seconds(self, limit: int = 10) -> list[float]:
        """How long the latest delivered renders took, submit to finish, newest first."""
        rows = await self._fetch(
            "SELECT finished_at - submitted_at AS took FROM renders WHERE status = 'delivered' "
            "AND submitted_at IS NOT NULL AND finished_at >= submitted_at "
            "ORDER BY finished_at DESC LIMIT ?",
            (limit,),
        )
        return [float(row["took"]) for row in rows]

    async def unconfirmed_render(self, user_id: int) -> RenderJob | None:
        """The user's latest render that may or may not have reached their chat."""
        rows = await self._fetch(
            f"SELECT {RENDER_COLUMNS} FROM renders WHERE user_id = ? AND status = 'unconfirmed' "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (user_id,),
        )
        return job_of(rows[0]) if rows else None
