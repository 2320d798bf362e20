"""Durable storage: users, credentials, sessions, the inbox of accepted messages, render jobs."""

from __future__ import annotations

from .base import Store
from .errors import (
    RenderExistsError,
    SchemaVersionError,
    StoreClosedError,
    StoreError,
    StoreOpenError,
)
from .opening import is_postgres, open_store, sqlite_path
from .records import (
    ACCESS_RULES,
    FINISHED_INBOX_STATUSES,
    INBOX_STATUSES,
    RENDER_STATUSES,
    TERMINAL_RENDER_STATUSES,
    AccessRule,
    Credentials,
    Enqueued,
    ImageRecord,
    InboxItem,
    RenderJob,
    SessionRecord,
    StoreStats,
    Usage,
    UserRecord,
)
from .sqlite import SqliteStore

__all__ = [
    "ACCESS_RULES",
    "FINISHED_INBOX_STATUSES",
    "INBOX_STATUSES",
    "RENDER_STATUSES",
    "TERMINAL_RENDER_STATUSES",
    "AccessRule",
    "Credentials",
    "Enqueued",
    "ImageRecord",
    "InboxItem",
    "RenderExistsError",
    "RenderJob",
    "SchemaVersionError",
    "SessionRecord",
    "SqliteStore",
    "Store",
    "StoreClosedError",
    "StoreError",
    "StoreOpenError",
    "StoreStats",
    "Usage",
    "UserRecord",
    "is_postgres",
    "open_store",
    "sqlite_path",
]
