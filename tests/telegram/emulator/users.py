"""The user side: chats, incoming messages and button presses that become updates."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .entities import auto_entities, command_entities, mention_entities
from .handlers_media import build_media_message
from .media import MediaInfo, store_photo
from .models import JSON, BotMessage, CallbackQueryRecord, Chat

if TYPE_CHECKING:
    from .chats import ChatStore
    from .files import FileStore, StoredFile
    from .options import EmulatorOptions
    from .updates import Notifier, UpdateQueue

MediaArg = bytes | tuple[str, str, bytes] | None
# Defaults a user's client would report for media whose metadata the test does not give.
DEFAULT_INFO = {
    "video": MediaInfo(width=1280, height=720, duration=10),
    "audio": MediaInfo(duration=180),
    "voice": MediaInfo(duration=3),
    "document": MediaInfo(),
}
DEFAULT_NAMES = {
    "video": ("video.mp4", "video/mp4"),
    "audio": ("audio.mp3", "audio/mpeg"),
    "voice": (None, "audio/ogg"),
    "document": ("file.bin", "application/octet-stream"),
}


def _split_media(kind: str, value: MediaArg) -> tuple[str | None, str | None, bytes | None]:
    name, mime = DEFAULT_NAMES[kind]
    if value is None:
        return name, mime, None
    if isinstance(value, bytes):
        return name, mime, value
    return value[0], value[1], value[2]


def _pick_media(**media: MediaArg) -> tuple[str | None, MediaArg]:
    """The one media a user message carries (photo wins, then document, video, ...)."""
    return next(((kind, value) for kind, value in media.items() if value is not None), (None, None))


def _with_defaults(kind: str, info: MediaInfo) -> MediaInfo:
    default = DEFAULT_INFO.get(kind, MediaInfo())
    return MediaInfo(
        width=info.width if info.width is not None else default.width,
        height=info.height if info.height is not None else default.height,
        duration=info.duration if info.duration is not None else default.duration,
    )


class UserSide:
    """Mixin of BotApiEmulator: what users do."""

    options: EmulatorOptions
    notifier: Notifier
    files: FileStore
    chats: ChatStore
    updates: UpdateQueue
    callback_queries: dict[str, CallbackQueryRecord]

    def private_chat(
        self, user_id: int, first_name: str = "Alice", language_code: str = "en"
    ) -> JSON:
        """Create (or return) the private chat with a user; chat id == user id."""
        user = self.chats.user(user_id, first_name, language_code)
        chat = self.chats.add_chat(Chat(id=user_id, type="private", user=user))
        self.notifier.notify()
        return chat.to_dict()

    def group_chat(
        self,
        chat_id: int,
        title: str = "Group",
        type: str = "supergroup",
        *,
        is_forum: bool = False,
    ) -> JSON:
        """Create (or return) a group/supergroup/channel the bot is a member of."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if type not in ("group", "supergroup", "channel"):
            raise ValueError(f"unknown chat type {type!r}")
        chat = self.chats.add_chat(Chat(id=chat_id, type=type, title=title, is_forum=is_forum))
        self.notifier.notify()
        return chat.to_dict()

    def _known_chat(self, chat_id: int) -> Chat:
        chat = self.chats.find(chat_id)
        if chat is None:
            raise ValueError(f"chat {chat_id} is unknown; create it with private_chat/group_chat")
        return chat

    def send_message(
        self,
        chat_id: int,
        user_id: int,
        text: str = "",
        *,
        entities: list[JSON] | None = None,
        caption: str | None = None,
        caption_entities: list[JSON] | None = None,
        photo: bytes | None = None,
        document: tuple[str, str, bytes] | None = None,
        document_size: int | None = None,
        video: MediaArg = None,
        audio: MediaArg = None,
        voice: MediaArg = None,
        width: int | None = None,
        height: int | None = None,
        duration: int | None = None,
        media_group_id: str | None = None,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> JSON:
        """A user's message; entities=None auto-detects a leading command and @mentions."""
        chat = self._known_chat(chat_id)
        if reply_to_message_id is not None and self.chats.get(chat.id, reply_to_message_id) is None:
            raise ValueError(f"message {reply_to_message_id} does not exist in chat {chat_id}")
        fields: dict[str, Any] = {
            "from_user": dict(self.chats.user(user_id)),
            "media_group_id": media_group_id,
            "reply_to_message_id": reply_to_message_id,
            "message_thread_id": message_thread_id,
        }
        kind, value = _pick_media(
            photo=photo, document=document, video=video, audio=audio, voice=voice
        )
        if kind is None and document_size is not None:
            kind = "document"
        if kind is None:
            found = auto_entities(text) if entities is None else entities
            message = self.chats.add_message(
                chat, outgoing=False, kind="text", text=text, entities=found, **fields
            )
        else:
            body = caption if caption is not None else (text or None)
            given = caption_entities if caption_entities is not None else entities
            found = auto_entities(body or "") if given is None else given
            info = _with_defaults(kind, MediaInfo(width=width, height=height, duration=duration))
            stored = self._user_file(kind, value, document_size)
            message = build_media_message(
                self.files, self.chats, chat, kind, stored, info=info, outgoing=False,
                caption=body, caption_entities=found, **fields,
            )  # fmt: skip
        return self._deliver_user_message(chat, message)

    def _user_file(self, kind: str, value: MediaArg, size: int | None) -> StoredFile:
        if kind == "photo":
            assert isinstance(value, bytes)
            return store_photo(self.files, self.options, value)
        name, mime, data = _split_media(kind, value)
        if kind == "document" and size is not None:
            data = None  # fabricated: zeros produced lazily on download
        return self.files.add(kind, data, size=size, file_name=name, mime_type=mime)

    def _deliver_user_message(self, chat: Chat, message: BotMessage) -> JSON:
        update: JSON = {"update_id": self.updates.next_update_id()}
        update["message"] = self.chats.message_json(message)
        if self._privacy_hides(chat, message):
            self.notifier.notify()
            return update
        return self.deliver(update)

    def _privacy_hides(self, chat: Chat, message: BotMessage) -> bool:
        """Whether a privacy-mode bot would not receive this group message."""
        options = self.options
        if not (options.enforce_privacy_mode and options.privacy_mode):
            return False
        if chat.type not in ("group", "supergroup"):
            return False
        body = message.body or ""
        entities = message.entities or message.caption_entities
        own = f"@{options.bot_username}".lower()
        for entity in entities:
            piece = _utf16_slice(body, entity["offset"], entity["length"]).lower()
            if entity["type"] == "mention" and piece == own:
                return False
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                return "@" in piece and not piece.endswith(own)
        replied = self.chats.get(chat.id, message.reply_to_message_id)
        return not (replied is not None and replied.outgoing)

    def press_button(
        self,
        chat_id: int,
        user_id: int,
        message_id: int,
        data: str,
        *,
        require_button: bool = True,
    ) -> JSON:
        """A callback_query for a bot message's button (which must exist unless told not)."""
        message = self.chats.get(chat_id, message_id)
        if message is None or not message.outgoing:
            raise ValueError(f"no bot message {message_id} in chat {chat_id}")
        if require_button and all(b.get("callback_data") != data for b in message.buttons):
            shown = [b.get("callback_data") for b in message.buttons]
            raise ValueError(f"message {message_id} has no button {data!r}; it has {shown}")
        query_id = str(4_000_000_000_000_000_000 + len(self.callback_queries) + 1)
        self.callback_queries[query_id] = CallbackQueryRecord(
            query_id, chat_id, message_id, user_id, data, time.monotonic()
        )
        return self.deliver(
            {
                "callback_query": {
                    "id": query_id,
                    "from": dict(self.chats.user(user_id)),
                    "message": self.chats.message_json(message),
                    "chat_instance": str(abs(chat_id) * 7919 + 10**15),
                    "data": data,
                }
            }
        )

    def send_raw_message(self, chat_id: int, user_id: int, fields: JSON) -> JSON:
        """A user's message of any shape, queued as given: the chat, sender, id and date, plus
        `fields` unchecked (say, a `poll` as another Bot API version words it). Not kept in
        the chat, so the bot cannot reply to it."""
        chat = self._known_chat(chat_id)
        message = {
            "message_id": chat.next_message_id(),
            "from": dict(self.chats.user(user_id)),
            "chat": chat.to_dict(),
            "date": int(time.time()),
            **fields,
        }
        return self.deliver({"message": message})

    def deliver(self, update: JSON) -> JSON:
        """Queue an update of any shape, unchecked (one with an update_id keeps it: redelivery)."""
        return self.updates.push(update)

    def next_update_id(self) -> int:
        """Allocate an update_id for a hand-made update."""
        return self.updates.next_update_id()

    def command_entities(self, text: str) -> list[JSON]:
        """bot_command entities for a leading "/cmd" or "/cmd@bot"."""
        return command_entities(text)

    def mention_entities(self, text: str) -> list[JSON]:
        """ "mention" entities for each "@<bot_username>" in the text."""
        return mention_entities(text, self.options.bot_username)


def _utf16_slice(text: str, offset: int, length: int) -> str:
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", "replace")
