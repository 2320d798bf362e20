"""Records the emulator keeps: chats, messages, calls, answers."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .files import StoredFile

JSON = dict[str, Any]


@dataclass
class Chat:
    """A chat the emulated server knows; message_ids are shared by everyone in it."""

    id: int
    type: str
    title: str | None = None
    user: JSON | None = None
    is_forum: bool = False
    last_message_id: int = 0

    def to_dict(self) -> JSON:
        """The Chat object as the Bot API serialises it."""
        if self.type == "private" and self.user is not None:
            chat = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
            if self.user.get("username"):
                chat["username"] = self.user["username"]
            return chat
        chat = {"id": self.id, "type": self.type, "title": self.title or ""}
        if self.is_forum:
            chat["is_forum"] = True
        return chat

    def next_message_id(self) -> int:
        """Allocate the next message_id of this chat."""
        self.last_message_id += 1
        return self.last_message_id


@dataclass
class BotMessage:
    """A message in a chat, sent by the bot (outgoing) or by a user; what a client shows."""

    message_id: int
    chat_id: int
    from_user: JSON
    date: int
    kind: str
    outgoing: bool
    sent_at: float
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    raw_text: str | None = None
    parse_mode: str | None = None
    reply_markup: JSON | None = None
    reply_to_message_id: int | None = None
    media_group_id: str | None = None
    message_thread_id: int | None = None
    file: StoredFile | None = None
    thumbnail: StoredFile | None = None
    media: Any = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    supports_streaming: bool | None = None
    edits: list[str] = field(default_factory=list)
    history: list[JSON] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False
    method: str | None = None
    raw_params: JSON = field(default_factory=dict)
    reactions: list[JSON] = field(default_factory=list)
    extra: JSON = field(default_factory=dict)

    @property
    def body(self) -> str | None:
        """The text, or the caption of a media message."""
        return self.text if self.text is not None else self.caption

    @property
    def has_thumbnail(self) -> bool:
        """Whether a thumbnail was uploaded with the media."""
        return self.thumbnail is not None

    @property
    def buttons(self) -> list[JSON]:
        """All inline keyboard buttons, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def file_bytes(self) -> bytes:
        """The bytes of the message's file (the largest size of a photo)."""
        if self.file is None:
            raise ValueError(f"message {self.message_id} has no file")
        return self.file.read()

    def snapshot(self) -> JSON:
        """The editable state, kept in `history` before each edit."""
        return copy.deepcopy(
            {
                "text": self.text,
                "entities": self.entities,
                "caption": self.caption,
                "caption_entities": self.caption_entities,
                "reply_markup": self.reply_markup,
                "edit_date": self.edit_date,
            }
        )

    def to_dict(self, chat: Chat, reply_to: JSON | None = None) -> JSON:
        """The Message object as the Bot API serialises it."""
        message: JSON = {
            "message_id": self.message_id,
            "from": dict(self.from_user),
            "chat": chat.to_dict(),
            "date": self.date,
        }
        if self.message_thread_id is not None:
            message["message_thread_id"] = self.message_thread_id
            if chat.is_forum:
                message["is_topic_message"] = True
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.media_group_id is not None:
            message["media_group_id"] = self.media_group_id
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = copy.deepcopy(self.entities)
        if self.kind != "text" and self.media is not None:
            message[self.kind] = copy.deepcopy(self.media)
            if self.kind == "animation":
                message["document"] = copy.deepcopy(self.media)
        if self.caption is not None:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = copy.deepcopy(self.caption_entities)
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            message["reply_markup"] = copy.deepcopy(self.reply_markup)
        message.update(copy.deepcopy(self.extra))
        return message


@dataclass
class DraftRecord:
    """One sendMessageDraft: what it showed, and when (time.monotonic(), like `sent_at`)."""

    draft_id: int
    text: str
    at: float


@dataclass
class ApiCall:
    """One request the bot made; `params` has files replaced by {filename, size, mime}."""

    method: str
    params: JSON
    time: float
    status: int
    description: str | None = None
    result: Any = None
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.status == 200

    def __str__(self) -> str:
        shown = {key: value for key, value in self.params.items() if key != "media"}
        outcome = "ok" if self.ok else f"{self.status} {self.description}"
        return f"{self.method}({shown}) -> {outcome}"


@dataclass
class CallbackQueryRecord:
    """A button press the emulator delivered."""

    id: str
    chat_id: int
    message_id: int
    user_id: int
    data: str
    created: float
    answered: bool = False


@dataclass
class CallbackAnswer:
    """An answerCallbackQuery the bot made in time."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    delay: float
    chat_id: int
    message_id: int


@dataclass
class RateLimitHit:
    """A 429 the rate rules answered."""

    method: str
    chat_id: int
    time: float
    rule: str = "chat"  # which limit: "chat" (private), "group" (a minute) or "bot" (a second)


@dataclass
class WebhookConfig:
    """The webhook set by setWebhook."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
