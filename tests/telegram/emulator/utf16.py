"""UTF-16 arithmetic and entity bookkeeping shared by the text parsers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

Entity = dict[str, Any]
# tdlib's notion of white space when trimming a message text.
TRIM_CHARS = " \t\r\n\x0b\x0c"


class EntityParseError(ValueError):
    """A parse_mode markup error; str() is the detail after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units, the unit of Telegram offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of `text[index]`, as tdlib reports positions in errors."""
    return len(text[:index].encode("utf-8", "surrogatepass"))


def make_entity(kind: str, offset: int, length: int, **extra: Any) -> Entity:
    """A MessageEntity dict with the optional fields that are set."""
    entity: Entity = {"type": kind, "offset": offset, "length": length}
    entity.update({key: value for key, value in extra.items() if value is not None})
    return entity


def sort_entities(entities: list[Entity]) -> list[Entity]:
    """Telegram's order: by offset, then outer (longer) entities first."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def trim_formatted(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip leading/trailing white space like the server does, keeping entities aligned."""
    stripped = text.strip(TRIM_CHARS)
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip(TRIM_CHARS))])
    total = utf16_len(stripped)
    result: list[Entity] = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def normalize_url(url: str) -> str | None:
    """tdlib's link check, simplified: None for an invalid link, else the normalized URL."""
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    if "://" not in url:
        url = f"http://{url}"
    parts = urlsplit(url)
    if parts.scheme.lower() in ("tg", "ton"):
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if not parts.path and not parts.query and not parts.fragment:
        url += "/"
    return url


def text_mention_user(url: str) -> int | None:
    """The user id of a tg://user?id=N link (rendered as a text_mention), else None."""
    prefix = "tg://user?id="
    if url.startswith(prefix) and url[len(prefix) :].isdigit():
        return int(url[len(prefix) :])
    return None


def link_entity(offset: int, length: int, url: str) -> Entity | None:
    """A text_link / text_mention entity for `url`, or None when the link is invalid."""
    user_id = text_mention_user(url)
    if user_id is not None:
        user = {"id": user_id, "is_bot": False, "first_name": ""}
        return make_entity("text_mention", offset, length, user=user)
    normalized = normalize_url(url)
    if normalized is None:
        return None
    return make_entity("text_link", offset, length, url=normalized)
