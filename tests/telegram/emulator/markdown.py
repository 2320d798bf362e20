"""Telegram's MarkdownV2 and legacy Markdown parse modes, ported from tdlib."""

from __future__ import annotations

from dataclasses import dataclass

from .utf16 import (
    Entity,
    EntityParseError,
    byte_offset,
    link_entity,
    make_entity,
    sort_entities,
    utf16_len,
)

RESERVED = "_*[]()~`>#+-=|{}.!"
# tdlib prints entity types by these names in "Can't find end of <Type> entity".
TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}
SPACES = " \t\r\n\x0b\x00"


def _reserved_error(char: str) -> EntityParseError:
    return EntityParseError(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )


@dataclass
class _Open:
    kind: str
    offset: int
    byte_pos: int
    piece_index: int
    language: str | None = None


class _MarkdownV2Parser:
    def __init__(self, text: str) -> None:
        self.src = text
        self.pieces: list[str] = []
        self.offset = 0
        self.stack: list[_Open] = []
        self.entities: list[Entity] = []
        self.quote_start: int | None = None

    def char(self, index: int) -> str:
        return self.src[index] if index < len(self.src) else "\x00"

    def emit(self, text: str) -> None:
        self.pieces.append(text)
        self.offset += utf16_len(text)

    def in_code(self) -> bool:
        return bool(self.stack) and self.stack[-1].kind in ("code", "pre")

    def parse(self) -> tuple[str, list[Entity]]:
        i = 0
        while i < len(self.src):
            i = self.step(i)
        self.close_quote()
        if self.stack:
            top = self.stack[-1]
            raise EntityParseError(
                f"Can't find end of {TYPE_NAMES[top.kind]} entity at byte offset "
                f"{byte_offset(self.src, top.byte_pos)}"
            )
        return "".join(self.pieces), sort_entities(self.entities)

    def step(self, i: int) -> int:
        ch = self.src[i]
        if ch == "\\" and "\x00" < self.char(i + 1) <= "~":
            self.emit(self.src[i + 1])
            return i + 2
        if ch == ">" and (i == 0 or self.src[i - 1] == "\n") and not self.in_code():
            if self.quote_start is None:
                self.quote_start = self.offset
            return i + 1
        if ch == "\n" and self.quote_start is not None and self.char(i + 1) != ">":
            self.close_quote()
        reserved = "`" if self.in_code() else RESERVED
        if ch not in reserved:
            self.emit(ch)
            return i + 1
        if self.stack and self.is_end(self.stack[-1].kind, i):
            return self.end_entity(i)
        return self.begin_entity(i)

    def close_quote(self) -> None:
        if self.quote_start is not None and self.offset > self.quote_start:
            length = self.offset - self.quote_start
            self.entities.append(make_entity("blockquote", self.quote_start, length))
        self.quote_start = None

    def is_end(self, kind: str, i: int) -> bool:
        ch, nxt = self.src[i], self.char(i + 1)
        return {
            "bold": ch == "*",
            "italic": ch == "_" and nxt != "_",
            "underline": ch == "_" and nxt == "_",
            "strikethrough": ch == "~",
            "spoiler": ch == "|" and nxt == "|",
            "code": ch == "`",
            "pre": self.src[i : i + 3] == "```",
            "text_link": ch == "]",
        }[kind]

    def begin_entity(self, i: int) -> int:
        ch, start = self.src[i], i
        language = None
        if ch == "_" and self.char(i + 1) == "_":
            kind, i = "underline", i + 2
        elif ch in "_*~[":
            kind = {"_": "italic", "*": "bold", "~": "strikethrough", "[": "text_link"}[ch]
            i += 1
        elif ch == "|" and self.char(i + 1) == "|":
            kind, i = "spoiler", i + 2
        elif self.src[i : i + 3] == "```":
            kind = "pre"
            i, language = _pre_header(self.src, i + 3)
        elif ch == "`":
            kind, i = "code", i + 1
        else:
            raise _reserved_error(ch)
        self.stack.append(_Open(kind, self.offset, start, len(self.pieces), language))
        return i

    def end_entity(self, i: int) -> int:
        top = self.stack.pop()
        length = self.offset - top.offset
        width = {"underline": 2, "spoiler": 2, "pre": 3}.get(top.kind, 1)
        i += width
        if top.kind == "text_link":
            return self.end_link(top, i, length)
        if length > 0:
            language = top.language if top.kind == "pre" else None
            self.entities.append(make_entity(top.kind, top.offset, length, language=language))
        return i

    def end_link(self, top: _Open, i: int, length: int) -> int:
        if self.char(i) != "(":
            url = "".join(self.pieces[top.piece_index :])
        else:
            i += 1
            url_start = i
            chars: list[str] = []
            while i < len(self.src) and self.src[i] != ")":
                if self.src[i] == "\\" and "\x00" < self.char(i + 1) <= "~":
                    chars.append(self.src[i + 1])
                    i += 2
                    continue
                chars.append(self.src[i])
                i += 1
            if i >= len(self.src):
                raise EntityParseError(
                    f"Can't find end of a URL at byte offset {byte_offset(self.src, url_start)}"
                )
            i += 1
            url = "".join(chars)
        entity = link_entity(top.offset, length, url) if length > 0 else None
        if entity is not None:
            self.entities.append(entity)
        return i


