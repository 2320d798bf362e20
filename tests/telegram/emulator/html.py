"""Telegram's HTML parse_mode, ported from tdlib's parse_html (same errors, same offsets)."""

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

SPACES = " \t\r\n\x0b\x00"
SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
SUPPORTED_TAGS = frozenset({*SIMPLE_TAGS, "a", "tg-emoji", "pre", "code", "blockquote"})
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def decode_html_entity(text: str, pos: int) -> tuple[str | None, int]:
    """Decode the character reference at text[pos] == "&"; (None, pos) when there is none."""
    end = pos + 1
    char: str | None
    if text[end : end + 1] == "#":
        end += 1
        is_hex = text[end : end + 1] in ("x", "X")
        end += is_hex
        digits = "0123456789abcdefABCDEF" if is_hex else "0123456789"
        start = end
        while end < len(text) and text[end] in digits and end - start < 8:
            end += 1
        if end == start:
            return None, pos
        code = int(text[start:end], 16 if is_hex else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None, pos
        char = chr(code)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        char = NAMED_ENTITIES.get(text[pos + 1 : end])
        if char is None:
            return None, pos
    if text[end : end + 1] == ";":
        end += 1
    return char, end


@dataclass
class _OpenTag:
    name: str
    argument: str
    offset: int
    piece_index: int
    expandable: bool


class _HtmlParser:
    def __init__(self, text: str, strict_ampersand: bool) -> None:
        self.src = text
        self.strict_ampersand = strict_ampersand
        self.pieces: list[str] = []
        self.offset = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[Entity] = []

    def error(self, message: str) -> EntityParseError:
        return EntityParseError(message)

    def at(self, index: int) -> int:
        return byte_offset(self.src, index)

    def char(self, index: int) -> str:
        return self.src[index] if index < len(self.src) else "\x00"

    def emit(self, text: str) -> None:
        self.pieces.append(text)
        self.offset += utf16_len(text)

    def parse(self) -> tuple[str, list[Entity]]:
        i = 0
        while i < len(self.src):
            ch = self.src[i]
            if ch == "&":
                i = self.ampersand(i)
            elif ch != "<":
                self.emit(ch)
                i += 1
            elif self.char(i + 1) == "/":
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            name = self.stack[-1].name
            raise self.error(f'Can\'t find end tag corresponding to start tag "{name}"')
        return "".join(self.pieces), sort_entities(self.entities)

    def ampersand(self, i: int) -> int:
        char, end = decode_html_entity(self.src, i)
        if char is not None:
            self.emit(char)
            return end
        if self.strict_ampersand:
            raise self.error(
                f'Character "&" at byte offset {self.at(i)} must be escaped as "&amp;"'
            )
        self.emit("&")
        return i + 1

    def skip_spaces(self, i: int) -> int:
        while i < len(self.src) and self.src[i] in SPACES:
            i += 1
        return i

    def start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.char(i) not in SPACES and self.char(i) != ">":
            i += 1
        if i >= len(self.src):
            raise self.error(f"Unclosed start tag at byte offset {self.at(begin)}")
        name = self.src[begin + 1 : i].lower()
        if name not in SUPPORTED_TAGS:
            raise self.error(f'Unsupported start tag "{name}" at byte offset {self.at(begin)}')
        argument, expandable = "", False
        while self.char(i) != ">":
            i, attribute, value = self.attribute(i, name, begin)
            if attribute is None:
                continue
            if attribute == "expandable":
                expandable = expandable or name == "blockquote"
            argument = self.tag_argument(name, attribute, value) or argument
        if name == "span" and argument != "spoiler":
            raise self.error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.at(begin)}'
            )
        self.stack.append(_OpenTag(name, argument, self.offset, len(self.pieces), expandable))
        return i + 1

    def attribute(self, i: int, tag: str, begin: int) -> tuple[int, str | None, str]:
        """Parse one attribute; returns (next index, name or None at '>', value)."""
        i = self.skip_spaces(i)
        if self.char(i) == ">":
            return i, None, ""
        start = i
        while self.char(i) not in SPACES and self.char(i) not in "=>":
            i += 1
        name = self.src[start:i].lower()
        if not name:
            raise self.error(
                f'Empty attribute name in the tag "{tag}" at byte offset {self.at(begin)}'
            )
        i = self.skip_spaces(i)
        if self.char(i) != "=":
            if tag == "blockquote" and name == "expandable":
                return i, name, ""
            raise self.error(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag}" at byte offset {self.at(begin)}'
            )
        i = self.skip_spaces(i + 1)
        if i >= len(self.src):
            raise self.error(f"Unclosed start tag at byte offset {self.at(begin)}")
        i, value = self.attribute_value(i)
        if i >= len(self.src):
            raise self.error(f"Unclosed start tag at byte offset {self.at(begin)}")
        return i, name, value

    def attribute_value(self, i: int) -> tuple[int, str]:
        quote = self.src[i]
        if quote not in "'\"":
            start = i
            while self.char(i).isascii() and (self.char(i).isalnum() or self.char(i) in ".-"):
                i += 1
            if self.char(i) not in SPACES and self.char(i) != ">":
                raise self.error(f"Unexpected end of name token at byte offset {self.at(start)}")
            return i, self.src[start:i].lower()
        i += 1
        value: list[str] = []
        while i < len(self.src) and self.src[i] != quote:
            if self.src[i] == "&":
                char, end = decode_html_entity(self.src, i)
                if char is not None:
                    value.append(char)
                    i = end
                    continue
            value.append(self.src[i])
            i += 1
        return i + 1 if i < len(self.src) else i, "".join(value)

    @staticmethod
    def tag_argument(tag: str, attribute: str, value: str) -> str | None:
        if tag == "a" and attribute == "href":
            return value
        if tag == "code" and attribute == "class" and value.startswith("language-"):
            return value[len("language-") :]
        if tag == "span" and attribute == "class" and value.startswith("tg-"):
            return value[len("tg-") :]
        if tag == "tg-emoji" and attribute == "emoji-id":
            return value
        return None

    def end_tag(self, begin: int) -> int:
        if not self.stack:
            raise self.error(f"Unexpected end tag at byte offset {self.at(begin)}")
        i = begin + 2
        while self.char(i) not in SPACES and self.char(i) != ">":
            i += 1
        end_name = self.src[begin + 2 : i].lower()
        i = self.skip_spaces(i)
        if self.char(i) != ">":
            raise self.error(f"Unclosed end tag at byte offset {self.at(begin)}")
        top = self.stack[-1]
        if end_name and end_name != top.name:
            raise self.error(
                f'Unmatched end tag at byte offset {self.at(begin)}, expected "</{top.name}>", '
                f'found "</{end_name}>"'
            )
        if self.offset > top.offset:
            self.close_entity(top)
        self.stack.pop()
        return i + 1

    def close_entity(self, tag: _OpenTag) -> None:
        length = self.offset - tag.offset
        if tag.name in SIMPLE_TAGS:
            self.entities.append(make_entity(SIMPLE_TAGS[tag.name], tag.offset, length))
        elif tag.name == "a":
            url = tag.argument or "".join(self.pieces[tag.piece_index :])
            entity = link_entity(tag.offset, length, url)
            if entity is not None:
                self.entities.append(entity)
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit():
                raise self.error("Invalid custom emoji identifier specified")
            self.entities.append(
                make_entity("custom_emoji", tag.offset, length, custom_emoji_id=tag.argument)
            )
        elif tag.name == "code":
            language = tag.argument or None
            self.entities.append(make_entity("code", tag.offset, length, language=language))
        elif tag.name == "pre":
            self.close_pre(tag, length)
        else:
            kind = "expandable_blockquote" if tag.expandable else "blockquote"
            self.entities.append(make_entity(kind, tag.offset, length))

    def close_pre(self, tag: _OpenTag, length: int) -> None:
        last = self.entities[-1] if self.entities else None
        language = None
        if (
            last is not None
            and last["type"] == "code"
            and (last["offset"], last["length"]) == (tag.offset, length)
        ):
            # <pre><code class="language-x">…</code></pre> is one pre entity with a language.
            language = last.get("language")
            self.entities.pop()
        self.entities.append(make_entity("pre", tag.offset, length, language=language))


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[Entity]]:
    """Parse Telegram HTML into (plain text, entities); raises EntityParseError."""
    plain, entities = _HtmlParser(text, strict_ampersand).parse()
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return plain, entities
