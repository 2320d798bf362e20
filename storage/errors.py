"""Errors raised by stores."""

from __future__ import annotations

__all__ = ["RenderExistsError", "SchemaVersionError", "StoreClosedError", "StoreError"]


class StoreError(Exception):
    """Base class of every error a store raises on purpose."""


class SchemaVersionError(StoreError):
    """The database schema is newer than this code, or the migration files are inconsistent."""


class StoreClosedError(StoreError):
    """The store was used after `close()`."""


class RenderExistsError(StoreError):
    """`create_render` was called with a render id that is already stored."""
