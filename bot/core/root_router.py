"""The root router: every group of intents the bot runs, included explicitly.

The composition root calls `build_registry()` once and hands the registry to everything
that routes, serves or lists commands. A new group of intents is one `include_router` here;
a new command in an existing group is one line in that group's `router()`.
"""

from __future__ import annotations

from bot.core import admin, commands, group_settings, payments
from bot.core.registry import Registry, Router

__all__ = ["build_registry", "root_router"]


def root_router(*, selling: bool = False) -> Router:
    """A fresh root: the users' intents, group settings, payments (/paysupport listed while
    `selling` Stars packs), then the operators' commands."""
    root = Router("root")
    root.include_router(commands.router())
    root.include_router(group_settings.router())
    root.include_router(payments.router(selling=selling))
    root.include_router(admin.router())
    return root


def build_registry(*, selling: bool = False) -> Registry:
    """The bot's one registry."""
    return root_router(selling=selling).registry()
