"""Media messages: sendPhoto/Video/Document/Audio/Voice/Animation, sendMediaGroup, getFile."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from . import errors
from .entities import parse_caption
from .errors import ApiError
from .handlers_messages import reply_target
from .limits import validate_reply_markup
from .media import MediaInfo, media_object, photo_sizes, resolve_input, store_thumbnail
from .models import BotMessage, Chat
from .registry import api_method
from .request import Params, UploadedPart

if TYPE_CHECKING:
    from .chats import ChatStore
    from .emulator import BotApiEmulator
    from .files import FileStore, StoredFile

ALBUM_KINDS = ("photo", "video", "document", "audio")
MAX_ALBUM = 10


def caption_fields(
    emu: BotApiEmulator, raw: str | None, parse_mode: str | None, entities: Any
) -> dict[str, Any]:
    """caption/caption_entities/raw_text/parse_mode of a media message."""
    caption, found = parse_caption(
        raw, parse_mode, entities, strict_ampersand=emu.options.strict_html_ampersand
    )
    return {
        "caption": caption,
        "caption_entities": found,
        "raw_text": raw,
        "parse_mode": parse_mode,
    }


def info_from(values: dict[str, Any]) -> MediaInfo:
    """Sender-defined media attributes from request parameters."""
    p = Params(values, {})
    return MediaInfo(
        width=p.integer("width"),
        height=p.integer("height"),
        duration=p.integer("duration"),
        performer=p.string("performer"),
        title=p.string("title"),
    )


def build_media_message(
    files: FileStore,
    chats: ChatStore,
    chat: Chat,
    kind: str,
    stored: StoredFile,
    *,
    info: MediaInfo,
    thumbnail: StoredFile | None = None,
    outgoing: bool = True,
    **fields: Any,
) -> BotMessage:
    """Create a media message (bot's or user's) with the Telegram-shaped media object."""
    if kind == "photo":
        media: Any = [size.photo_size() for size in photo_sizes(files, stored)]
        dims = {"width": stored.width, "height": stored.height}
    else:
        media = media_object(kind, stored, info, thumbnail)
        dims = {key: media.get(key) for key in ("width", "height", "duration")}
        for key, value in dims.items():
            if getattr(stored, key) is None and value:
                setattr(stored, key, value)
    return chats.add_message(
        chat,
        outgoing=outgoing,
        kind=kind,
        file=stored,
        thumbnail=thumbnail,
        media=media,
        **dims,
        **fields,
    )


async def send_media(emu: BotApiEmulator, p: Params, kind: str, method: str) -> Any:
    """Shared body of the single-media send* methods."""
    chat = emu.chats.require(p.json("chat_id"))
    markup = validate_reply_markup(p.json("reply_markup"))
    caption = caption_fields(
        emu, p.string("caption"), p.string("parse_mode"), p.json("caption_entities")
    )
    stored = await resolve_input(emu.files, emu.options, p.file(kind), kind)
    thumb_source = p.file("thumbnail")
    thumbnail = (
        store_thumbnail(emu.files, thumb_source) if isinstance(thumb_source, UploadedPart) else None
    )
    reply_to = reply_target(emu, chat, p)
    emu.limits.acquire(chat, method)
    message = build_media_message(
        emu.files,
        emu.chats,
        chat,
        kind,
        stored,
        info=info_from(p.values),
        thumbnail=thumbnail,
        supports_streaming=p.flag("supports_streaming") if kind == "video" else None,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        message_thread_id=p.integer("message_thread_id"),
        method=method,
        raw_params=p.summary(),
        **caption,
    )
    return emu.chats.message_json(message)


def _register_single(kind: str, method: str) -> None:
    async def handler(emu: BotApiEmulator, p: Params) -> Any:
        return await send_media(emu, p, kind, method)

    handler.__name__ = f"handle_{method}"
    api_method(method)(handler)


for _kind, _method in (
    ("photo", "sendPhoto"),
    ("video", "sendVideo"),
    ("document", "sendDocument"),
    ("audio", "sendAudio"),
    ("voice", "sendVoice"),
    ("animation", "sendAnimation"),
):
    _register_single(_kind, _method)


def check_album(items: Any) -> list[dict[str, Any]]:
    """Validate sendMediaGroup's media array like the server does."""
    if not items:
        raise errors.bad_request("there are no messages to send")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise errors.bad_request("can't parse media JSON object")
    if len(items) > MAX_ALBUM:
        raise errors.bad_request("too many messages to send as an album")
    kinds = [item.get("type") for item in items]
    for kind in kinds:
        if kind == "animation":
            raise errors.bad_request(
                "can't parse InputMedia: type \"animation\" can't be used in sendMediaGroup"
            )
        if kind not in ALBUM_KINDS:
            raise errors.bad_request(f'can\'t parse InputMedia: type "{kind}" is unsupported')
    for lonely in ("document", "audio"):
        if lonely in kinds and any(kind != lonely for kind in kinds):
            raise errors.bad_request(f"{lonely} can't be mixed with other media types")
    return items


@api_method("sendMediaGroup")
async def send_media_group(emu: BotApiEmulator, p: Params) -> list[Any]:
    """Send an album (one item is sent as a plain message, like Telegram)."""
    chat = emu.chats.require(p.json("chat_id"))
    items = check_album(p.json("media"))
    captions = [
        caption_fields(
            emu, item.get("caption"), item.get("parse_mode"), item.get("caption_entities")
        )
        for item in items
    ]
    stored = [
        await resolve_input(
            emu.files, emu.options, p.attached(str(item.get("media", ""))), item["type"]
        )
        for item in items
    ]
    reply_to = reply_target(emu, chat, p)
    emu.limits.acquire(chat, "sendMediaGroup", cost=len(items))
    # One item is sent as a plain message, outside any album, as the server does.
    group_id = str(10**17 + secrets.randbelow(9 * 10**17)) if len(items) > 1 else None
    messages = []
    for item, caption, file in zip(items, captions, stored, strict=True):
        thumb = item.get("thumbnail")
        thumb_part = p.attached(thumb) if isinstance(thumb, str) else None
        message = build_media_message(
            emu.files,
            emu.chats,
            chat,
            item["type"],
            file,
            info=info_from(item),
            thumbnail=store_thumbnail(emu.files, thumb_part)
            if isinstance(thumb_part, UploadedPart)
            else None,
            supports_streaming=bool(item.get("supports_streaming"))
            if item["type"] == "video"
            else None,
            media_group_id=group_id,
            reply_to_message_id=reply_to,
            message_thread_id=p.integer("message_thread_id"),
            method="sendMediaGroup",
            raw_params={**p.summary(), "media": item},
            **caption,
        )
        messages.append(emu.chats.message_json(message))
    return messages


@api_method("getFile")
async def get_file(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """A download path for a file of at most max_download_bytes (any size locally)."""
    file_id = p.string("file_id")
    stored = emu.files.get(file_id) if file_id else None
    if stored is None:
        raise ApiError(400, errors.INVALID_FILE_ID)
    limit = emu.options.download_limit
    if limit is not None and stored.size > limit:
        raise ApiError(400, errors.FILE_TOO_BIG)
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
        "file_path": emu.files.assign_path(stored),
    }
