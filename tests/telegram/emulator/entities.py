"""From a request's text + parse_mode/entities to what a client sees, with Telegram's limits."""

from __future__ import annotations

import re
from typing import Any

from . import errors
from .errors import ApiError
from .html import parse_html
from .markdown import parse_markdown, parse_markdown_v2
from .utf16 import Entity, EntityParseError, trim_formatted, utf16_len

MAX_TEXT = 4096
MAX_CAPTION = 1024
COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
MENTION_RE = re.compile(r"(?<![A-Za-z0-9_@])@[A-Za-z][A-Za-z0-9_]{3,31}(?![A-Za-z0-9_])")

__all__ = [
    "MAX_CAPTION",
    "MAX_TEXT",
    "Entity",
    "auto_entities",
    "command_entities",
    "mention_entities",
    "parse_caption",
    "parse_formatted",
    "parse_message_text",
    "utf16_len",
]


def parse_formatted(
    text: str, parse_mode: str | None, entities: Any, *, strict_ampersand: bool = True
) -> tuple[str, list[Entity]]:
    """Apply parse_mode (or take explicit entities) and trim, like the server does."""
    if entities:
        if not isinstance(entities, list):
            raise errors.bad_request("can't parse entities JSON object")
        return trim_formatted(text, [dict(entity) for entity in entities])
    mode = (parse_mode or "").lower()
    try:
        if mode == "html":
            plain, found = parse_html(text, strict_ampersand=strict_ampersand)
        elif mode == "markdownv2":
            plain, found = parse_markdown_v2(text)
        elif mode == "markdown":
            plain, found = parse_markdown(text)
        elif mode in ("", "none"):
            plain, found = text, []
        else:
            raise ApiError(400, errors.UNSUPPORTED_PARSE_MODE)
    except EntityParseError as exc:
        raise errors.bad_request(f"can't parse entities: {exc}") from None
    return trim_formatted(plain, found)


def parse_message_text(
    text: str | None,
    parse_mode: str | None,
    entities: Any,
    *,
    strict_ampersand: bool = True,
    allow_empty: bool = False,
) -> tuple[str, list[Entity]]:
    """A message text: 1-4096 UTF-16 units after parsing (0 allowed for drafts)."""
    plain, found = parse_formatted(
        text or "", parse_mode, entities, strict_ampersand=strict_ampersand
    )
    if not plain and not allow_empty:
        raise ApiError(400, errors.TEXT_EMPTY)
    if utf16_len(plain) > MAX_TEXT:
        raise ApiError(400, errors.MESSAGE_TOO_LONG)
    return plain, found


def parse_caption(
    caption: str | None, parse_mode: str | None, entities: Any, *, strict_ampersand: bool = True
) -> tuple[str | None, list[Entity]]:
    """A media caption: 0-1024 UTF-16 units after parsing; None when absent or empty."""
    if caption is None:
        return None, []
    plain, found = parse_formatted(caption, parse_mode, entities, strict_ampersand=strict_ampersand)
    if utf16_len(plain) > MAX_CAPTION:
        raise ApiError(400, errors.CAPTION_TOO_LONG)
    return (plain or None), found


def _span_entity(text: str, start: int, end: int, kind: str) -> Entity:
    offset = utf16_len(text[:start])
    return {"type": kind, "offset": offset, "length": utf16_len(text[start:end])}


def command_entities(text: str) -> list[Entity]:
    """The bot_command entity of a leading "/cmd" or "/cmd@bot", as clients send it."""
    match = COMMAND_RE.match(text)
    if match is None:
        return []
    return [_span_entity(text, 0, match.end(), "bot_command")]


def mention_entities(text: str, username: str) -> list[Entity]:
    """A "mention" entity for every "@username" occurrence (case-insensitive)."""
    pattern = re.compile(rf"@{re.escape(username)}(?![A-Za-z0-9_])", re.IGNORECASE)
    return [_span_entity(text, m.start(), m.end(), "mention") for m in pattern.finditer(text)]


def auto_entities(text: str) -> list[Entity]:
    """What the server detects in a user's text by itself: a leading command and @mentions."""
    found = command_entities(text)
    for match in MENTION_RE.finditer(text):
        if found and found[0]["offset"] == 0 and match.start() < found[0]["length"]:
            continue
        found.append(_span_entity(text, match.start(), match.end(), "mention"))
    return found
