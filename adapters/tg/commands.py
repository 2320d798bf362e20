"""The command menu Telegram shows, in English and in Chinese."""

from __future__ import annotations

from telegram import Bot, BotCommand

from bot.core.texts import t

__all__ = ["MENU", "publish_commands"]

MENU = (
    "start",
    "help",
    "export",
    "status",
    "credits",
    "new",
    "cancel",
    "web",
    "lang",
    "login",
    "logout",
)


def commands(lang: str) -> list[BotCommand]:
    """The menu in `lang`."""
    return [BotCommand(name, t(f"cmd_{name}", lang)) for name in MENU]


async def publish_commands(bot: Bot) -> None:
    """Set the menu for everyone (English) and for Chinese-speaking users."""
    await bot.set_my_commands(commands("en"))
    await bot.set_my_commands(commands("zh"), language_code="zh")
