"""Showing work in progress: a throttled live message, the typing indicator, heartbeats."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from bot.core.messages import ChatRef
from bot.core.outbox import Button, Outbox, OutboxError, OutboxRetryLater

__all__ = ["Heartbeat", "LiveMessage", "keep_typing", "split_text"]

log = logging.getLogger(__name__)


def split_text(text: str, limit: int) -> list[str]:
    """Cut `text` into messages of at most `limit` characters, at a line or word if possible."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", limit // 2, limit)
        if cut <= 0:
            cut = rest.rfind(" ", limit // 2, limit)
        if cut <= 0:
            cut = limit
        chunk = rest[:cut].rstrip()
        if chunk:  # leading whitespace alone is not a message
            chunks.append(chunk)
        rest = rest[cut:].lstrip()
    if rest or not chunks:
        chunks.append(rest)
    return chunks


class LiveMessage:
    """An answer that grows while the agent streams, edited no faster than the platform allows."""

    def __init__(
        self,
        outbox: Outbox,
        chat: ChatRef,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._outbox = outbox
        self._chat = chat
        self._clock = clock
        self._ids: list[str] = []
        self._shown: list[str] = []
        self._last_edit = float("-inf")

    @property
    def started(self) -> bool:
        """At least one message was sent."""
        return bool(self._ids)

    async def show(self, text: str) -> None:
        """Show `text` now if the edit interval allows; otherwise a later call will."""
        limits = self._outbox.limits
        if not limits.live_edits or not text.strip():
            return
        if self._clock() - self._last_edit < limits.edit_interval:
            return
        await self._render(text, ())

    async def finish(self, text: str, buttons: tuple[Button, ...] = ()) -> None:
        """Show the final text (and buttons), whatever the interval."""
        await self._render(text, buttons)

    async def _render(self, text: str, buttons: tuple[Button, ...]) -> None:
        chunks = split_text(text, self._outbox.limits.max_text)
        for index, chunk in enumerate(chunks):
            chunk_buttons = buttons if index == len(chunks) - 1 else ()
            try:
                if index < len(self._ids):
                    if chunk != self._shown[index] or chunk_buttons:
                        await self._outbox.edit_text(
                            self._chat, self._ids[index], chunk, chunk_buttons
                        )
                        self._shown[index] = chunk
                else:
                    self._ids.append(await self._outbox.send_text(self._chat, chunk, chunk_buttons))
                    self._shown.append(chunk)
            except OutboxError as exc:
                # A refused edit (rate limit, message gone) must not end the turn; stop here so
                # message ids stay in step with chunks, and retry on the next render.
                log.warning("could not update a live message: %s", exc)
                if isinstance(exc, OutboxRetryLater):
                    self._last_edit = self._clock() + exc.retry_after
                    return
                break
        else:
            await self._drop_extra(len(chunks))
        self._last_edit = self._clock()

    async def _drop_extra(self, keep: int) -> None:
        """The text got shorter (GUI lines removed): remove messages it no longer fills."""
        while len(self._ids) > keep:
            message_id = self._ids.pop()
            self._shown.pop()
            try:
                if not await self._outbox.delete_message(self._chat, message_id):
                    await self._outbox.edit_text(self._chat, message_id, "⋯")
            except OutboxError as exc:
                log.debug("could not remove a leftover message: %s", exc)


@asynccontextmanager
async def keep_typing(outbox: Outbox, chat: ChatRef) -> AsyncIterator[None]:
    """Keep the typing indicator on for the whole block (platforms drop it after ~5 s)."""

    async def refresh() -> None:
        while True:
            await asyncio.sleep(outbox.limits.typing_refresh)
            try:
                await outbox.send_typing(chat)
            except OutboxError as exc:
                log.debug("typing indicator refused: %s", exc)

    try:
        await outbox.send_typing(chat)  # at once, even if the block never yields
    except OutboxError as exc:
        log.debug("typing indicator refused: %s", exc)
    task = asyncio.create_task(refresh())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Heartbeat:
    """Calls `on_silence` after every `interval` seconds without a `touch()`."""

    def __init__(self, interval: float, on_silence: Callable[[], Awaitable[None]]) -> None:
        self._interval = interval
        self._on_silence = on_silence
        self._touched = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def touch(self) -> None:
        """Something happened: restart the silence clock."""
        self._touched.set()

    async def __aenter__(self) -> Heartbeat:
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
                    await self._on_silence()
                except OutboxError as exc:
                    log.debug("heartbeat message refused: %s", exc)
            self._touched.clear()
