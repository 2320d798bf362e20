"""Pacing: the one layer every send of the core goes through.

`Pacer` wraps one platform's `Outbox`: each send is shaped first (`bot.core.shaping`: split
at `max_text`, captions cut, identical edits skipped) and then run by the platform's
`Limiter` (`bot.core.limiter`: per chat, in priority order, within the chat's and the
platform's rates, 429s waited out).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

from bot.core.budget import SendBudget
from bot.core.limiter import FINAL, LIVE, Limiter
from bot.core.messages import Attachment, ChatRef
from bot.core.outbox import (
    DraftOutbox,
    InlineOutbox,
    Invoice,
    Keyboard,
    Limits,
    Outbox,
    OutboxError,
    PaymentOutbox,
    Rate,
    VideoFile,
)
from bot.core.shaping import Shown, cut_text, split_text

__all__ = ["FINAL", "LIVE", "Pacer"]

T = TypeVar("T")


class Pacer:
    """One platform's Outbox, paced and shaped per chat (see the module docstring)."""

    def __init__(
        self,
        outbox: Outbox,
        *,
        platform_rate: Rate | None = None,
        on_wait: Callable[[float], None] | None = None,
        budget: SendBudget | None = None,
    ) -> None:
        self.outbox = outbox
        self.platform = outbox.platform
        self.limiter = Limiter(
            outbox.platform, platform_rate=platform_rate, on_wait=on_wait, budget=budget
        )
        self._shown = Shown()

    @property
    def waits(self) -> int:
        """How often the platform told us to slow down."""
        return self.limiter.waits

    @property
    def waited_seconds(self) -> float:
        """How long, in all, the platform made us wait."""
        return self.limiter.waited_seconds

    def limits(self, chat: ChatRef) -> Limits:
        """The chat's limits, as the adapter states them."""
        return self.outbox.limits(chat)

    @property
    def takes_payments(self) -> bool:
        """The platform sells packs for its own currency (`PaymentOutbox`)."""
        return isinstance(self.outbox, PaymentOutbox)

    # -- sending ------------------------------------------------------------------------

    async def send_text(
        self, chat: ChatRef, text: str, buttons: Keyboard = (), *, live: bool = False
    ) -> list[str]:
        """Send `text` split at the chat's limit, buttons under the last part; the ids.

        An inline message is one message: the text is cut to fit it instead.
        """
        limit = self.limits(chat).max_text
        chunks = [cut_text(text, limit)] if chat.inline else split_text(text, limit)
        ids: list[str] = []
        for index, chunk in enumerate(chunks):
            keyboard = buttons if index == len(chunks) - 1 else ()
            send = partial(self.outbox.send_text, chat, chunk, keyboard)
            message_id = await self._call(chat, send, live=live)
            self._shown.remember(chat, message_id, chunk, keyboard)
            ids.append(message_id)
        return ids

    async def edit_text(
        self,
        chat: ChatRef,
        message_id: str,
        text: str,
        buttons: Keyboard = (),
        *,
        live: bool = False,
    ) -> None:
        """Replace one message's text (cut to the limit); an identical edit is skipped."""
        text = cut_text(text, self.limits(chat).max_text)
        if self._shown.same(chat, message_id, text, buttons):
            return
        await self._call(
            chat, partial(self.outbox.edit_text, chat, message_id, text, buttons), live=live
        )
        self._shown.remember(chat, message_id, text, buttons)

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool:
        """Remove a message; deletions are not counted against the chat's rate."""
        self._shown.forget(chat, message_id)
        remove = partial(self.outbox.delete_message, chat, message_id)
        return await self._call(chat, remove, live=False, cost=0)

    async def send_draft(self, chat: ChatRef, draft_id: int, text: str) -> None:
        """Update the chat's animated draft (live only; not counted as a message); a
        platform without drafts says so with `OutboxError`."""
        outbox = self.outbox
        if not isinstance(outbox, DraftOutbox):
            raise OutboxError(f"{self.platform} has no drafts")
        text = cut_text(text, self.limits(chat).max_text)
        draft = partial(outbox.send_draft, chat, draft_id, text)
        await self._call(chat, draft, live=True, cost=0)

    async def show_image(self, chat: ChatRef, url: str, caption: str, buttons: Keyboard) -> None:
        """Make an inline message the image at `url` (a platform without inline messages
        says so with `OutboxError`)."""
        outbox = self._inline_outbox()
        caption = cut_text(caption, self.limits(chat).max_caption)
        if chat.inline is not None:
            self._shown.forget(chat, chat.inline)  # its text is gone: a later edit must go
        show = partial(outbox.show_image, chat, url, caption, buttons)
        await self._call(chat, show, live=False)

    def start_link(self, payload: str | None) -> str | None:
        """A link to the user's private chat (started with `payload`), where the platform
        has one."""
        outbox = self.outbox
        return outbox.start_link(payload) if isinstance(outbox, InlineOutbox) else None

    def inline_handle(self) -> str | None:
        """How people call the bot inline ("@nemobot"), where the platform has inline mode."""
        outbox = self.outbox
        return outbox.inline_handle if isinstance(outbox, InlineOutbox) else None

    def _inline_outbox(self) -> InlineOutbox:
        outbox = self.outbox
        if not isinstance(outbox, InlineOutbox):
            raise OutboxError(f"{self.platform} has no inline messages")
        return outbox

    async def send_invoice(self, chat: ChatRef, invoice: Invoice) -> str:
        """Post an invoice (paced like a message); a platform without payments says so with
        `OutboxError`."""
        outbox = self.outbox
        if not isinstance(outbox, PaymentOutbox):
            raise OutboxError(f"{self.platform} takes no payments")
        return await self._call(chat, partial(outbox.send_invoice, chat, invoice), live=False)

    async def send_typing(self, chat: ChatRef, action: str = "typing") -> None:
        """Show an activity indicator (not paced: platforms do not count these)."""
        await self.outbox.send_typing(chat, action)

    async def send_images(
        self, chat: ChatRef, images: Sequence[Path], caption: str = "", buttons: Keyboard = ()
    ) -> list[str]:
        """Post images in albums of the chat's size; the caption and buttons on the first."""
        limits = self.limits(chat)
        caption = cut_text(caption, limits.max_caption)
        ids: list[str] = []
        step = max(1, limits.max_images)
        for start in range(0, len(images), step):
            batch = list(images[start : start + step])
            first = start == 0
            post = partial(
                self.outbox.send_images,
                chat,
                batch,
                caption if first else "",
                buttons if first else (),
            )
            ids += await self._call(chat, post, live=False, cost=len(batch))
        return ids

    async def send_video(
        self, chat: ChatRef, video: VideoFile, caption: str = "", buttons: Keyboard = ()
    ) -> str:
        """Post an MP4 with its caption cut to the chat's limit."""
        caption = cut_text(caption, self.limits(chat).max_caption)
        post = partial(self.outbox.send_video, chat, video, caption, buttons)
        return await self._call(chat, post, live=False)

    async def fetch_attachment(self, attachment: Attachment, dest: Path, limit: int) -> Path:
        """Fetch a user's file (not paced: it is a download, not a send)."""
        return await self.outbox.fetch_attachment(attachment, dest, limit)

    # -- the machinery ------------------------------------------------------------------

    async def _call(
        self, chat: ChatRef, make: Callable[[], Awaitable[T]], *, live: bool, cost: int = 1
    ) -> T:
        rates = self.limits(chat).rates
        return await self.limiter.process_request(make, chat, rates, live=live, cost=cost)
