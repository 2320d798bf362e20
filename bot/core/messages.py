"""What adapters hand to the core: normalized, platform-neutral, serializable.

Everything here survives a restart in the inbox: a message carries where and how its answer
must go (`ChatRef`), so a turn served after a crash still replies in context.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["Attachment", "ChatRef", "IncomingMessage", "Payment", "User"]


@dataclass(frozen=True, slots=True)
class User:
    """A person on a chat platform."""

    platform: str
    id: str
    name: str = ""
    language: str | None = None  # the platform's hint, e.g. Telegram's language_code
    # The platform says this person manages the server the message came from (Discord's
    # Manage Server); Telegram's group admins are asked of the Bot API instead.
    manager: bool = False


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where and how to answer: a chat (and thread), and what the answer should hang on.

    `reply_to` is the user's message that answers reply to (Telegram groups). `interaction`
    is an adapter's handle for answering through a platform interaction (a Discord slash
    command or button press) until `interaction_expires` (epoch seconds); after that the
    adapter answers in the chat as a plain message that mentions `mention`.

    `inline` is an adapter's handle of a message the user posted through the bot into a chat
    the bot need not be in (Telegram's inline mode: an `inline_message_id`). Such a message is
    the whole answer: every send to this ref replaces it, nothing can be added after it, and
    it takes no uploads. Its `chat_id` is then the user's private chat with the bot, where
    what the inline message cannot hold (a video) is sent (`private_chat`).

    `space` is the server a Discord channel belongs to (its settings are the server's); None
    elsewhere, where a group's settings are its own.
    """

    platform: str
    chat_id: str
    thread_id: str | None = None
    private: bool = True
    reply_to: str | None = None
    interaction: str | None = None
    interaction_expires: float | None = None
    mention: str | None = None
    inline: str | None = None
    space: str | None = None

    @property
    def settings_key(self) -> str:
        """Whose settings apply here: the Discord server's, else the chat's own."""
        return self.space or self.chat_id

    @property
    def key(self) -> tuple[str, str, str | None]:
        """The chat itself, whatever the answer hangs on (pacing and limits are per chat);
        an inline message is a chat of its own."""
        if self.inline is not None:
            return (self.platform, f"inline:{self.inline}", None)
        return (self.platform, self.chat_id, self.thread_id)

    def private_chat(self) -> ChatRef:
        """The private chat with the user this ref's `chat_id` names (an inline message's
        author), answered as a plain message."""
        return ChatRef(self.platform, self.chat_id)

    def to_json(self) -> str:
        """A stable string form, stored with queued messages and render jobs."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> ChatRef:
        """Inverse of `to_json`; fields unknown to this version are ignored."""
        return cls(**_known(cls, json.loads(raw)))


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the user sent; `ref` is the adapter's handle to fetch it later."""

    kind: str  # image | video | audio | file
    name: str
    ref: str
    size: int | None = None
    mime: str | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    """A completed payment the platform reported (Telegram's `successful_payment`)."""

    charge_id: str  # the platform's id of the charge (`telegram_payment_charge_id`)
    payload: str  # the invoice's payload, as the bot wrote it
    currency: str
    amount: int


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One accepted platform update: a message, a command, or a button press.

    `group` joins messages the platform sent as one (a Telegram album): the engine waits a
    moment for the rest of the group and runs them as one turn with all the files.
    `chosen`: a result the user chose in inline mode; its text is what to generate in the
    inline message `chat.inline` (never a command or a quick intent).
    """

    update_id: str  # unique per platform: redelivered updates are dropped by this key
    user: User
    chat: ChatRef
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    message_id: str | None = None
    group: str | None = None
    chosen: bool = False
    payment: Payment | None = None

    def to_json(self) -> str:
        """Serialized for the durable inbox (every field: nothing the answer needs is lost)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> IncomingMessage:
        """Inverse of `to_json`."""
        data = json.loads(raw)
        return cls(
            update_id=data["update_id"],
            user=User(**_known(User, data["user"])),
            chat=ChatRef(**_known(ChatRef, data["chat"])),
            text=data.get("text", ""),
            attachments=tuple(
                Attachment(**_known(Attachment, a)) for a in data.get("attachments", ())
            ),
            message_id=data.get("message_id"),
            group=data.get("group"),
            chosen=bool(data.get("chosen", False)),
            payment=Payment(**_known(Payment, data["payment"])) if data.get("payment") else None,
        )


def _known(cls: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    """The entries of `data` that are fields of `cls` (rows written by other versions)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}
