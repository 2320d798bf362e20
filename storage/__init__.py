"""Durable storage: users, credentials, sessions, the inbox of accepted messages, render jobs."""

from __future__ import annotations

from .base import ImageStore, InboxStore, OperatorStore, PeopleStore, RenderStore, Store
from .errors import (
    RenderExistsError,
    SchemaVersionError,
    StoreClosedError,
    StoreError,
    StoreOpenError,
)
from .inbox import AcceptRules, Claim, NewItem
from .lifecycle import INBOX, RENDER, Lifecycle, Transition
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
from .renders import NewRender, StatusAnswer
from .sqlite import SqliteStore

__all__ = [
    "ACCESS_RULES",
    "FINISHED_INBOX_STATUSES",
    "INBOX",
    "INBOX_STATUSES",
    "RENDER",
    "RENDER_STATUSES",
    "TERMINAL_RENDER_STATUSES",
    "AcceptRules",
    "AccessRule",
    "Claim",
    "Credentials",
    "Enqueued",
    "ImageRecord",
    "ImageStore",
    "InboxItem",
    "InboxStore",
    "Lifecycle",
    "NewItem",
    "NewRender",
    "OperatorStore",
    "PeopleStore",
    "RenderExistsError",
    "RenderJob",
    "RenderStore",
    "SchemaVersionError",
    "SessionRecord",
    "SqliteStore",
    "StatusAnswer",
    "Store",
    "StoreClosedError",
    "StoreError",
    "StoreOpenError",
    "StoreStats",
    "Transition",
    "Usage",
    "UserRecord",
    "is_postgres",
    "open_store",
    "sqlite_path",
]
