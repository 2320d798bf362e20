"""Chats, users and the messages in them."""

from __future__ import annotations

import re
import time
from typing import Any

from . import errors
from .errors import ApiError
from .models import JSON, BotMessage, Chat


class ChatStore:
    """Every chat and message; messages of deleted state are kept for assertions."""

    def __init__(self, bot_user: JSON) -> None:
        self.bot_user = bot_user
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, JSON] = {}
        self._messages: dict[int, dict[int, BotMessage]] = {}

    def user(self, user_id: int, first_name: str | None = None, language_code: str = "en") -> JSON:
        """The user with this id, created on first use."""
        if user_id not in self.users:
            name = first_name or f"User{user_id}"
            self.users[user_id] = {
                "id": user_id,
                "is_bot": False,
                "first_name": name,
                "language_code": language_code,
                "username": f"{re.sub(r'[^a-z0-9_]', '', name.lower()) or 'user'}_{user_id}",
            }
        return self.users[user_id]

    def add_chat(self, chat: Chat) -> Chat:
        """Remember a chat (an existing one with the same id is kept)."""
        existing = self.chats.get(chat.id)
        if existing is not None:
            return existing
        self.chats[chat.id] = chat
        self._messages[chat.id] = {}
        return chat

    def find(self, chat_id: Any) -> Chat | None:
        """A chat by numeric id or "@username"."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            return next(
                (
                    chat
                    for chat in self.chats.values()
                    if chat.user is not None
                    and str(chat.user.get("username", "")).lower() == wanted
                ),
                None,
            )
        try:
            return self.chats.get(int(chat_id))
        except (TypeError, ValueError):
            return None

    def require(self, chat_id: Any) -> Chat:
        """The chat, or 400 "chat not found" (also when chat_id is missing)."""
        if chat_id is None or chat_id == "":
            raise errors.bad_request("chat_id is empty")
        chat = self.find(chat_id)
        if chat is None and _known_user(self.users, chat_id):
            # A user's private chat exists only once they pressed Start.
            raise ApiError(403, errors.CANT_INITIATE)
        if chat is None:
            raise ApiError(400, errors.CHAT_NOT_FOUND)
        return chat

    def add_message(self, chat: Chat, *, outgoing: bool, kind: str, **fields: Any) -> BotMessage:
        """Create the next message in the chat."""
        message = BotMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.id,
            from_user=dict(self.bot_user) if outgoing else fields.pop("from_user"),
            date=int(time.time()),
            kind=kind,
            outgoing=outgoing,
            sent_at=time.monotonic(),
            **fields,
        )
        self._messages[chat.id][message.message_id] = message
        return message

    def get(self, chat_id: int, message_id: int | None) -> BotMessage | None:
        """A message that exists and was not deleted."""
        if message_id is None:
            return None
        message = self._messages.get(chat_id, {}).get(message_id)
        return None if message is None or message.deleted else message

    def all_messages(self, chat_id: int) -> list[BotMessage]:
        """Every message of the chat in order, deleted ones included."""
        return list(self._messages.get(chat_id, {}).values())

    def message_json(self, message: BotMessage, *, nested: bool = True) -> JSON:
        """The Message object; reply_to_message is included one level deep, like Telegram."""
        chat = self.chats[message.chat_id]
        reply_to = None
        if nested and message.reply_to_message_id is not None:
            target = self._messages[chat.id].get(message.reply_to_message_id)
            if target is not None:
                reply_to = self.message_json(target, nested=False)
        return message.to_dict(chat, reply_to)


def _known_user(users: dict[int, JSON], chat_id: Any) -> bool:
    try:
        return int(chat_id) in users
    except (TypeError, ValueError):
        return False
