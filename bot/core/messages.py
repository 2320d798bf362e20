"""What adapters hand to the core: normalized, platform-neutral, serializable."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Attachment", "ChatRef", "IncomingMessage", "User"]


@dataclass(frozen=True, slots=True)
class User:
    """A person on a chat platform."""

    platform: str
    id: str
    name: str = ""
    language: str | None = None  # the platform's hint, e.g. Telegram's language_code


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where to answer: a chat (and thread) on a platform."""

    platform: str
    chat_id: str
    thread_id: str | None = None
    private: bool = True

    def to_json(self) -> str:
        """A stable string form, stored with queued messages and render jobs."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> ChatRef:
        """Inverse of `to_json`."""
        return cls(**json.loads(raw))


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the user sent; `ref` is the adapter's handle to fetch it later."""

    kind: str  # image | video | audio | file
    name: str
    ref: str
    size: int | None = None
    mime: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One accepted platform update: a message, a command, or a button press."""

    update_id: str  # unique per platform: redelivered updates are dropped by this key
    user: User
    chat: ChatRef
    text: str = ""
    attachments: tuple[Attachment, ...] = ()
    message_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # adapter detail, logging only

    def to_json(self) -> str:
        """Serialized for the durable inbox."""
        data = asdict(self)
        data.pop("extra")
        return json.dumps(data)

    @classmethod
    def from_json(cls, raw: str) -> IncomingMessage:
        """Inverse of `to_json`."""
        data = json.loads(raw)
        return cls(
            update_id=data["update_id"],
            user=User(**data["user"]),
            chat=ChatRef(**data["chat"]),
            text=data.get("text", ""),
            attachments=tuple(Attachment(**a) for a in data.get("attachments", ())),
            message_id=data.get("message_id"),
        )
