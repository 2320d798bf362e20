"""Inline mode, the bot's side: answerInlineQuery, and editMessageMedia.

answerInlineQuery is checked as the Bot API documents it: one answer per query, within
`inline_answer_timeout` (Telegram: about 10 s), at most 50 results, each with an id of 1-64
bytes unique in the answer and the fields its type requires. Edits of inline messages by
`inline_message_id` are in `handlers_messages` (they answer True, not the message).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import errors
from .entities import parse_caption, parse_message_text
from .errors import ApiError
from .handlers_media import caption_fields
from .handlers_messages import editable
from .inline import InlineAnswerRecord
from .limits import validate_reply_markup
from .media import MediaInfo, media_object, photo_sizes, resolve_input
from .registry import api_method
from .request import UploadedPart

if TYPE_CHECKING:
    from .emulator import BotApiEmulator
    from .request import Params

MAX_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
EDITABLE_MEDIA = ("photo", "video", "animation", "audio", "document")
JSON = dict[str, Any]


@api_method("answerInlineQuery")
async def answer_inline_query(emu: BotApiEmulator, p: Params) -> bool:
    """Answer an inline query once, in time, with valid results."""
    query = emu.inline_queries.get(p.string("inline_query_id") or "")
    now = time.monotonic()
    too_old = query is not None and now - query.created > emu.options.inline_answer_timeout
    if query is None or query.answer is not None or too_old:
        raise ApiError(400, errors.QUERY_TOO_OLD)
    results = p.json("results")
    if not isinstance(results, list):
        raise errors.bad_request("can't parse inline query results JSON object")
    if len(results) > MAX_RESULTS:
        raise errors.bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    checked = [_checked(emu, result, seen) for result in results]
    query.answer = InlineAnswerRecord(
        checked, p.integer("cache_time"), p.flag("is_personal"), now - query.created
    )
    emu.notifier.notify()
    return True


def _checked(emu: BotApiEmulator, result: Any, seen: set[str]) -> JSON:
    """One result as the server would keep it, or the 400 it answers."""
    if not isinstance(result, dict):
        raise errors.bad_request("can't parse InlineQueryResult JSON object")
    result_id = result.get("id")
    if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= MAX_RESULT_ID_BYTES:
        raise errors.bad_request("RESULT_ID_INVALID")
    if result_id in seen:
        raise errors.bad_request("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    kept = dict(result)
    kept["reply_markup"] = validate_reply_markup(result.get("reply_markup"))
    if result.get("type") == "article":
        _check_article(emu, kept)
    elif result.get("type") == "photo":
        _check_photo(emu, kept)
    else:
        raise errors.bad_request("RESULT_TYPE_INVALID")
    return kept


def _field(result: JSON, name: str) -> Any:
    value = result.get(name)
    if value is None or value == "":
        raise errors.bad_request(f'can\'t parse inline query result: field "{name}" is required')
    return value


def _check_article(emu: BotApiEmulator, result: JSON) -> None:
    if not isinstance(_field(result, "title"), str):
        raise errors.bad_request('can\'t parse inline query result: field "title" must be a String')
    content = _field(result, "input_message_content")
    if not isinstance(content, dict) or "message_text" not in content:
        raise errors.bad_request("can't parse InputMessageContent JSON object")
    text, entities = parse_message_text(
        content.get("message_text"),
        content.get("parse_mode"),
        content.get("entities"),
        strict_ampersand=emu.options.strict_html_ampersand,
    )
    result["input_message_content"] = {"message_text": text, "entities": entities}


def _check_photo(emu: BotApiEmulator, result: JSON) -> None:
    if "photo_file_id" in result:
        stored = emu.files.get(str(result["photo_file_id"]))
        if stored is None or stored.kind != "photo":
            raise ApiError(400, errors.WRONG_FILE_ID)
    else:
        for name in ("photo_url", "thumbnail_url"):
            if not str(_field(result, name)).startswith(("http://", "https://")):
                raise errors.bad_request(f"can't parse inline query result: wrong {name}")
    caption, _ = parse_caption(
        result.get("caption"),
        result.get("parse_mode"),
        result.get("caption_entities"),
        strict_ampersand=emu.options.strict_html_ampersand,
    )
    result["caption"] = caption


@api_method("editMessageMedia")
async def edit_message_media(emu: BotApiEmulator, p: Params) -> Any:
    """Replace a message's media (or add media to a text message); an inline message's
    media must be a file_id or a URL, never an upload."""
    chat, message, inline = editable(emu, p)
    media = p.json("media")
    if not isinstance(media, dict) or "type" not in media or "media" not in media:
        raise errors.bad_request("can't parse InputMedia JSON object")
    kind = media["type"]
    if kind not in EDITABLE_MEDIA:
        raise errors.bad_request(f'can\'t parse InputMedia: type "{kind}" is unsupported')
    source = p.attached(str(media["media"]))
    if inline and isinstance(source, UploadedPart):
        raise errors.bad_request(errors.INLINE_UPLOAD)
    stored = await resolve_input(emu.files, emu.options, source, kind)
    caption = caption_fields(
        emu, media.get("caption"), media.get("parse_mode"), media.get("caption_entities")
    )
    markup = validate_reply_markup(p.json("reply_markup"))
    emu.limits.acquire(chat, "editMessageMedia")
    message.history.append(message.snapshot())
    message.edits.append(message.body or "")
    message.kind, message.file, message.text, message.entities = kind, stored, None, []
    if kind == "photo":
        message.media = [size.photo_size() for size in photo_sizes(emu.files, stored)]
    else:
        message.media = media_object(kind, stored, MediaInfo(), None)
    for name, value in {**caption, "reply_markup": markup}.items():
        setattr(message, name, value)
    message.edit_date = int(time.time())
    return True if inline else emu.chats.message_json(message)
