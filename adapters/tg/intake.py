"""From a Telegram update to the core's `IncomingMessage`, or None when it is not for us.

Private chats: every message. Groups: only messages that mention the bot, reply to one of
its messages, or are a command meant for it (`/export` or `/export@thisbot`). A payment
(`successful_payment`) is always for the bot, wherever its invoice was paid; the service
message about a refund (`refunded_payment`) is for nobody: the refund was the bot's doing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Message, MessageEntity, Update

from adapters.tg.outbox import PLATFORM
from bot.core.inline import GENERATE
from bot.core.messages import Attachment, ChatRef, IncomingMessage, Payment, User

__all__ = ["BotIdentity", "chosen_of", "message_of", "payer_of", "press_of"]


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is on Telegram."""

    id: int
    username: str

    @property
    def mention(self) -> re.Pattern[str]:
        """An @mention of the bot in text."""
        return re.compile(rf"@{re.escape(self.username)}\b", re.IGNORECASE)


def message_of(update: Update, me: BotIdentity) -> IncomingMessage | None:
    """A user's message for the core, or None (not addressed to the bot, or not a message)."""
    message = update.message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return None
    if message.successful_payment is not None:
        return _paid(update.update_id, message)
    if message.refunded_payment is not None:
        return None
    private = message.chat.type == "private"
    if not private and not _addressed(message, me):
        return None
    text = message.text or message.caption or ""
    if not private:
        text = me.mention.sub("", text).strip()
    return IncomingMessage(
        update_id=str(update.update_id),
        user=_user(message),
        chat=_chat(message, reply_to=None if private else message.message_id),
        text=text,
        attachments=_attachments(message),
        message_id=str(message.message_id),
        group=message.media_group_id,
    )


def press_of(update: Update) -> IncomingMessage | None:
    """A button press for the core (its callback data is the text), or None."""
    query = update.callback_query
    if query is None or not query.data:
        return None
    user = query.from_user
    if query.inline_message_id:  # under an inline message: answered by editing it
        chat = _inline_chat(user.id, query.inline_message_id)
    elif isinstance(query.message, Message):
        message = query.message
        private = message.chat.type == "private"
        chat = _chat(message, reply_to=None if private else message.message_id)
    else:
        return None
    return IncomingMessage(
        update_id=str(update.update_id),
        user=User(PLATFORM, str(user.id), user.first_name, user.language_code),
        chat=chat,
        text=query.data,
    )


def chosen_of(update: Update) -> IncomingMessage | None:
    """A chosen "generate" result for the core, or None (any other result starts nothing).

    Its update id is the inline message's: whatever Telegram sends again about the same
    message is a duplicate, so the message gets one turn.
    """
    chosen = update.chosen_inline_result
    if chosen is None or chosen.result_id != GENERATE or not chosen.inline_message_id:
        return None
    user = chosen.from_user
    return IncomingMessage(
        update_id=f"inline:{chosen.inline_message_id}",
        user=User(PLATFORM, str(user.id), user.first_name, user.language_code),
        chat=_inline_chat(user.id, chosen.inline_message_id),
        text=chosen.query,
        chosen=True,
    )


def _inline_chat(user_id: int, inline_message_id: str) -> ChatRef:
    """An inline message; its chat id is the user's private chat (on Telegram, their id)."""
    return ChatRef(PLATFORM, str(user_id), private=False, inline=inline_message_id)


def _paid(update_id: int, message: Message) -> IncomingMessage:
    """A payment for the core: credited by its charge id, thanked in the chat it came in."""
    paid = message.successful_payment
    assert paid is not None
    return IncomingMessage(
        update_id=str(update_id),
        user=_user(message),
        chat=_chat(message, reply_to=None),
        message_id=str(message.message_id),
        payment=Payment(
            paid.telegram_payment_charge_id,
            paid.invoice_payload,
            paid.currency,
            paid.total_amount,
        ),
    )


def payer_of(update: Update) -> User | None:
    """Who is about to pay, for a pre-checkout query (None for any other update)."""
    query = update.pre_checkout_query
    if query is None:
        return None
    who = query.from_user
    return User(PLATFORM, str(who.id), who.first_name, who.language_code)


def _addressed(message: Message, me: BotIdentity) -> bool:
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == me.id:
        return True
    text = message.text or message.caption or ""
    entities = message.entities or message.caption_entities or ()
    for entity in entities:
        value = _entity_text(text, entity)
        if entity.type == MessageEntity.MENTION and value.lower() == f"@{me.username.lower()}":
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == me.id:
            return True
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            _, _, target = value.partition("@")
            return not target or target.lower() == me.username.lower()
    return bool(me.mention.search(text))


def _entity_text(text: str, entity: MessageEntity) -> str:
    """The entity's text (its offsets count UTF-16 code units)."""
    encoded = text.encode("utf-16-le")
    return encoded[entity.offset * 2 : (entity.offset + entity.length) * 2].decode("utf-16-le")


def _user(message: Message) -> User:
    sender = message.from_user
    assert sender is not None
    return User(PLATFORM, str(sender.id), sender.first_name, sender.language_code)


def _chat(message: Message, *, reply_to: int | None) -> ChatRef:
    thread = message.message_thread_id if message.is_topic_message else None
    return ChatRef(
        PLATFORM,
        str(message.chat.id),
        thread_id=str(thread) if thread else None,
        private=message.chat.type == "private",
        reply_to=str(reply_to) if reply_to is not None else None,
    )


def _attachments(message: Message) -> tuple[Attachment, ...]:
    if message.photo:
        photo = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        name = _dated_name(message, "photo", "jpg")
        return (Attachment("image", name, photo.file_id, photo.file_size, "image/jpeg"),)
    for kind, media, default in (
        ("video", message.video, "mp4"),
        ("audio", message.audio, "mp3"),
        ("audio", message.voice, "ogg"),
        ("video", message.animation, "mp4"),
        ("video", message.video_note, "mp4"),
    ):
        if media is not None:
            own = getattr(media, "file_name", None)
            name = own or _dated_name(message, "voice" if media is message.voice else kind, default)
            mime = getattr(media, "mime_type", None)
            return (Attachment(kind, name, media.file_id, media.file_size, mime),)
    document = message.document
    if document is not None:
        mime = document.mime_type or ""
        kind = next((k for k in ("image", "video", "audio") if mime.startswith(k + "/")), "file")
        name = document.file_name or _dated_name(message, "file", "")
        return (Attachment(kind, name, document.file_id, document.file_size, mime or None),)
    return ()


def _dated_name(message: Message, kind: str, extension: str) -> str:
    """A name for media sent without one, as Telegram's apps save it (photo_<date>_<time>.jpg).

    Photos and voice notes carry no file name; this one shows in the person's timeline, so it
    says when they sent it rather than Telegram's internal file id.
    """
    stamp = message.date.strftime("%Y-%m-%d_%H-%M-%S")
    return f"{kind}_{stamp}.{extension}" if extension else f"{kind}_{stamp}"
