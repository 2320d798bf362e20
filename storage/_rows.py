"""Rows to records, and the column lists, shared by the SQLite and PostgreSQL stores.

Both drivers' rows (`sqlite3.Row`, `asyncpg.Record`) are read by column name.
"""

from __future__ import annotations

from typing import Any, Protocol

from .records import (
    AccessRule,
    Credentials,
    ImageRecord,
    InboxItem,
    RenderJob,
    SessionRecord,
    Usage,
    UserRecord,
)

__all__ = [
    "INBOX_COLUMNS",
    "RATE_COUNTS",
    "RATE_WINDOW_SECONDS",
    "RENDER_COLUMNS",
    "THROTTLED_KIND",
    "Row",
    "credentials_of",
    "image_of",
    "item_of",
    "job_of",
    "rule_of",
    "session_of",
    "sql_list",
    "usage_of",
    "user_of",
]

INBOX_COLUMNS = (
    "id, platform, update_id, user_id, chat, kind, payload, status, reached_agent, "
    "created_at, owner, lease_expires, lane, group_key, intent"
)
RENDER_COLUMNS = (
    "render_id, user_id, chat, session_id, status, progress, output_url, error, attempt, "
    "submitted_at, finished_at, delivered, created_at, owner, lease_expires"
)
RATE_WINDOW_SECONDS = 60.0  # the per-user rate counts the messages stored this long ago
THROTTLED_KIND = "throttled"  # the kind of the row that keeps a refused message's update id
# Within the rate window: the user's messages, and the refusals already recorded.
RATE_COUNTS = (
    f"count(*) FILTER (WHERE kind != '{THROTTLED_KIND}'), "
    f"count(*) FILTER (WHERE kind = '{THROTTLED_KIND}')"
)


def sql_list(states: frozenset[str]) -> str:
    """A set of states as an SQL list: `('a', 'b')`."""
    return "(" + ", ".join(f"'{s}'" for s in sorted(states)) + ")"


class Row(Protocol):
    """A database row read by column name."""

    def __getitem__(self, key: str, /) -> Any: ...


def user_of(row: Row) -> UserRecord:
    """A `users` row."""
    return UserRecord(
        id=row["id"],
        platform=row["platform"],
        platform_user_id=row["platform_user_id"],
        language=row["language"],
        created_at=row["created_at"],
    )


def credentials_of(row: Row) -> Credentials:
    """A `credentials` row."""
    return Credentials(
        user_id=row["user_id"],
        client_id=row["client_id"],
        anon_token=row["anon_token"],
        anon_user_id=row["anon_user_id"],
        anon_expires_at=row["anon_expires_at"],
        login_token=row["login_token"],
    )


def session_of(row: Row) -> SessionRecord:
    """A `sessions` row."""
    return SessionRecord(
        user_id=row["user_id"],
        account=row["account"],
        session_id=row["session_id"],
        task_id=row["task_id"],
        created_at=row["created_at"],
    )


def item_of(row: Row) -> InboxItem:
    """An `inbox` row (`INBOX_COLUMNS`)."""
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
        intent=row["intent"],
    )


def job_of(row: Row) -> RenderJob:
    """A `renders` row (`RENDER_COLUMNS`)."""
    return RenderJob(
        render_id=row["render_id"],
        user_id=row["user_id"],
        chat=row["chat"],
        session_id=row["session_id"],
        status=row["status"],
        progress=row["progress"],
        output_url=row["output_url"],
        error=row["error"],
        attempt=row["attempt"],
        submitted_at=row["submitted_at"],
        finished_at=row["finished_at"],
        delivered=bool(row["delivered"]),
        created_at=row["created_at"],
        owner=row["owner"],
        lease_expires=row["lease_expires"],
    )


def image_of(row: Row) -> ImageRecord:
    """An `images` row."""
    return ImageRecord(
        id=row["id"],
        user_id=row["user_id"],
        session_id=row["session_id"],
        media_key=row["media_key"],
        url=row["url"],
        prompt=row["prompt"],
        posted=bool(row["posted"]),
    )


def usage_of(user_id: int, row: Row | None) -> Usage:
    """A `usage` row, or zeros when the user has none yet."""
    if row is None:
        return Usage(user_id=user_id, turns=0, images=0, exports=0, uploads=0)
    return Usage(
        user_id=user_id,
        turns=row["turns"],
        images=row["images"],
        exports=row["exports"],
        uploads=row["uploads"],
    )


def rule_of(row: Row) -> AccessRule:
    """An `access_rules` row."""
    return AccessRule(row["who"], row["rule"], row["set_by"], row["set_at"])
