"""Render jobs on PostgreSQL: each leased to one worker, polled by it, delivered once."""

from __future__ import annotations

import asyncpg

from ._pg_core import PgCore
from ._rows import ACTIVE_RENDERS, RENDER_COLUMNS, job_of, render_changes
from ._sqlite_util import lease_until
from .errors import RenderExistsError
from .records import RenderJob

__all__ = ["PgRenders"]


class PgRenders(PgCore):
    """Render job methods of the PostgreSQL store."""

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
        try:
            rows = await self._fetch(
                "INSERT INTO renders (render_id, user_id, chat, session_id, attempt, created_at, "
                f"owner, lease_expires) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                f"RETURNING {RENDER_COLUMNS}",
                render_id,
                user_id,
                chat,
                session_id,
                attempt,
                now,
                owner,
                lease_until(now, lease_seconds),
            )
        except asyncpg.UniqueViolationError:
            raise RenderExistsError(f"render {render_id!r} already exists") from None
        return job_of(rows[0])

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
        assignments = ", ".join(f"{name} = ${index}" for index, name in enumerate(changes, start=2))
        return await self._change_one(
            f"UPDATE renders SET {assignments or 'render_id = render_id'} WHERE render_id = $1",
            render_id,
            *changes.values(),
        )

    async def get_render(self, render_id: str) -> RenderJob | None:
        """One job by id."""
        rows = await self._fetch(
            f"SELECT {RENDER_COLUMNS} FROM renders WHERE render_id = $1", render_id
        )
        return job_of(rows[0]) if rows else None

    async def active_renders(self, user_id: int) -> list[RenderJob]:
        """The user's jobs not finished yet, newest first."""
        rows = await self._fetch(
            f"SELECT {RENDER_COLUMNS} FROM renders WHERE user_id = $1 AND {ACTIVE_RENDERS} "
            "ORDER BY created_at DESC, seq DESC",
            user_id,
        )
        return [job_of(row) for row in rows]

    async def claim_renders(self, owner: str, lease_seconds: float) -> list[RenderJob]:
        """Lease to `owner` every unfinished job whose lease is missing or expired.

        Jobs another worker is claiming at the same moment are skipped, so each job has one
        poller.
        """
        now = self._now()
        rows = await self._fetch(
            f"UPDATE renders SET owner = $1, lease_expires = $2 WHERE render_id IN ("
            f"SELECT render_id FROM renders WHERE {ACTIVE_RENDERS} AND "
            "(lease_expires IS NULL OR lease_expires <= $3) FOR UPDATE SKIP LOCKED) "
            f"RETURNING seq, {RENDER_COLUMNS}",
            owner,
            lease_until(now, lease_seconds),
            now,
        )
        return [job_of(row) for row in sorted(rows, key=lambda r: (r["created_at"], r["seq"]))]

    async def renew_render_lease(self, render_id: str, owner: str, lease_seconds: float) -> bool:
        """Extend `owner`'s lease on an unfinished job; False if it is no longer theirs."""
        return await self._change_one(
            f"UPDATE renders SET lease_expires = $1 WHERE render_id = $2 AND owner = $3 "
            f"AND {ACTIVE_RENDERS}",
            lease_until(self._now(), lease_seconds),
            render_id,
            owner,
        )

    async def begin_delivery(self, render_id: str) -> bool:
        """Move a completed job to `delivering`; True for exactly one caller."""
        return await self._change_one(
            "UPDATE renders SET status = 'delivering' WHERE render_id = $1 "
            "AND status = 'completed'",
            render_id,
        )

    async def mark_delivered(self, render_id: str) -> bool:
        """Record that the video reached the chat and drop the lease."""
        return await self._change_one(
            "UPDATE renders SET status = 'delivered', delivered = TRUE, "
            "finished_at = coalesce(finished_at, $1), owner = NULL, lease_expires = NULL "
            "WHERE render_id = $2",
            self._now(),
            render_id,
        )

    async def release_render(self, render_id: str, owner: str) -> bool:
        """Give up `owner`'s lease so another poller may claim the job."""
        return await self._change_one(
            "UPDATE renders SET owner = NULL, lease_expires = NULL "
            "WHERE render_id = $1 AND owner = $2",
            render_id,
            owner,
        )

    async def render_seconds(self, limit: int = 10) -> list[float]:
        """How long the latest delivered renders took, submit to finish, newest first."""
        rows = await self._fetch(
            "SELECT finished_at - submitted_at AS took FROM renders WHERE status = 'delivered' "
            "AND submitted_at IS NOT NULL AND finished_at >= submitted_at "
            "ORDER BY finished_at DESC LIMIT $1",
            limit,
        )
        return [float(row["took"]) for row in rows]

    async def unconfirmed_render(self, user_id: int) -> RenderJob | None:
        """The user's latest render that may or may not have reached their chat."""
        rows = await self._fetch(
            f"SELECT {RENDER_COLUMNS} FROM renders WHERE user_id = $1 AND status = 'unconfirmed' "
            "ORDER BY created_at DESC, seq DESC LIMIT 1",
            user_id,
        )
        return job_of(rows[0]) if rows else None
