"""A cheap recording Outbox: timestamps every reply, counts final answers per chat."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.messages import Attachment, ChatRef
from bot.core.outbox import Keyboard, Limits, OutboxError, VideoFile

__all__ = ["BenchOutbox", "Reply"]

_FINAL_MARK = "nemo:export:"  # the action buttons under every finished agent answer


@dataclass(slots=True)
class Reply:
    """One thing the bot did in a chat, with when it did it (perf_counter)."""

    kind: str  # text | edit | image | video | file | delete
    at: float
    text: str = ""
    final: bool = False  # an agent answer in its finished form (it carries the buttons)
    size: int = 0  # bytes of a sent file


@dataclass
class BenchOutbox:
    """Records replies without copying files; waiters are woken per chat only."""

    limits_value: Limits = field(default_factory=lambda: Limits(rates=()))
    platform: str = "console"
    chats: dict[str, list[Reply]] = field(default_factory=lambda: defaultdict(list))
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changed: dict[str, asyncio.Event] = field(default_factory=dict)

    def _record(self, chat: ChatRef, reply: Reply) -> str:
        self.chats[chat.chat_id].append(reply)
        event = self._changed.get(chat.chat_id)
        if event is not None:
            event.set()
        return str(next(self._ids))

    def limits(self, chat: ChatRef) -> Limits:
        return self.limits_value

    async def send_text(self, chat: ChatRef, text: str, buttons: Keyboard = ()) -> str:
        return self._record(chat, Reply("text", time.perf_counter(), text, _final(buttons)))

    async def edit_text(
        self, chat: ChatRef, message_id: str, text: str, buttons: Keyboard = ()
    ) -> None:
        self._record(chat, Reply("edit", time.perf_counter(), text, _final(buttons)))

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool:
        self._record(chat, Reply("delete", time.perf_counter()))
        return True

    async def send_draft(self, chat: ChatRef, draft_id: int, text: str) -> None:
        return None

    async def send_typing(self, chat: ChatRef, action: str = "typing") -> None:
        return None

    async def send_images(
        self, chat: ChatRef, images: Sequence[Path], caption: str = "", buttons: Keyboard = ()
    ) -> list[str]:
        return [
            self._record(chat, Reply("image", time.perf_counter(), caption, size=p.stat().st_size))
            for p in images
        ]

    async def send_video(
        self, chat: ChatRef, video: VideoFile, caption: str = "", buttons: Keyboard = ()
    ) -> str:
        size = video.path.stat().st_size
        return self._record(chat, Reply("video", time.perf_counter(), caption, size=size))

    async def fetch_attachment(self, attachment: Attachment, dest: Path, limit: int) -> Path:
        raise OutboxError("the benchmarks send no attachments")

    # -- for the benchmarks ------------------------------------------------------------------

    def count(self, chat_id: str, kind: str) -> int:
        """How many replies of `kind` ("final" = finished agent answers) the chat got."""
        replies = self.chats.get(chat_id, [])
        if kind == "final":
            return sum(1 for r in replies if r.final)
        return sum(1 for r in replies if r.kind == kind)

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


def _final(buttons: Keyboard) -> bool:
    return any(b.data.startswith(_FINAL_MARK) for row in buttons for b in row)
