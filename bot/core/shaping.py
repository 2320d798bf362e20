"""Message shaping: text fitted to what a platform takes, counted as the platforms count.

Platforms count characters in UTF-16 code units. A long answer is split on line boundaries
(else at a space), an edit or a caption that must stay one message is cut with an ellipsis,
and an edit that would show what is already shown is recognised so it can be skipped.
"""

from __future__ import annotations

from collections import OrderedDict

from bot.core.messages import ChatRef
from bot.core.outbox import Keyboard

__all__ = ["Shown", "cut_text", "split_text", "utf16_len"]

_ELLIPSIS = "…"
_SHOWN_CACHE = 4096  # messages remembered for skipping identical edits


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the strictest way platforms count characters."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _fit(text: str, limit: int) -> int:
    """The longest prefix length (in characters) of `text` within `limit` UTF-16 units."""
    end = min(len(text), limit)
    while end > 0 and utf16_len(text[:end]) > limit:
        end -= max(1, (utf16_len(text[:end]) - limit) // 2)
    return end


def split_text(text: str, limit: int) -> list[str]:
    """Cut `text` into messages within `limit`, at a line break, else a space, if possible."""
    chunks: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        end = max(1, _fit(rest, limit))  # a character wider than the limit still moves on
        cut = rest.rfind("\n", end // 2, end)
        if cut <= 0:
            cut = rest.rfind(" ", end // 2, end)
        if cut <= 0:
            cut = end
        chunk = rest[:cut].rstrip()
        if chunk:  # leading whitespace alone is not a message
            chunks.append(chunk)
        rest = rest[cut:].lstrip()
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def cut_text(text: str, limit: int) -> str:
    """`text` within `limit`, cut at a line or word and marked with an ellipsis."""
    if utf16_len(text) <= limit:
        return text
    head = split_text(text, max(1, limit - 1))[0].rstrip()
    while head and utf16_len(head) + 1 > limit:  # a wide character at a tiny limit
        head = head[:-1]
    return head + _ELLIPSIS if limit >= 1 else ""


class Shown:
    """What the latest messages show, to skip edits that would change nothing."""

    def __init__(self, size: int = _SHOWN_CACHE) -> None:
        self._size = size
        self._shown: OrderedDict[tuple[object, ...], tuple[str, Keyboard]] = OrderedDict()

    def same(self, chat: ChatRef, message_id: str, text: str, buttons: Keyboard) -> bool:
        """The message already shows exactly this."""
        return self._shown.get((chat.key, message_id)) == (text, buttons)

    def remember(self, chat: ChatRef, message_id: str, text: str, buttons: Keyboard) -> None:
        """The message now shows this."""
        self._shown[(chat.key, message_id)] = (text, buttons)
        self._shown.move_to_end((chat.key, message_id))
        while len(self._shown) > self._size:
            self._shown.popitem(last=False)

    def forget(self, chat: ChatRef, message_id: str) -> None:
        """The message is gone."""
        self._shown.pop((chat.key, message_id), None)
