"""Text for Telegram: HTML-escaped (with the agent's **bold** and `code` kept), and keyboards."""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.outbox import Keyboard

__all__ = ["keyboard", "to_html"]

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")


def to_html(text: str) -> str:
    """`text` safe for parse_mode HTML; its length after parsing never grows."""
    escaped = html.escape(text, quote=False)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    return _BOLD.sub(r"<b>\1</b>", escaped)


def keyboard(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    """An inline keyboard with the core's rows, or None for no buttons."""
    rows = [
        [InlineKeyboardButton(button.label, callback_data=button.data) for button in row]
        for row in buttons
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None
