"""The command menu Telegram shows, in English and in Chinese, from the core's registry."""

from __future__ import annotations

from telegram import Bot, BotCommand

from bot.core.registry import Registry
from bot.core.texts import LANGUAGES

__all__ = ["menu", "publish_commands"]


def menu(registry: Registry, lang: str) -> list[BotCommand]:
    """Every listed command of `registry`, described in `lang`."""
    return [BotCommand(spec.name, spec.description(lang)) for spec in registry.menu]


async def publish_commands(bot: Bot, registry: Registry) -> None:
    """Set the menu for everyone (English) and for the users of each other language."""
    await bot.set_my_commands(menu(registry, "en"))
    for lang in LANGUAGES:
        if lang != "en":
            await bot.set_my_commands(menu(registry, lang), language_code=lang)
