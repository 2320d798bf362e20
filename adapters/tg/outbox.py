"""`TelegramOutbox`: the core's Outbox on python-telegram-bot's `Bot`.

Every PTB error becomes `OutboxError` (or `OutboxRetryLater` for flood control) here and
nowhere else. Formatted text goes out as HTML; when Telegram cannot parse the entities the
same text is sent again as plain text.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from telegram import Bot, InputFile, InputMediaPhoto, LabeledPrice, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from adapters.tg.limits import DRAFT_REFRESH, limits_for
from adapters.tg.markup import keyboard, to_html
from bot.core.messages import Attachment, ChatRef
from bot.core.outbox import (
    Invoice,
    Keyboard,
    Limits,
    OutboxError,
    OutboxRetryLater,
    OutboxTooLarge,
    OutboxUnreachable,
    VideoFile,
)

__all__ = ["PLATFORM", "TelegramOutbox"]

log = logging.getLogger(__name__)
T = TypeVar("T")

PLATFORM = "telegram"
STARS = "XTR"  # the currency of digital goods: Telegram Stars, no payment provider
_ACTIONS = {"typing": "typing", "upload_photo": "upload_photo", "upload_video": "upload_video"}
_NETWORK_RETRY_SECONDS = 2.0
_MEDIA_TIMEOUT = 300.0  # seconds to upload a large video


# PTB 22 warns, whenever it builds a RetryAfter, that `retry_after` will become a timedelta;
# both forms are read below, so the warning says nothing to an operator.
warnings.filterwarnings("ignore", message=r".*`retry_after`", category=PTBDeprecationWarning)


def _retry_seconds(exc: RetryAfter) -> float:
    value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _unparsable(exc: BadRequest) -> bool:
    return "can't parse entities" in exc.message.lower()


async def _translate(what: str, make: Callable[[], Awaitable[T]]) -> T:
    """Run one Bot API call; its failures as the core's Outbox errors."""
    try:
        return await make()
    except RetryAfter as exc:
        raise OutboxRetryLater(f"{what}: flood control", _retry_seconds(exc)) from None
    except BadRequest as exc:
        raise OutboxError(f"{what}: {exc.message}") from None
    except TimedOut:
        # The request may have arrived: never send it again on our own.
        raise OutboxError(f"{what}: timed out") from None
    except NetworkError as exc:
        if "too large" in exc.message.lower():
            raise OutboxError(f"{what}: the file is too large for Telegram") from None
        raise OutboxRetryLater(f"{what}: network error", _NETWORK_RETRY_SECONDS) from None
    except Forbidden as exc:  # never started by the user, blocked, or removed from the group
        raise OutboxUnreachable(f"{what}: {exc.message}") from None
    except ChatMigrated as exc:
        raise OutboxError(f"{what}: {exc.message}") from None
    except TelegramError as exc:
        raise OutboxError(f"{what}: {exc.message}") from None


