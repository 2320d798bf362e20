"""A recording Outbox for the pacing and live-message unit tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.messages import Attachment, ChatRef
from bot.core.outbox import Keyboard, Limits, OutboxError, OutboxRetryLater, VideoFile


@dataclass
class Call:
    """One call the core made."""

    kind: str
    chat: str
    message_id: str
    text: str
    buttons: Keyboard
    at: float


@dataclass
class FakeOutbox:
    """Records calls with their loop time; can be told to refuse."""

    limits_value: Limits = field(default_factory=Limits)
    platform: str = "test"
    calls: list[Call] = field(default_factory=list)
    fail_edits: bool = False
    fail_sends: int = 0  # refuse this many sends
    retry_after: list[float] = field(default_factory=list)  # answer the next calls with 429s
    typing: int = 0
    fail_typing: bool = False
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _next_id: int = 0

    def limits(self, chat: ChatRef) -> Limits:
        return self.limits_value

    async def _record(
        self, kind: str, chat: ChatRef, message_id: str, text: str, kb: Keyboard
    ) -> None:
        if self.retry_after:
            raise OutboxRetryLater("flood control", self.retry_after.pop(0))
        self.calls.append(
            Call(kind, chat.chat_id, message_id, text, kb, asyncio.get_running_loop().time())
        )
        async with self._changed:
            self._changed.notify_all()

    async def send_text(self, chat: ChatRef, text: str, buttons: Keyboard = ()) -> str:
        if self.fail_sends:
            self.fail_sends -= 1
            raise OutboxError("chat not found")
        self._next_id += 1
        message_id = f"m{self._next_id}"
        await self._record("send", chat, message_id, text, buttons)
        return message_id

    async def edit_text(
        self, chat: ChatRef, message_id: str, text: str, buttons: Keyboard = ()
    ) -> None:
        if self.fail_edits:
            raise OutboxError("message to edit not found")
        await self._record("edit", chat, message_id, text, buttons)

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool:
        await self._record("delete", chat, message_id, "", ())
        return True

    async def send_draft(self, chat: ChatRef, draft_id: int, text: str) -> None:
        await self._record("draft", chat, str(draft_id), text, ())

    async def send_typing(self, chat: ChatRef, action: str = "typing") -> None:
        self.typing += 1
        if self.fail_typing:
            raise OutboxError("typing refused")

    async def send_images(
        self, chat: ChatRef, images: Sequence[Path], caption: str = "", buttons: Keyboard = ()
    ) -> list[str]:
        await self._record("images", chat, str(len(images)), caption, buttons)
        return [f"i{n}" for n in range(len(images))]

    async def send_video(
        self, chat: ChatRef, video: VideoFile, caption: str = "", buttons: Keyboard = ()
    ) -> str:
        await self._record("video", chat, "v", caption, buttons)
        return "v"

    async def fetch_attachment(self, attachment: Attachment, dest: Path, limit: int) -> Path:
        raise OutboxError("not here")

    def kinds(self) -> list[str]:
        return [call.kind for call in self.calls]

    async def wait_calls(self, count: int, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.calls) >= count)
