"""What the core may do in a chat: the contract every platform adapter fulfils.

Adapters conform structurally (no base class). The core never calls an adapter's Outbox
directly: every send goes through `bot.core.pacing.Pacer`, which splits text at
`Limits.max_text`, cuts captions at `Limits.max_caption`, keeps to `Limits.rates`, waits out
`OutboxRetryLater` and skips identical edits. So an adapter may assume that every text and
caption it is given fits, and that it is not called faster than its limits say; it must
still translate its library's refusals into `OutboxError` (or `OutboxRetryLater`).

Message ids are opaque strings chosen by the adapter. Every method may raise `OutboxError`
when the platform refuses; none may raise anything else for a platform problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from bot.core.messages import Attachment, ChatRef

__all__ = [
    "AdminOutbox",
    "Button",
    "DraftOutbox",
    "InlineOutbox",
    "Invoice",
    "Keyboard",
    "Limits",
    "LiveMode",
    "Outbox",
    "OutboxError",
    "OutboxRetryLater",
    "OutboxTooLarge",
    "OutboxUnreachable",
    "PaymentOutbox",
    "Rate",
    "VideoFile",
]

LiveMode = Literal["edit", "draft", "off"]


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` sends in any `per` seconds."""

    count: int
    per: float


@dataclass(frozen=True, slots=True)
class Limits:
    """What one chat allows; adapters answer `Outbox.limits(chat)` with one of these."""

    max_text: int = 4096  # UTF-16 code units per message (the stricter way to count)
    max_caption: int = 1024  # per image or video caption
    max_upload: int = 50 * 1024 * 1024  # bytes per file the bot may send here
    max_download: int | None = None  # bytes per file the bot may fetch from the user
    rates: tuple[Rate, ...] = (Rate(1, 1.0),)  # sends and edits in this chat
    live: LiveMode = "edit"  # how a growing answer is shown
    edit_interval: float = 1.0  # seconds between two updates of a live answer
    draft_refresh: float = 20.0  # a draft lapses (Telegram: ~30 s) unless it is sent again
    typing_refresh: float = 4.5  # the typing indicator lapses after ~5 s
    notify_after: float = 20.0  # a result later than this comes as a new message
    max_images: int = 10  # images per album
    album_buttons: bool = True  # buttons can ride on an album; False: sent below it
    download_hint: bool = False  # over max_download: mention a self-hosted server
    typed_buttons: bool = False  # buttons are printed, and pressed by typing their word


@dataclass(frozen=True, slots=True)
class Button:
    """An action button; `data` is a payload from `bot.core.codec`."""

    label: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]  # rows of buttons


@dataclass(frozen=True, slots=True)
class VideoFile:
    """A finished MP4 with the metadata players need."""

    path: Path
    width: int
    height: int
    duration: float
    thumbnail: Path | None = None


class Outbox(Protocol):
    """One platform's way of talking back in its chats."""

    platform: str

    def limits(self, chat: ChatRef) -> Limits:
        """The limits of this chat (a Discord guild's upload size, Telegram private vs group).

        Called often: answer from memory, never with network I/O.
        """
        ...

    async def send_text(self, chat: ChatRef, text: str, buttons: Keyboard = ()) -> str:
        """Post `text` (already within `max_text`) with `buttons` under it; return its id.

        Honour `chat.reply_to` / `chat.interaction` (see `ChatRef`). The text is shown as is:
        escape it for the platform's markup and let it ping nobody.
        """
        ...

    async def edit_text(
        self, chat: ChatRef, message_id: str, text: str, buttons: Keyboard = ()
    ) -> None:
        """Replace a message's text and its buttons (empty `buttons` removes them).

        An edit that changes nothing must succeed quietly. A message that can no longer be
        edited raises `OutboxError`; the core then sends a new message instead.
        """
        ...

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool:
        """Remove one of the bot's messages (or the user's, where the bot may); False if not."""
        ...

    async def send_typing(self, chat: ChatRef, action: str = "typing") -> None:
        """Show an activity indicator: "typing", "upload_photo" or "upload_video"."""
        ...

    async def send_images(
        self, chat: ChatRef, images: Sequence[Path], caption: str = "", buttons: Keyboard = ()
    ) -> list[str]:
        """Post up to `max_images` images together (an album), the caption on the first.

        `buttons` are only given where `album_buttons` is True or there is one image.
        Returns the ids of the posted messages.
        """
        ...

    async def send_video(
        self, chat: ChatRef, video: VideoFile, caption: str = "", buttons: Keyboard = ()
    ) -> str:
        """Post an MP4 (within `max_upload`) with its size, length and thumbnail."""
        ...

    async def fetch_attachment(self, attachment: Attachment, dest: Path, limit: int) -> Path:
        """Copy a user's file to `dest`, stopping with `OutboxTooLarge` past `limit` bytes.

        Never hand the platform's file URL (it may hold the bot token) to anyone else.
        """
        ...