def _pre_header(src: str, i: int) -> tuple[int, str | None]:
    """Skip an optional language name and one leading newline after an opening ```."""
    end = i
    while end < len(src) and src[end] not in SPACES and src[end] != "`":
        end += 1
    language = None
    if end != i and end < len(src) and src[end] != "`":
        language, i = src[i:end], end
    if i < len(src) and src[i] in "\r\n":
        pair = src[i : i + 2]
        i += 2 if len(pair) == 2 and pair[1] in "\r\n" and pair[0] != pair[1] else 1
    return i, language


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    """Parse MarkdownV2 into (plain text, entities); raises EntityParseError."""
    return _MarkdownV2Parser(text).parse()


def parse_markdown(text: str) -> tuple[str, list[Entity]]:
    """Parse legacy Markdown (*bold*, _italic_, `code`, ```pre```, [text](url))."""
    pieces: list[str] = []
    entities: list[Entity] = []
    offset, i = 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and text[i + 1 : i + 2] in ("_", "*", "`", "["):
            pieces.append(text[i + 1])
            offset += 1
            i += 2
            continue
        if ch not in "_*`[":
            pieces.append(ch)
            offset += utf16_len(ch)
            i += 1
            continue
        i, offset = _legacy_entity(text, i, pieces, entities, offset)
    return "".join(pieces), sort_entities(entities)


def _legacy_entity(
    text: str, begin: int, pieces: list[str], entities: list[Entity], offset: int
) -> tuple[int, int]:
    ch = text[begin]
    end_char = "]" if ch == "[" else ch
    i = begin + 1
    is_pre = ch == "`" and text[i : i + 2] == "``"
    language = None
    if is_pre:
        i, language = _pre_header(text, i + 2)
    start_offset = offset
    while i < len(text) and (text[i] != end_char or (is_pre and text[i + 1 : i + 3] != "``")):
        pieces.append(text[i])
        offset += utf16_len(text[i])
        i += 1
    if i >= len(text):
        raise EntityParseError(
            f"Can't find end of the entity starting at byte offset {byte_offset(text, begin)}"
        )
    length = offset - start_offset
    if ch == "[":
        url = text[begin + 1 : i]
        if text[i + 1 : i + 2] == "(":
            close = text.find(")", i + 2)
            close = len(text) if close < 0 else close
            url, i = text[i + 2 : close], close
        entity = link_entity(start_offset, length, url) if length else None
    else:
        kind = {"_": "italic", "*": "bold", "`": "pre" if is_pre else "code"}[ch]
        entity = make_entity(kind, start_offset, length, language=language) if length else None
    if entity is not None:
        entities.append(entity)
    return i + (3 if is_pre else 1), offset
