"""Users, their credentials, sessions, posted images and usage, on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from ._pg_core import PgCore
from ._rows import credentials_of, image_of, session_of, usage_of, user_of
from .records import Credentials, ImageRecord, SessionRecord, Usage, UserRecord

__all__ = ["PgPeople"]


class PgPeople(PgCore):
    """What the PostgreSQL store keeps about each user."""

    async def get_user(self, user_id: int) -> UserRecord | None:
        """One user by id."""
        rows = await self._fetch("SELECT * FROM users WHERE id = $1", user_id)
        return user_of(rows[0]) if rows else None

    async def set_language(self, user_id: int, language: str) -> None:
        """Set the user's reply language."""
        await self._execute("UPDATE users SET language = $1 WHERE id = $2", language, user_id)

    async def client_id_for(self, user_id: int) -> str:
        """The user's stable NemoVideo client id, created (uuid4) the first time."""
        rows = await self._fetch(
            "INSERT INTO credentials (user_id, client_id) VALUES ($1, $2) "
            "ON CONFLICT (user_id) DO UPDATE SET client_id = credentials.client_id "
            "RETURNING client_id",
            user_id,
            str(uuid.uuid4()),
        )
        return str(rows[0]["client_id"])

    async def credentials(self, user_id: int) -> Credentials | None:
        """The user's client id and tokens, or None if none were ever stored."""
        rows = await self._fetch("SELECT * FROM credentials WHERE user_id = $1", user_id)
        if not rows:
            return None
        return credentials_of(rows[0])

    async def save_anonymous_token(
        self,
        user_id: int,
        token: str | None,
        anon_user_id: str | None,
        expires_at: float | None,
    ) -> None:
        """Store (or with None, clear) the user's anonymous token; keeps the client id."""
        await self._execute(
            "INSERT INTO credentials (user_id, client_id, anon_token, anon_user_id, "
            "anon_expires_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET "
            "anon_token = excluded.anon_token, anon_user_id = excluded.anon_user_id, "
            "anon_expires_at = excluded.anon_expires_at",
            user_id,
            str(uuid.uuid4()),
            token,
            anon_user_id,
            expires_at,
        )

    async def set_login_token(self, user_id: int, token: str | None) -> None:
        """Store (or with None, clear) the user's login token; keeps the client id."""
        await self._execute(
            "INSERT INTO credentials (user_id, client_id, login_token) VALUES ($1, $2, $3) "
            "ON CONFLICT (user_id) DO UPDATE SET login_token = excluded.login_token",
            user_id,
            str(uuid.uuid4()),
            token,
        )

    async def get_session(self, user_id: int, account: str) -> SessionRecord | None:
        """The user's session if it was made for `account`, else None."""
        rows = await self._fetch(
            "SELECT * FROM sessions WHERE user_id = $1 AND account = $2", user_id, account
        )
        if not rows:
            return None
        return session_of(rows[0])

    async def save_session(
        self, user_id: int, account: str, session_id: str, task_id: str | None
    ) -> None:
        """Make this the user's session; created_at is kept when only task_id changes."""
        await self._execute(
            "INSERT INTO sessions (user_id, account, session_id, task_id, created_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET "
            "created_at = CASE WHEN sessions.account = excluded.account "
            "AND sessions.session_id = excluded.session_id "
            "THEN sessions.created_at ELSE excluded.created_at END, "
            "account = excluded.account, session_id = excluded.session_id, "
            "task_id = excluded.task_id",
            user_id,
            account,
            str(session_id),
            task_id,
            self._now(),
        )

    async def drop_session(self, user_id: int) -> None:
        """Forget the user's session (the next turn starts a new one)."""
        await self._execute("DELETE FROM sessions WHERE user_id = $1", user_id)

    async def remember_image(
        self, user_id: int, session_id: str, media_key: str, url: str, prompt: str
    ) -> int | None:
        """Record an image about to be posted; None if this session's image is known already."""
        rows = await self._fetch(
            "INSERT INTO images (user_id, session_id, media_key, url, prompt, created_at) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id, media_key) DO NOTHING "
            "RETURNING id",
            user_id,
            session_id,
            media_key,
            url,
            prompt,
            self._now(),
        )
        return int(rows[0]["id"]) if rows else None

    async def known_images(self, session_id: str, media_keys: Sequence[str]) -> set[str]:
        """Which of `media_keys` this session has recorded (posted, or being posted)."""
        if not media_keys:
            return set()
        rows = await self._fetch(
            "SELECT media_key FROM images WHERE session_id = $1 AND media_key = ANY($2::text[])",
            session_id,
            list(media_keys),
        )
        return {row["media_key"] for row in rows}

    async def get_image(self, image_id: int) -> ImageRecord | None:
        """One posted image by id."""
        rows = await self._fetch("SELECT * FROM images WHERE id = $1", image_id)
        if not rows:
            return None
        return image_of(rows[0])

    async def mark_image_posted(self, image_id: int) -> bool:
        """Record that the image reached the chat."""
        return await self._change_one("UPDATE images SET posted = TRUE WHERE id = $1", image_id)

    async def latest_images(self, user_id: int, limit: int) -> list[ImageRecord]:
        """The images of the user's current session that reached a chat, newest first."""
        rows = await self._fetch(
            "SELECT images.* FROM sessions JOIN images ON images.session_id = sessions.session_id "
            "WHERE sessions.user_id = $1 AND images.user_id = $1 AND images.posted "
            "ORDER BY images.id DESC LIMIT $2",
            user_id,
            limit,
        )
        return [image_of(row) for row in rows]

    async def bump_usage(
        self, user_id: int, *, turns: int = 0, images: int = 0, exports: int = 0, uploads: int = 0
    ) -> None:
        """Add to the user's usage counters."""
        await self._execute(
            "INSERT INTO usage (user_id, turns, images, exports, uploads) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET "
            "turns = usage.turns + excluded.turns, images = usage.images + excluded.images, "
            "exports = usage.exports + excluded.exports, "
            "uploads = usage.uploads + excluded.uploads",
            user_id,
            turns,
            images,
            exports,
            uploads,
        )

    async def usage(self, user_id: int) -> Usage:
        """The user's usage counters (zeros if nothing was counted yet)."""
        rows = await self._fetch("SELECT * FROM usage WHERE user_id = $1", user_id)
        return usage_of(user_id, rows[0] if rows else None)
