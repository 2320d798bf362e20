"""The command menu Telegram shows, in English and in Chinese, from the core's registry."""

from __future__ import annotations

from telegram import Bot, BotCommand

from bot.core.registry import IntentSpec, Registry
from bot.core.texts import LANGUAGES, t

__all__ = ["menu", "publish_commands"]


def menu(registry: Registry, lang: str, inline_handle: str | None = None) -> list[BotCommand]:
    """Every listed command of `registry`, described in `lang`; with inline mode on
    (`inline_handle`), /help's line says how to use it."""
    return [BotCommand(spec.name, _described(spec, lang, inline_handle)) for spec in registry.menu]


def _described(spec: IntentSpec, lang: str, inline_handle: str | None) -> str:
    if spec.name == "help" and inline_handle:
        return t("cmd_help_inline", lang, handle=inline_handle)
    return spec.description(lang)


async def publish_commands(bot: Bot, registry: Registry, inline_handle: str | None = None) -> None:
    """Set the menu for everyone (English) and for the users of each other language."""
    await bot.set_my_commands(menu(registry, "en", inline_handle))
    for lang in LANGUAGES:
        if lang != "en":
            await bot.set_my_commands(menu(registry, lang, inline_handle), language_code=lang)
