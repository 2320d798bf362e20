"""/help's text: what the bot understands, then every listed command of the registry."""

from __future__ import annotations

from bot.core.registry import Registry
from bot.core.texts import t

__all__ = ["help_text"]


def help_text(registry: Registry, lang: str, *, typed_buttons: bool = False) -> str:
    """The whole answer to /help in `lang` (with how to press typed buttons, where asked)."""
    lines = [t("help", lang), t("help_commands", lang)]
    lines += [
        t("help_command", lang, usage=spec.usage(), description=spec.description(lang))
        for spec in registry.menu
    ]
    if typed_buttons:
        lines.append(t("help_typed_buttons", lang))
    return "\n".join(lines)