class TelegramOutbox:
    """Talks back in Telegram chats (and inline messages) through one PTB `Bot`."""

    platform = PLATFORM

    def __init__(
        self,
        bot: Bot,
        *,
        local_mode: bool = False,
        draft_refresh: float = DRAFT_REFRESH,
        inline_mode: bool = False,
    ) -> None:
        """`inline_mode`: the bot has inline mode on (getMe's supports_inline_queries)."""
        self._bot = bot
        self._local_mode = local_mode
        self._draft_refresh = draft_refresh
        self._inline_mode = inline_mode

    def limits(self, chat: ChatRef) -> Limits:
        return limits_for(chat, local_mode=self._local_mode, draft_refresh=self._draft_refresh)

    @property
    def inline_handle(self) -> str | None:
        return f"@{self._bot.username}" if self._inline_mode else None

    def start_link(self, payload: str | None) -> str:
        link = f"https://t.me/{self._bot.username}"
        return f"{link}?start={payload}" if payload else link

    # -- text -----------------------------------------------------------------------------

    async def send_text(self, chat: ChatRef, text: str, buttons: Keyboard = ()) -> str:
        if chat.inline is not None:
            await self._edit_inline(chat.inline, text, buttons)
            return chat.inline

        async def send(formatted: bool) -> Message:
            return await self._bot.send_message(
                int(chat.chat_id),
                to_html(text) if formatted else text,
                parse_mode=ParseMode.HTML if formatted else None,
                reply_markup=keyboard(buttons),
                **_where(chat),
            )

        message = await _translate("sendMessage", lambda: _html_or_plain(send))
        return str(message.message_id)

    async def edit_text(
        self, chat: ChatRef, message_id: str, text: str, buttons: Keyboard = ()
    ) -> None:
        if chat.inline is not None:
            await self._edit_inline(chat.inline, text, buttons)
            return

        async def edit(formatted: bool) -> object:
            return await self._bot.edit_message_text(
                to_html(text) if formatted else text,
                chat_id=int(chat.chat_id),
                message_id=int(message_id),
                parse_mode=ParseMode.HTML if formatted else None,
                reply_markup=keyboard(buttons),
            )

        await _quietly_unchanged("editMessageText", lambda: _html_or_plain(edit))

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool:
        if chat.inline is not None:
            return False  # bots cannot delete inline messages
        try:
            return await _translate(
                "deleteMessage",
                lambda: self._bot.delete_message(int(chat.chat_id), int(message_id)),
            )
        except OutboxRetryLater:
            raise
        except OutboxError as exc:
            log.debug("message not deleted: %s", exc)
            return False

    async def send_draft(self, chat: ChatRef, draft_id: int, text: str) -> None:
        await _translate(
            "sendMessageDraft",
            lambda: self._bot.send_message_draft(
                int(chat.chat_id), draft_id, text, message_thread_id=_thread(chat)
            ),
        )

    async def send_typing(self, chat: ChatRef, action: str = "typing") -> None:
        if chat.inline is not None:
            return  # an inline message is in a chat the bot may not be in: nothing to show
        await _translate(
            "sendChatAction",
            lambda: self._bot.send_chat_action(
                int(chat.chat_id), _ACTIONS.get(action, "typing"), message_thread_id=_thread(chat)
            ),
        )

    # -- Stars and administrators -----------------------------------------------------------

    async def send_invoice(self, chat: ChatRef, invoice: Invoice) -> str:
        message = await _translate(
            "sendInvoice",
            lambda: self._bot.send_invoice(
                int(chat.chat_id),
                invoice.title,
                invoice.description,
                invoice.payload,
                STARS,
                [LabeledPrice(invoice.label, invoice.amount)],
                provider_token="",  # Stars need none
                **_where(chat),
            ),
        )
        return str(message.message_id)

    async def refund(self, user_id: str, charge_id: str) -> None:
        await _translate(
            "refundStarPayment", lambda: self._bot.refund_star_payment(int(user_id), charge_id)
        )

    async def chat_admins(self, chat: ChatRef) -> frozenset[str]:
        members = await _translate(
            "getChatAdministrators", lambda: self._bot.get_chat_administrators(int(chat.chat_id))
        )
        return frozenset(str(member.user.id) for member in members)

    # -- media ----------------------------------------------------------------------------

    async def send_images(
        self, chat: ChatRef, images: Sequence[Path], caption: str = "", buttons: Keyboard = ()
    ) -> list[str]:
        _no_upload(chat)
        if len(images) == 1:
            return [await self._send_photo(chat, images[0], caption, buttons)]

        async def album(formatted: bool) -> Sequence[Message]:
            media = [
                InputMediaPhoto(
                    path.read_bytes() if not self._local_mode else path,
                    caption=(to_html(caption) if formatted else caption) if index == 0 else None,
                    parse_mode=ParseMode.HTML if formatted and index == 0 else None,
                    filename=path.name,
                )
                for index, path in enumerate(images)
            ]
            return await self._bot.send_media_group(
                int(chat.chat_id), media, write_timeout=_MEDIA_TIMEOUT, **_where(chat)
            )

        messages = await _translate("sendMediaGroup", lambda: _html_or_plain(album))
        return [str(message.message_id) for message in messages]

    async def _send_photo(self, chat: ChatRef, path: Path, caption: str, buttons: Keyboard) -> str:
        async def photo(formatted: bool) -> Message:
            with self._upload(path) as body:
                return await self._bot.send_photo(
                    int(chat.chat_id),
                    body,
                    caption=(to_html(caption) if formatted else caption) or None,
                    parse_mode=ParseMode.HTML if formatted else None,
                    reply_markup=keyboard(buttons),
                    filename=path.name,
                    write_timeout=_MEDIA_TIMEOUT,
                    **_where(chat),
                )

        message = await _translate("sendPhoto", lambda: _html_or_plain(photo))
        return str(message.message_id)

    async def send_video(
        self, chat: ChatRef, video: VideoFile, caption: str = "", buttons: Keyboard = ()
    ) -> str:
        _no_upload(chat)

        async def send(formatted: bool) -> Message:
            with contextlib.ExitStack() as files:
                body = files.enter_context(self._upload(video.path))
                thumb = (
                    files.enter_context(self._upload(video.thumbnail)) if video.thumbnail else None
                )
                return await self._bot.send_video(
                    int(chat.chat_id),
                    body,
                    duration=round(video.duration) or None,
                    width=video.width,
                    height=video.height,
                    caption=(to_html(caption) if formatted else caption) or None,
                    parse_mode=ParseMode.HTML if formatted else None,
                    supports_streaming=True,
                    thumbnail=thumb,
                    reply_markup=keyboard(buttons),
                    filename=video.path.name,
                    write_timeout=_MEDIA_TIMEOUT,
                    read_timeout=_MEDIA_TIMEOUT,
                    **_where(chat),
                )

        message = await _translate("sendVideo", lambda: _html_or_plain(send))
        return str(message.message_id)

    # -- inline messages ------------------------------------------------------------------

    async def show_image(self, chat: ChatRef, url: str, caption: str, buttons: Keyboard) -> None:
        inline = _inline_id(chat)

        async def edit(formatted: bool) -> object:
            text = to_html(caption) if formatted else caption
            mode = ParseMode.HTML if formatted else None
            return await self._bot.edit_message_media(
                InputMediaPhoto(url, caption=text or None, parse_mode=mode),
                inline_message_id=inline,
                reply_markup=keyboard(buttons),
            )

        await _quietly_unchanged("editMessageMedia", lambda: _html_or_plain(edit))

    async def _edit_inline(self, inline: str, text: str, buttons: Keyboard) -> None:
        """An inline message's text, or its caption once it shows an image (its kind is
        not known here: Telegram says so when there is no text to edit)."""

        async def edit(formatted: bool) -> object:
            return await self._bot.edit_message_text(
                to_html(text) if formatted else text,
                inline_message_id=inline,
                parse_mode=ParseMode.HTML if formatted else None,
                reply_markup=keyboard(buttons),
            )

        async def caption(formatted: bool) -> object:
            return await self._bot.edit_message_caption(
                inline_message_id=inline,
                caption=to_html(text) if formatted else text,
                parse_mode=ParseMode.HTML if formatted else None,
                reply_markup=keyboard(buttons),
            )

        try:
            await _quietly_unchanged("editMessageText", lambda: _html_or_plain(edit))
        except OutboxError as exc:
            if "no text in the message" not in str(exc):
                raise
            await _quietly_unchanged("editMessageCaption", lambda: _html_or_plain(caption))

    @contextlib.contextmanager
    def _upload(self, path: Path) -> Iterator[Path | InputFile]:
        """What to hand PTB for a file: a local Bot API server reads it by path; the cloud
        one gets it streamed from disk (a 50 MB video never sits in memory), opened afresh
        for each attempt."""
        if self._local_mode:
            yield path
            return
        with path.open("rb") as handle:
            yield InputFile(handle, filename=path.name, read_file_handle=False)

    async def fetch_attachment(self, attachment: Attachment, dest: Path, limit: int) -> Path:
        if attachment.size is not None and attachment.size > limit:
            raise OutboxTooLarge(f"{attachment.name} is over {limit} bytes")
        try:
            file = await _translate("getFile", lambda: self._bot.get_file(attachment.ref))
        except OutboxError as exc:
            if "too big" in str(exc):
                raise OutboxTooLarge(f"{attachment.name} is over the download limit") from None
            raise
        if file.file_size is not None and file.file_size > limit:
            raise OutboxTooLarge(f"{attachment.name} is over {limit} bytes")
        # The file's URL holds the bot token: it stays inside PTB, never logged or passed on.
        await _translate("download", lambda: file.download_to_drive(dest))
        if dest.stat().st_size > limit:
            dest.unlink(missing_ok=True)
            raise OutboxTooLarge(f"{attachment.name} is over {limit} bytes")
        return dest


