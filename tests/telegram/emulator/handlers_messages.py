"""Text messages: send, edit, delete, chat actions, drafts, reactions."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import errors
from .entities import parse_caption, parse_message_text
from .errors import ApiError
from .limits import validate_reply_markup
from .models import BotMessage, Chat, DraftRecord
from .registry import api_method

if TYPE_CHECKING:
    from .emulator import BotApiEmulator
    from .request import Params

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# What "not modified" compares: the rendered content, not how the request spelled it.
CONTENT_FIELDS = ("text", "entities", "caption", "caption_entities", "reply_markup")


def reply_target(emu: BotApiEmulator, chat: Chat, p: Params) -> int | None:
    """The message_id replied to, per reply_parameters or the older reply_to_message_id."""
    params = p.json("reply_parameters")
    if params is None and p.has("reply_to_message_id"):
        params = {
            "message_id": p.integer("reply_to_message_id"),
            "allow_sending_without_reply": p.flag("allow_sending_without_reply"),
        }
    if not params:
        return None
    if not isinstance(params, dict):
        raise errors.bad_request("can't parse reply parameters JSON object")
    target_chat = chat
    if params.get("chat_id") not in (None, chat.id, str(chat.id)):
        target_chat = emu.chats.require(params["chat_id"])
    try:
        message_id = int(params.get("message_id") or 0)
    except (TypeError, ValueError):
        raise errors.bad_request("invalid message_id specified") from None
    target = emu.chats.get(target_chat.id, message_id) if message_id else None
    if target is None:
        if params.get("allow_sending_without_reply") in (True, "true", "True", 1):
            return None
        raise ApiError(400, errors.REPLY_NOT_FOUND)
    # A reply into another chat shows as external_reply; the emulator keeps same-chat replies.
    return target.message_id if target_chat is chat else None


def text_fields(emu: BotApiEmulator, p: Params, *, allow_empty: bool = False) -> dict[str, Any]:
    """text/entities/raw_text/parse_mode of a text message from the request."""
    raw = p.string("text")
    text, entities = parse_message_text(
        raw,
        p.string("parse_mode"),
        p.json("entities"),
        strict_ampersand=emu.options.strict_html_ampersand,
        allow_empty=allow_empty,
    )
    return {
        "text": text,
        "entities": entities,
        "raw_text": raw,
        "parse_mode": p.string("parse_mode"),
    }


@api_method("sendMessage")
async def send_message(emu: BotApiEmulator, p: Params) -> Any:
    """Send a text message."""
    chat = emu.chats.require(p.json("chat_id"))
    markup = validate_reply_markup(p.json("reply_markup"))
    fields = text_fields(emu, p)
    reply_to = reply_target(emu, chat, p)
    emu.limits.acquire(chat, "sendMessage")
    message = emu.chats.add_message(
        chat,
        outgoing=True,
        kind="text",
        reply_markup=markup,
        reply_to_message_id=reply_to,
        message_thread_id=p.integer("message_thread_id"),
        method="sendMessage",
        raw_params=p.summary(),
        **fields,
    )
    return emu.chats.message_json(message)


def editable(emu: BotApiEmulator, p: Params) -> tuple[Chat, BotMessage, bool]:
    """The message an edit refers to, and whether it is an inline message (named by
    `inline_message_id`: a user's message via the bot); else 400."""
    if p.has("inline_message_id"):
        message = emu.inline_messages.get(p.string("inline_message_id") or "")
        if message is None:
            raise ApiError(400, errors.INLINE_MESSAGE_INVALID)
        return emu.chats.chats[message.chat_id], message, True
    chat = emu.chats.require(p.json("chat_id"))
    message = emu.chats.get(chat.id, p.integer("message_id"))
    if message is None or not message.outgoing:
        raise ApiError(400, errors.EDIT_NOT_FOUND)
    return chat, message, False


def apply_edit(
    emu: BotApiEmulator, chat: Chat, message: BotMessage, method: str, changes: dict[str, Any]
) -> Any:
    """Apply an edit unless it changes nothing; keep the previous state in the history."""
    content = {name: value for name, value in changes.items() if name in CONTENT_FIELDS}
    if all(getattr(message, name) == value for name, value in content.items()):
        raise ApiError(400, errors.NOT_MODIFIED)
    emu.limits.acquire(chat, method)
    message.history.append(message.snapshot())
    message.edits.append(message.body or "")
    for name, value in changes.items():
        setattr(message, name, value)
    message.edit_date = int(time.time())
    return emu.chats.message_json(message)


@api_method("editMessageText")
async def edit_message_text(emu: BotApiEmulator, p: Params) -> Any:
    """Edit a bot text message; omitting reply_markup removes the keyboard."""
    chat, message, inline = editable(emu, p)
    if message.text is None:
        raise ApiError(400, errors.NO_TEXT_TO_EDIT)
    changes = text_fields(emu, p)
    # Omitting reply_markup removes the keyboard, exactly like the real server.
    changes["reply_markup"] = validate_reply_markup(p.json("reply_markup"))
    result = apply_edit(emu, chat, message, "editMessageText", changes)
    return True if inline else result


@api_method("editMessageCaption")
async def edit_message_caption(emu: BotApiEmulator, p: Params) -> Any:
    """Edit a bot media message's caption."""
    chat, message, inline = editable(emu, p)
    if message.kind == "text":
        raise ApiError(400, errors.NO_CAPTION_TO_EDIT)
    raw = p.string("caption")
    caption, entities = parse_caption(
        raw,
        p.string("parse_mode"),
        p.json("caption_entities"),
        strict_ampersand=emu.options.strict_html_ampersand,
    )
    changes = {
        "caption": caption,
        "caption_entities": entities,
        "reply_markup": validate_reply_markup(p.json("reply_markup")),
    }
    result = apply_edit(emu, chat, message, "editMessageCaption", changes)
    message.raw_text, message.parse_mode = raw, p.string("parse_mode")
    return True if inline else result


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(emu: BotApiEmulator, p: Params) -> Any:
    """Replace (or remove) a bot message's inline keyboard."""
    chat, message, inline = editable(emu, p)
    changes = {"reply_markup": validate_reply_markup(p.json("reply_markup"))}
    result = apply_edit(emu, chat, message, "editMessageReplyMarkup", changes)
    return True if inline else result


@api_method("deleteMessage")
async def delete_message(emu: BotApiEmulator, p: Params) -> bool:
    """Mark a message deleted (kept for assertions)."""
    chat = emu.chats.require(p.json("chat_id"))
    message = emu.chats.get(chat.id, p.integer("message_id"))
    if message is None:
        raise ApiError(400, errors.DELETE_NOT_FOUND)
    message.deleted = True
    return True


@api_method("deleteMessages")
async def delete_messages(emu: BotApiEmulator, p: Params) -> bool:
    """Mark messages deleted, skipping missing ones."""
    chat = emu.chats.require(p.json("chat_id"))
    for message_id in p.json("message_ids") or []:
        message = emu.chats.get(chat.id, int(message_id))
        if message is not None:
            message.deleted = True
    return True


@api_method("sendChatAction")
async def send_chat_action(emu: BotApiEmulator, p: Params) -> bool:
    """Record a chat action (exempt from flood control)."""
    chat = emu.chats.require(p.json("chat_id"))
    action = p.string("action")
    if action not in CHAT_ACTIONS:
        raise ApiError(400, errors.WRONG_ACTION)
    emu.actions.setdefault(chat.id, []).append((action, time.monotonic()))
    return True


@api_method("sendMessageDraft")
async def send_message_draft(emu: BotApiEmulator, p: Params) -> bool:
    """Record a streamed draft in a private chat; it never becomes a message."""
    chat = emu.chats.require(p.json("chat_id"))
    if chat.type != "private":
        raise ApiError(400, errors.PRIVATE_ONLY)
    draft_id = p.integer("draft_id")
    if not draft_id:
        raise errors.bad_request("draft_id must be non-zero")
    fields = text_fields(emu, p, allow_empty=True)  # over 4096: "message is too long"
    record = DraftRecord(draft_id, fields["text"], time.monotonic())
    emu.draft_log.setdefault(chat.id, []).append(record)
    return True


@api_method("setMessageReaction")
async def set_message_reaction(emu: BotApiEmulator, p: Params) -> bool:
    """Store the reactions on a message."""
    chat = emu.chats.require(p.json("chat_id"))
    message = emu.chats.get(chat.id, p.integer("message_id"))
    if message is None:
        raise errors.bad_request("message to react not found")
    message.reactions = list(p.json("reaction") or [])
    return True
