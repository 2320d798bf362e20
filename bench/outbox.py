"""A cheap Outbox for the benchmarks: classifies every reply, keeps it or streams it.

In-process benchmarks (relay, render) keep every reply with a stamp and wait on it. The
bot process of the crowd benchmarks (`bench/botproc.py`) keeps nothing: each reply becomes
one short line (`chat <TAB> code <TAB> stamp`) handed to a sink that streams it to the load
generator, so the bot holds no per-chat bookkeeping of the benchmark's own.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import monotonic
from bot.core.messages import Attachment, ChatRef
from bot.core.outbox import Keyboard, Limits, OutboxError, VideoFile
from bot.core.texts import t

__all__ = ["CODES", "QUEUE_NOTICE", "TROUBLE", "BenchOutbox", "Reply", "classify"]

_FINAL_MARK = "nemo:export:"  # the action buttons under every finished agent answer

# Texts a smooth conversation never shows: error lines, timeouts. ("You're #2 in line" is
# not trouble: a simulated user answers quickly, while the bot may still be wrapping up the
# previous turn; it is counted separately.)
QUEUE_NOTICE = "queued"
TROUBLE = (
    *("queue_full", "slow_down", "interrupted", "still_working", "token_refused"),
    *("stream_dropped", "stream_failed", "turn_timeout"),
    *("export_busy", "export_empty", "export_failed", "export_lost", "export_too_big"),
    *("err_credits_anon", "err_credits", "err_auth_fixed", "err_auth_login", "err_rate"),
    *("err_down", "err_export_blocked", "err_session", "err_generic", "err_internal"),
)
_TROUBLE_PREFIXES = tuple(t(key).split("{", 1)[0] for key in TROUBLE)
_QUEUED_PREFIX = t(QUEUE_NOTICE).split("{", 1)[0]

# One letter per kind of reply, as streamed: F finished answer (text or edit carrying the
# answer buttons), I image, V video, X error/stray text, Q queue-place notice, t other text,
# e other edit (live previews), d delete.
CODES = {
    "F": "final",
    "I": "image",
    "V": "video",
    "X": "trouble",
    "Q": "queued",
    "t": "text",
    "e": "edit",
    "d": "delete",
}


def classify(kind: str, text: str, buttons: Keyboard) -> str:
    """The one-letter code of a reply (see CODES)."""
    if kind in ("text", "edit"):
        if any(b.data.startswith(_FINAL_MARK) for row in buttons for b in row):
            return "F"
        if text.startswith(_TROUBLE_PREFIXES):
            return "X"
        if text.startswith(_QUEUED_PREFIX):
            return "Q"
        return "t" if kind == "text" else "e"
    return {"image": "I", "video": "V", "delete": "d"}[kind]


@dataclass(slots=True)
class Reply:
    """One thing the bot did in a chat, with when it did it (CLOCK_MONOTONIC)."""

    code: str  # see CODES
    at: float
    text: str = ""
    size: int = 0  # bytes of a sent file

    @property
    def final(self) -> bool:
        """An agent answer in its finished form (it carries the buttons)."""
        return self.code == "F"


Sink = Callable[[str], None]


@dataclass
class BenchOutbox:
    """Records or streams replies without copying files; waiters are woken per chat only."""

    limits_value: Limits = field(default_factory=lambda: Limits(rates=()))
    platform: str = "console"
    sink: Sink | None = None  # set: stream one line per reply and keep nothing
    chats: dict[str, list[Reply]] = field(default_factory=lambda: defaultdict(list))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changed: dict[str, asyncio.Event] = field(default_factory=dict)

    def _record(
        self, chat: ChatRef, kind: str, text: str = "", buttons: Keyboard = (), size: int = 0
    ) -> str:
        code = classify(kind, text, buttons)
        at = monotonic()
        if self.sink is not None:
            self.sink(f"{chat.chat_id}\t{code}\t{at:.6f}\n")
        else:
            self.chats[chat.chat_id].append(Reply(code, at, text, size))
            event = self._changed.get(chat.chat_id)
            if event is not None:
                event.set()
        return str(next(self._ids))

    def limits(self, chat: ChatRef) -> Limits:
        return self.limits_value

    async def send_text(self, chat: ChatRef, text: str, buttons: Keyboard = ()) -> str:
        return self._record(chat, "text", text, buttons)

    async def edit_text(
        self, chat: ChatRef, message_id: str, text: str, buttons: Keyboard = ()
    ) -> None:
        self._record(chat, "edit", text, buttons)

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool:
        self._record(chat, "delete")
        return True

    async def send_typing(self, chat: ChatRef, action: str = "typing") -> None:
        return None

    async def send_images(
        self, chat: ChatRef, images: Sequence[Path], caption: str = "", buttons: Keyboard = ()
    ) -> list[str]:
        return [self._record(chat, "image", caption, size=p.stat().st_size) for p in images]

    async def send_video(
        self, chat: ChatRef, video: VideoFile, caption: str = "", buttons: Keyboard = ()
    ) -> str:
        return self._record(chat, "video", caption, size=video.path.stat().st_size)

    async def fetch_attachment(self, attachment: Attachment, dest: Path, limit: int) -> Path:
        raise OutboxError("the benchmarks send no attachments")

    # -- for the in-process benchmarks ---------------------------------------------------------

    def count(self, chat_id: str, kind: str) -> int:
        """How many replies of `kind` (a CODES value, e.g. "final", "image") the chat got."""
        return sum(1 for r in self.chats.get(chat_id, []) if CODES[r.code] == kind)

    def last_at(self, chat_id: str) -> float:
        """When the chat's latest reply went out."""
        return self.chats[chat_id][-1].at

    async def wait_until(
        self, chat_id: str, *, finals: int = 0, images: int = 0, videos: int = 0
    ) -> None:
        """Wait until the chat has at least these many finals, images and videos."""
        event = self._changed.setdefault(chat_id, asyncio.Event())
        while True:
            event.clear()
            if (
                self.count(chat_id, "final") >= finals
                and self.count(chat_id, "image") >= images
                and self.count(chat_id, "video") >= videos
            ):
                return
            await event.wait()