async def _html_or_plain(call: Callable[[bool], Awaitable[T]]) -> T:
    """Send formatted; if Telegram cannot parse the entities, the same text plain."""
    try:
        return await call(True)
    except BadRequest as exc:
        if not _unparsable(exc):
            raise
        log.info("Telegram could not parse the formatting; sending plain text")
        return await call(False)


async def _quietly_unchanged(what: str, make: Callable[[], Awaitable[object]]) -> None:
    """Run an edit; one that changes nothing succeeds quietly (the Outbox contract)."""
    try:
        await _translate(what, make)
    except OutboxError as exc:
        if "not modified" not in str(exc):
            raise


def _inline_id(chat: ChatRef) -> str:
    if chat.inline is None:
        raise OutboxError("only an inline message is shown this way")
    return chat.inline


def _no_upload(chat: ChatRef) -> None:
    if chat.inline is not None:
        raise OutboxError("an inline message takes no uploads")


def _thread(chat: ChatRef) -> int | None:
    return int(chat.thread_id) if chat.thread_id else None


def _where(chat: ChatRef) -> dict[str, Any]:
    """Thread and reply arguments shared by every send."""
    reply = None
    if chat.reply_to:
        reply = ReplyParameters(int(chat.reply_to), allow_sending_without_reply=True)
    return {"message_thread_id": _thread(chat), "reply_parameters": reply}
