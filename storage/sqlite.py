"""`SqliteStore`: the `Store` on one SQLite file, for a single bot process.

Usage::

    async with await SqliteStore.open("nemobot.db") as store:
        user = await store.upsert_user("telegram", "42")

`open` creates the file with mode 0600 if missing, switches it to WAL and applies pending
migrations. Every write is one `BEGIN IMMEDIATE` transaction run whole on the writer
connection's thread (one trip per write). The file belongs to one process: a second one is
refused, and leases found on open are treated as expired.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence

from ._ledger_ops import LedgerOps
from ._ops import InboxOps, RenderOps
from ._rows import credentials_of, image_of, session_of, usage_of, user_of
from ._sqlite_operators import SqliteOperators
from ._sqlite_sql import INBOX_SQL, LEDGER_SQL, RENDER_SQL
from ._sqlite_util import marks, one
from .records import Credentials, ImageRecord, SessionRecord, Usage, UserRecord

__all__ = ["SqliteStore"]


class SqliteStore(InboxOps, RenderOps, LedgerOps, SqliteOperators):
    """The durable store on SQLite (aiosqlite, WAL, one writer)."""

    _INBOX_SQL = INBOX_SQL
    _RENDER_SQL = RENDER_SQL
    _LEDGER_SQL = LEDGER_SQL

    # --- users ---------------------------------------------------------------------------

    async def get_user(self, user_id: int) -> UserRecord | None:
        """One user by id."""
        rows = await self._fetch("SELECT * FROM users WHERE id = ?", (user_id,))
        return user_of(rows[0]) if rows else None

    async def set_language(self, user_id: int, language: str) -> None:
        """Set the user's reply language."""
        await self._change_one("UPDATE users SET language = ? WHERE id = ?", (language, user_id))

    # --- credentials ---------------------------------------------------------------------

    async def client_id_for(self, user_id: int) -> str:
        """The user's stable NemoVideo client id, created (uuid4) the first time."""
        fresh = str(uuid.uuid4())

        def work(conn: sqlite3.Connection) -> str:
            conn.execute(
                "INSERT INTO credentials (user_id, client_id) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO NOTHING",
                (user_id, fresh),
            )
            row = one(conn, "SELECT client_id FROM credentials WHERE user_id = ?", (user_id,))
            assert row is not None
            return str(row["client_id"])

        return await self._write(work)

    async def credentials(self, user_id: int) -> Credentials | None:
        """The user's client id and tokens, or None if none were ever stored."""
        rows = await self._fetch("SELECT * FROM credentials WHERE user_id = ?", (user_id,))
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
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO credentials (user_id, client_id, anon_token, anon_user_id, "
                "anon_expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "anon_token = excluded.anon_token, anon_user_id = excluded.anon_user_id, "
                "anon_expires_at = excluded.anon_expires_at",
                (user_id, str(uuid.uuid4()), token, anon_user_id, expires_at),
            )
        )

    async def set_login_token(self, user_id: int, token: str | None) -> None:
        """Store (or with None, clear) the user's login token; keeps the client id."""
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO credentials (user_id, client_id, login_token) VALUES (?, ?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET login_token = excluded.login_token",
                (user_id, str(uuid.uuid4()), token),
            )
        )

    # --- sessions ------------------------------------------------------------------------

    async def get_session(self, user_id: int, account: str) -> SessionRecord | None:
        """The user's session if it was made for `account`, else None."""
        rows = await self._fetch(
            "SELECT * FROM sessions WHERE user_id = ? AND account = ?", (user_id, account)
        )
        if not rows:
            return None
        return session_of(rows[0])

    async def save_session(
        self, user_id: int, account: str, session_id: str, task_id: str | None
    ) -> None:
        """Make this the user's session; created_at is kept when only task_id changes."""
        now = self._now()
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO sessions (user_id, account, session_id, task_id, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "created_at = CASE WHEN sessions.account = excluded.account "
                "AND sessions.session_id = excluded.session_id "
                "THEN sessions.created_at ELSE excluded.created_at END, "
                "account = excluded.account, session_id = excluded.session_id, "
                "task_id = excluded.task_id",
                (user_id, account, str(session_id), task_id, now),
            )
        )

    async def drop_session(self, user_id: int) -> None:
        """Forget the user's session (the next turn starts a new one)."""
        await self._write(
            lambda conn: conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
        )

    # --- images --------------------------------------------------------------------------

    async def remember_image(
        self, user_id: int, session_id: str, media_key: str, url: str, prompt: str
    ) -> int | None:
        """Record an image about to be posted; None if this session's image is known already."""
        now = self._now()

        def work(conn: sqlite3.Connection) -> int | None:
            cursor = conn.execute(
                "INSERT INTO images (user_id, session_id, media_key, url, prompt, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, media_key) DO NOTHING",
                (user_id, session_id, media_key, url, prompt, now),
            )
            return cursor.lastrowid if cursor.rowcount == 1 else None

        return await self._write(work)

    async def known_images(self, session_id: str, media_keys: Sequence[str]) -> set[str]:
        """Which of `media_keys` this session has recorded (posted, or being posted)."""
        if not media_keys:
            return set()
        rows = await self._fetch(
            f"SELECT media_key FROM images WHERE session_id = ? "
            f"AND media_key IN ({marks(len(media_keys))})",
            (session_id, *media_keys),
        )
        return {row["media_key"] for row in rows}

    async def get_image(self, image_id: int) -> ImageRecord | None:
        """One posted image by id."""
        rows = await self._fetch("SELECT * FROM images WHERE id = ?", (image_id,))
        if not rows:
            return None
        return image_of(rows[0])

    async def mark_image_posted(self, image_id: int) -> bool:
        """Record that the image reached the chat."""
        return await self._change_one("UPDATE images SET posted = 1 WHERE id = ?", (image_id,))

    async def latest_images(self, user_id: int, limit: int) -> list[ImageRecord]:
        """The images of the user's current session that reached a chat, newest first."""
        rows = await self._fetch(
            "SELECT images.* FROM sessions JOIN images ON images.session_id = sessions.session_id "
            "WHERE sessions.user_id = ? AND images.user_id = ? AND images.posted = 1 "
            "ORDER BY images.id DESC LIMIT ?",
            (user_id, user_id, limit),
        )
        return [image_of(row) for row in rows]

    # --- usage ---------------------------------------------------------------------------

    async def bump_usage(
        self, user_id: int, *, turns: int = 0, images: int = 0, exports: int = 0, uploads: int = 0
    ) -> None:
        """Add to the user's usage counters."""
        await self._write(
            lambda conn: conn.execute(
                "INSERT INTO usage (user_id, turns, images, exports, uploads) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "turns = usage.turns + excluded.turns, images = usage.images + excluded.images, "
                "exports = usage.exports + excluded.exports, "
                "uploads = usage.uploads + excluded.uploads",
                (user_id, turns, images, exports, uploads),
            )
        )

    async def usage(self, user_id: int) -> Usage:
        """The user's usage counters (zeros if nothing was counted yet)."""
        rows = await self._fetch("SELECT * FROM usage WHERE user_id = ?", (user_id,))
        return usage_of(user_id, rows[0] if rows else None)
