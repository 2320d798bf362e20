"""What the fake remembers: requests, messages, interactions, rate limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

MessageVia = Literal["user", "channel", "interaction-original", "interaction-followup"]
AuthKind = Literal["bot", "none", "wrong"]

EPHEMERAL = 1 << 6
LOADING = 1 << 7
COMPONENTS_V2 = 1 << 15


@dataclass
class UploadedFile:
    """One file of a request as the fake received it."""

    field: str
    filename: str
    content_type: str | None
    size: int
    # None when the request was over the size limit (the bytes were drained, not kept).
    data: bytes | None


@dataclass
class RecordedRequest:
    """One HTTP request to the fake (the Authorization value is never kept)."""

    method: str
    path: str
    query: dict[str, str]
    time: float
    auth: AuthKind
    json: Any = None
    files: list[tuple[str, int]] = field(default_factory=list)
    status: int | None = None
    error_code: int | None = None

    def __str__(self) -> str:
        code = f" code={self.error_code}" if self.error_code is not None else ""
        return f"{self.method} {self.path} -> {self.status}{code}"


@dataclass
class StoredAttachment:
    """An attachment the fake serves from its CDN route."""

    id: int
    channel_id: int
    filename: str
    size: int
    content_type: str | None
    url: str
    # None for fabricated attachments: the CDN streams `size` zero bytes.
    data: bytes | None

    @property
    def content(self) -> bytes:
        """The attachment's bytes (zeros for a fabricated one)."""
        return self.data if self.data is not None else bytes(self.size)

    def payload(self) -> dict[str, Any]:
        """The attachment object as Discord sends it."""
        body: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
        }
        if self.content_type:
            body["content_type"] = self.content_type
        return body


@dataclass
class MessageEdit:
    """One accepted edit of a message."""

    time: float
    sent: dict[str, Any]
    content: str


@dataclass
class StoredMessage:
    """A message in a channel: the bot's (via REST) or a user's (via the driving API)."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    via: MessageVia
    created_at: float
    timestamp: str
    content: str = ""
    sent: dict[str, Any] = field(default_factory=dict)
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[StoredAttachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    allowed_mentions: dict[str, Any] | None = None
    # What this message pinged when it was created ("user:ID", "role:ID", "everyone", "here").
    pinged: frozenset[str] = frozenset()
    message_reference: dict[str, Any] | None = None
    nonce: str | None = None
    edits: list[MessageEdit] = field(default_factory=list)
    edited_timestamp: str | None = None
    deleted: bool = False
    interaction_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def content_history(self) -> list[str]:
        """The content as created, then after each edit."""
        first = self.sent.get("content") or ""
        return [first, *(edit.content for edit in self.edits)]

    @property
    def ephemeral(self) -> bool:
        """Whether only the invoking user sees it."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether this is a deferred "thinking..." placeholder nobody has filled yet."""
        return bool(self.flags & LOADING)

    def custom_ids(self) -> list[str]:
        """Every custom_id in the message's components, in order."""
        found: list[str] = []
        stack = list(reversed(self.components))
        while stack:
            component = stack.pop()
            if "custom_id" in component:
                found.append(component["custom_id"])
            stack.extend(reversed(component.get("components", [])))
            if isinstance(component.get("accessory"), dict):
                stack.append(component["accessory"])
        return found


@dataclass
class InteractionRecord:
    """An interaction the fake sent, and what the bot did with it."""

    id: int
    token: str
    type: int
    name: str
    channel_id: int
    guild_id: int | None
    user_id: int
    created_at: float
    payload: dict[str, Any]
    message_id: int | None = None
    ack_type: int | None = None
    acked_at: float | None = None
    ack_flags: int = 0
    original: StoredMessage | None = None
    followups: list[StoredMessage] = field(default_factory=list)
    # (time, callback type, HTTP status) of every callback attempt, accepted or not.
    callback_attempts: list[tuple[float, int, int]] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        """Whether a callback was accepted."""
        return self.ack_type is not None


@dataclass
class RateLimitHit:
    """A 429 the fake answered."""

    method: str
    path: str
    channel_id: int | None
    retry_after: float
    time: float
    injected: bool


@dataclass
class Fault:
    """An armed fail_next() entry."""

    method: str
    path_prefix: str
    times: int
    status: int
    body: Any
    headers: dict[str, str]
