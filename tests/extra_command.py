"""A command the bot does not have, /style: what the next engineer adds. Tests use it to
prove that the menus, /help and routing follow the registry and need nothing else."""

from __future__ import annotations

import pytest

from bot.core import texts
from bot.core.commands import Handlers
from bot.core.context import TurnContext
from bot.core.intents import Intent
from bot.core.messages import IncomingMessage
from bot.core.registry import Registry, Router
from bot.core.root_router import root_router

__all__ = ["STYLE_EN", "STYLE_ZH", "style", "with_style"]

STYLE_EN, STYLE_ZH = "Pick a look for new images", "选择新图片的风格"


async def style(h: Handlers, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
    """Says which style was asked for."""
    await ctx.pacer.send_text(ctx.chat, f"style: {intent.arg or 'none'}")


def with_style(monkeypatch: pytest.MonkeyPatch) -> Registry:
    """The bot's registry plus /style: one handler in a router, one entry in the strings."""
    monkeypatch.setitem(texts._TEXTS, "cmd_style", (STYLE_EN, STYLE_ZH))
    router = Router("style")
    router.side("style", style, command=True)
    root = root_router()
    root.include_router(router)
    return root.registry()
