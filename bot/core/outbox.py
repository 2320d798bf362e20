"""What the core may do to a chat. Adapters conform structurally; no base class."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.core.messages import Attachment, ChatRef

__all__ = ["Button", "Limits", "Outbox", "OutboxError", "OutboxRetryLater", "VideoFile"]


@dataclass(frozen=True, slots=True)
class Limits:
    """A platform's constraints the core must respect."""

    max_text: int = 4096  # characters per message
    max_upload: int = 50 * 1024 * 1024  # bytes per file the bot may send
    edit_interval: float = 1.0  # seconds between edits of one message
    typing_refresh: float = 4.5  # the typing indicator lapses after ~5 s
    live_edits: bool = True  # False: send the finished text once instead of editing


@dataclass(frozen=True, slots=True)
class Button:
    """An action button; `data` is a payload from `bot.core.codec`."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class VideoFile:
    """A finished MP4 with the metadata players need."""

    path: Path
    width: int
    height: int
    duration: float
    thumbnail: Path | None = None


class Outbox(Protocol):
    """One platform's way of talking back. Message ids are opaque strings."""

    limits: Limits

    async def send_text(
        self, chat: ChatRef, text: str, buttons: tuple[Button, ...] = ()
    ) -> str: ...

    async def edit_text(
        self, chat: ChatRef, message_id: str, text: str, buttons: tuple[Button, ...] = ()
    ) -> None: ...

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool: ...

    async def send_typing(self, chat: ChatRef) -> None: ...

    async def send_image(self, chat: ChatRef, path: Path, caption: str = "") -> str: ...

    async def send_video(
        self, chat: ChatRef, video: VideoFile, caption: str = "", buttons: tuple[Button, ...] = ()
    ) -> str: ...

    async def send_file(self, chat: ChatRef, path: Path, caption: str = "") -> str: ...

    async def fetch_attachment(self, attachment: Attachment, dest: Path) -> Path: ...


class OutboxError(Exception):
    """An adapter could not do what was asked (the chat is gone, the platform refused…).

    Adapters translate their library's exceptions into this, so the core can carry on
    without knowing any platform.
    """


class OutboxRetryLater(OutboxError):
    """The platform rate-limited us (Telegram's RetryAfter, Discord's 429): wait, then retry."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
