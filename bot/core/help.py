"""/help's text: what the bot understands, then every listed command of the registry."""

from __future__ import annotations

from bot.core.registry import Registry
from bot.core.texts import t

__all__ = ["help_text"]


def help_text(
    registry: Registry, lang: str, *, typed_buttons: bool = False, inline_handle: str | None = None
) -> str:
    """The whole answer to /help in `lang` (with how to press typed buttons, and how to use
    inline mode as `inline_handle`, where asked)."""
    lines = [t("help", lang)]
    if inline_handle:
        lines.append(t("help_inline", lang, handle=inline_handle))
    lines.append(t("help_commands", lang))
    lines += [
        t("help_command", lang, usage=spec.usage(), description=spec.description(lang))
        for spec in registry.menu
    ]
    if typed_buttons:
        lines.append(t("help_typed_buttons", lang))
    return "\n".join(lines)
