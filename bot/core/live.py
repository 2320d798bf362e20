"""Showing work in progress: a live answer, the typing indicator, silence heartbeats.

A `LiveMessage` never makes the agent's stream wait for the platform: `show()` only records
the newest text, and a background flusher puts it on screen as often as the chat allows
(edits, or Telegram's animated drafts). `finish()` always lands the whole final text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from types import TracebackType

from bot.core.messages import ChatRef
from bot.core.outbox import Keyboard, OutboxError
from bot.core.pacing import Pacer
from bot.core.shaping import split_text

__all__ = ["Heartbeat", "LiveMessage", "keep_typing"]

log = logging.getLogger(__name__)


class LiveMessage:
    """An answer that grows while the agent streams (use as `async with`).

    `quiet` (a group's quiet mode): nothing is shown until `finish`, no previews, no notes.
    """

    def __init__(
        self,
        pacer: Pacer,
        chat: ChatRef,
        clock: Callable[[], float] = time.monotonic,
        *,
        buttons: Keyboard = (),
        quiet: bool = False,
    ) -> None:
        """`buttons` ride under the previews (an inline message's Cancel)."""
        self._pacer = pacer
        self._chat = chat
        self._buttons = buttons
        self._clock = clock
        self._quiet = quiet
        limits = pacer.limits(chat)
        self._limits = replace(limits, live="off") if quiet else limits
        self._body = ""
        self._footer = ""
        self._dirty = asyncio.Event()
        self._closing = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._ids: list[str] = []
        self._shown: list[str] = []
        self._first_shown: float | None = None
        self._draft_id = secrets.randbelow(2**31 - 1) + 1

    async def __aenter__(self) -> LiveMessage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher

    @property
    def started(self) -> bool:
        """Something of the answer is on screen."""
        return bool(self._ids)

    def show(self, body: str) -> None:
        """Make `body` the text to show next; returns at once."""
        self._body = body
        self._wake()

    async def note(self, text: str) -> None:
        """A status line under the answer (a new message where nothing can be edited)."""
        if self._quiet:
            return
        if self._limits.live == "off":
            await self._pacer.send_text(self._chat, text)
            return
        self._footer = text
        self._wake()

    async def finish(self, text: str, buttons: Keyboard = ()) -> list[str]:
        """Show the final text and buttons, whatever the pace; returns the message ids."""
        self._closing.set()
        if self._flusher is not None:
            await self._flusher  # a preview in flight completes: its message id is needed
        if not text.strip():
            await self._remove_previews(0)
            return []
        if self._limits.live != "edit" or not self._ids:
            return await self._pacer.send_text(self._chat, text, buttons)
        if self._first_shown is not None and (
            self._clock() - self._first_shown > self._limits.notify_after
        ):
            # Edits are silent: someone who looked away must get a notification.
            await self._remove_previews(0)
            return await self._pacer.send_text(self._chat, text, buttons)
        return await self._edit_into_place(text, buttons)

    # -- previews -----------------------------------------------------------------------

    def _wake(self) -> None:
        if self._limits.live == "off" or self._closing.is_set():
            return
        if not self._preview_text().strip():
            return
        self._dirty.set()
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_loop())

    def _preview_text(self) -> str:
        return "\n\n".join(part for part in (self._body, self._footer) if part.strip())

    async def _flush_loop(self) -> None:
        """Show the newest text at the chat's pace; a draft is also sent again before it
        lapses, so a long silence of the agent never leaves the chat without a preview."""
        last = float("-inf")
        while True:
            await self._first_of(self._dirty.wait(), at_most=self._refresh_in(last))
            wait = last + self._limits.edit_interval - self._clock()
            if wait > 0 and not self._closing.is_set():
                await self._first_of(asyncio.sleep(wait))
            if self._closing.is_set():
                return
            self._dirty.clear()
            try:
                await self._preview(self._preview_text())
            except OutboxError as exc:
                log.debug("live preview refused: %s", exc)
            last = self._clock()

    def _refresh_in(self, last: float) -> float | None:
        """Seconds until the shown draft must be sent again (None: nothing lapses)."""
        if self._limits.live != "draft" or last == float("-inf"):
            return None
        return max(0.0, last + self._limits.draft_refresh - self._clock())

    async def _first_of(self, waiting: Awaitable[object], at_most: float | None = None) -> None:
        """Wait for `waiting`, `finish()` or `at_most` seconds, whichever comes first."""
        task = asyncio.ensure_future(waiting)
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait(
                {task, closing}, timeout=at_most, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for pending in (task, closing):
                pending.cancel()

    async def _preview(self, text: str) -> None:
        if self._limits.live == "draft":
            # A draft is one message: past the limit, it shows the part being written now.
            tail = split_text(text, self._limits.max_text)[-1]
            await self._pacer.send_draft(self._chat, self._draft_id, tail)
            return
        chunks = split_text(text, self._limits.max_text)
        for index, chunk in enumerate(chunks):
            keyboard = self._buttons if index == len(chunks) - 1 else ()
            if index < len(self._ids):
                if chunk != self._shown[index]:
                    await self._pacer.edit_text(
                        self._chat, self._ids[index], chunk, keyboard, live=True
                    )
                    self._shown[index] = chunk
            else:
                self._ids += await self._pacer.send_text(self._chat, chunk, keyboard, live=True)
                self._shown.append(chunk)
                if self._first_shown is None:
                    self._first_shown = self._clock()

    # -- the final text -----------------------------------------------------------------

    async def _edit_into_place(self, text: str, buttons: Keyboard) -> list[str]:
        chunks = split_text(text, self._limits.max_text)
        ids: list[str] = []
        for index, chunk in enumerate(chunks):
            keyboard = buttons if index == len(chunks) - 1 else ()
            if index < len(self._ids):
                try:
                    await self._pacer.edit_text(self._chat, self._ids[index], chunk, keyboard)
                    ids.append(self._ids[index])
                    continue
                except OutboxError as exc:
                    # The preview can no longer be edited: the rest arrives as new messages.
                    log.info("could not edit a live answer, sending anew: %s", exc)
                    await self._remove_previews(index)
                    rest = "\n".join(chunks[index:])
                    return ids + await self._pacer.send_text(self._chat, rest, buttons)
            ids += await self._pacer.send_text(self._chat, chunk, keyboard)
        await self._remove_previews(len(chunks))
        return ids

    async def _remove_previews(self, keep: int) -> None:
        """Remove preview messages past the first `keep` (the text got shorter, or moved)."""
        while len(self._ids) > keep:
            message_id = self._ids.pop()
            self._shown.pop()
            try:
                if not await self._pacer.delete_message(self._chat, message_id):
                    await self._pacer.edit_text(self._chat, message_id, "⋯")
            except OutboxError as exc:
                log.debug("could not remove a preview message: %s", exc)


@asynccontextmanager
async def keep_typing(pacer: Pacer, chat: ChatRef, action: str = "typing") -> AsyncIterator[None]:
    """Keep an activity indicator on for the whole block (platforms drop it after ~5 s)."""

    async def send() -> None:
        try:
            await pacer.send_typing(chat, action)
        except OutboxError as exc:
            log.debug("activity indicator refused: %s", exc)

    async def refresh() -> None:
        while True:
            await asyncio.sleep(pacer.limits(chat).typing_refresh)
            await send()

    await send()  # at once, even if the block never yields
    task = asyncio.create_task(refresh())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Heartbeat:
    """Calls `on_silence(seconds_running)` after every `interval` seconds without a `touch()`."""

    def __init__(
        self,
        interval: float,
        on_silence: Callable[[float], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._on_silence = on_silence
        self._clock = clock
        self._touched = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._started = clock()

    def touch(self) -> None:
        """Something happened: restart the silence clock."""
        self._touched.set()

    async def __aenter__(self) -> Heartbeat:
        self._started = self._clock()
        if self._interval > 0:
            self._task = asyncio.create_task(self._watch())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self._interval):
                    await self._touched.wait()
            except TimeoutError:
                try:
                    await self._on_silence(self._clock() - self._started)
                except OutboxError as exc:
                    log.debug("heartbeat message refused: %s", exc)
            self._touched.clear()