@runtime_checkable
class DraftOutbox(Outbox, Protocol):
    """An outbox whose platform shows an answer as it is written (Telegram's drafts)."""

    async def send_draft(self, chat: ChatRef, draft_id: int, text: str) -> None:
        """Show `text` as the chat's animated draft (only used where `live` is "draft").

        A draft lapses unless sent again; the core sends the finished answer with
        `send_text` afterwards.
        """
        ...


@runtime_checkable
class InlineOutbox(Outbox, Protocol):
    """An outbox whose users post the bot's answers into any chat (Telegram's inline mode).

    For a `ChatRef` with `inline` set, `send_text` and `edit_text` replace the inline
    message's text (its caption, while it shows an image) and return or take its one id;
    `delete_message` answers False; `send_images` and `send_video` raise `OutboxError`, since
    an inline message takes no uploads: `show_image` puts an image there instead.
    """

    async def show_image(self, chat: ChatRef, url: str, caption: str, buttons: Keyboard) -> None:
        """Make the inline message the image at `url`, which the platform fetches itself."""
        ...

    def start_link(self, payload: str | None) -> str:
        """A link that opens the user's private chat with the bot; with `payload` (1-64 of
        A-Z, a-z, 0-9, _ and -), pressing Start there sends the bot `/start <payload>`."""
        ...

    @property
    def inline_handle(self) -> str | None:
        """How people call the bot inline in any chat ("@nemobot"); None while the
        platform has inline mode off for this bot."""


@dataclass(frozen=True, slots=True)
class Invoice:
    """A bill for a pack, in the platform's currency for digital goods (Telegram Stars)."""

    title: str
    description: str
    payload: str  # the bot's own; handed back with the payment (at most 128 bytes)
    label: str
    amount: int  # in Stars


@runtime_checkable
class PaymentOutbox(Outbox, Protocol):
    """An outbox whose platform sells digital goods for its own currency (Telegram Stars)."""

    async def send_invoice(self, chat: ChatRef, invoice: Invoice) -> str:
        """Post an invoice the user pays in the chat; its message id."""
        ...

    async def refund(self, user_id: str, charge_id: str) -> None:
        """Give back a payment of the platform user `user_id` (raises `OutboxError`)."""
        ...


@runtime_checkable
class AdminOutbox(Outbox, Protocol):
    """An outbox that can say who administers a group (Telegram asks the Bot API)."""

    async def chat_admins(self, chat: ChatRef) -> frozenset[str]:
        """The platform ids of the group's administrators (raises `OutboxError`)."""
        ...


class OutboxError(Exception):
    """An adapter could not do what was asked (the chat is gone, the platform refused…).

    Adapters translate their library's exceptions into this, so the core can carry on
    without knowing any platform. The message must not contain tokens or user content.
    """


class OutboxRetryLater(OutboxError):
    """The platform rate-limited us (Telegram's RetryAfter, Discord's 429): wait, then retry."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OutboxUnreachable(OutboxError):
    """The bot may not write in this chat: the user never opened it, or blocked the bot."""


class OutboxTooLarge(OutboxError):
    """A user's file is over the limit it was fetched with (found while copying it)."""
