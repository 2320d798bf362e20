"""Per-chat pacing: the one layer every send of the core goes through.

`Pacer` wraps one platform's `Outbox`. Per chat it runs one call at a time, in priority
order (final answers before live previews), within the chat's `Limits.rates` and the
platform-wide rate, as counted by its `SendBudget` (this process's, or the whole bot's). It
splits text at `max_text` on line boundaries, cuts captions at `max_caption`, waits out
`OutboxRetryLater` (a final answer is retried until it lands, a live preview is dropped: a
newer one follows; so is a preview that could not go for a while) and skips edits that
would change nothing.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import TypeVar

from bot.core.budget import LocalBudget, SendBudget, Throttled, Windows, window_key
from bot.core.messages import Attachment, ChatRef
from bot.core.outbox import (
    DraftOutbox,
    Keyboard,
    Limits,
    Outbox,
    OutboxError,
    OutboxRetryLater,
    Rate,
    VideoFile,
)

__all__ = ["FINAL", "LIVE", "Pacer", "cut_text", "split_text", "utf16_len"]

log = logging.getLogger(__name__)
T = TypeVar("T")

FINAL, LIVE = 0, 1  # priorities: lower goes first
_MAX_RETRIES = 8  # 429s in a row before a final answer is given up
_LIVE_PATIENCE = 2.0  # a live preview that cannot go sooner is stale: skipped
_SHOWN_CACHE = 4096  # edits remembered for skipping identical ones
_ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the strictest way platforms count characters."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _fit(text: str, limit: int) -> int:
    """The longest prefix length (in characters) of `text` within `limit` UTF-16 units."""
    end = min(len(text), limit)
    while end > 0 and utf16_len(text[:end]) > limit:
        end -= max(1, (utf16_len(text[:end]) - limit) // 2)
    return end


def split_text(text: str, limit: int) -> list[str]:
    """Cut `text` into messages within `limit`, at a line break, else a space, if possible."""
    chunks: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        end = max(1, _fit(rest, limit))  # a character wider than the limit still moves on
        cut = rest.rfind("\n", end // 2, end)
        if cut <= 0:
            cut = rest.rfind(" ", end // 2, end)
        if cut <= 0:
            cut = end
        chunk = rest[:cut].rstrip()
        if chunk:  # leading whitespace alone is not a message
            chunks.append(chunk)
        rest = rest[cut:].lstrip()
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def cut_text(text: str, limit: int) -> str:
    """`text` within `limit`, cut at a line or word and marked with an ellipsis."""
    if utf16_len(text) <= limit:
        return text
    head = split_text(text, max(1, limit - 1))[0].rstrip()
    while head and utf16_len(head) + 1 > limit:  # a wide character at a tiny limit
        head = head[:-1]
    return head + _ELLIPSIS if limit >= 1 else ""


class _Gate:
    """One chat's queue: one call at a time, best priority first, within every window."""

    def __init__(self, keys: Windows, budget: SendBudget) -> None:
        self.keys = keys
        self._budget = budget
        self.blocked_until = 0.0
        self._waiting: list[tuple[int, int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._runner: asyncio.Task[None] | None = None
        self._done = asyncio.Event()

    @property
    def idle(self) -> bool:
        """Nobody waits and nothing runs."""
        return not self._waiting and (self._runner is None or self._runner.done())

    @asynccontextmanager
    async def turn(self, priority: int, cost: int) -> AsyncIterator[None]:
        """Wait for this chat's next slot, then hold it for the body."""
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), cost, granted))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._dispatch())
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled() and granted.exception() is None:
                self._done.set()  # the slot was ours: hand it on
            raise
        try:
            yield
        finally:
            self._done.set()

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            best = self._waiting[0]
            priority, _, cost, granted = best
            if granted.done():
                heapq.heappop(self._waiting)  # its caller gave up
                continue
            wait = self.blocked_until - loop.time()
            if wait <= 0 and cost:
                wait = await self._budget.reserve(self.keys, cost, live=priority == LIVE)
            if wait <= 0:
                await self._grant()  # returns once the call is done
                if cost:
                    await self._budget.sent(self.keys, cost)
            elif self._waiting[0] is not best:
                continue  # a better waiter came while the budget was asked
            elif priority == LIVE and wait > _LIVE_PATIENCE:
                heapq.heappop(self._waiting)
                if not granted.done():
                    granted.set_exception(OutboxRetryLater("live preview skipped", wait))
            else:
                await asyncio.sleep(wait)  # then look again: a better waiter may have come

    async def _grant(self) -> None:
        """The slot just taken goes to the best waiter now (a final may have come meanwhile)."""
        while self._waiting:
            _, _, _, granted = heapq.heappop(self._waiting)
            if not granted.done():
                self._done.clear()
                granted.set_result(None)
                await self._done.wait()
                return


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
        self._on_wait = on_wait
        self.platform = outbox.platform
        rate = platform_rate
        self._platform_keys: Windows = ((window_key(self.platform, rate), rate),) if rate else ()
        self._paced = Throttled(budget, self._platform_keys) if budget else LocalBudget()
        self._gates: dict[tuple[str, str, str | None], _Gate] = {}
        self._shown: OrderedDict[tuple[object, ...], tuple[str, Keyboard]] = OrderedDict()
        self.waits = 0  # how often the platform told us to slow down
        self.waited_seconds = 0.0

    def limits(self, chat: ChatRef) -> Limits:
        """The chat's limits, as the adapter states them."""
        return self.outbox.limits(chat)

    # -- sending ------------------------------------------------------------------------

    async def send_text(
        self, chat: ChatRef, text: str, buttons: Keyboard = (), *, live: bool = False
    ) -> list[str]:
        """Send `text` split at the chat's limit, buttons under the last part; the ids."""
        chunks = split_text(text, self.limits(chat).max_text)
        ids: list[str] = []
        for index, chunk in enumerate(chunks):
            keyboard = buttons if index == len(chunks) - 1 else ()
            send = partial(self.outbox.send_text, chat, chunk, keyboard)
            message_id = await self._call(chat, send, live=live)
            self._remember(chat, message_id, chunk, keyboard)
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
        if self._shown.get((chat.key, message_id)) == (text, buttons):
            return
        await self._call(
            chat, partial(self.outbox.edit_text, chat, message_id, text, buttons), live=live
        )
        self._remember(chat, message_id, text, buttons)

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool:
        """Remove a message; deletions are not counted against the chat's rate."""
        self._shown.pop((chat.key, message_id), None)
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
        gate = self._gate(chat)
        retries = 0
        while True:
            async with gate.turn(LIVE if live else FINAL, cost):
                try:
                    return await make()
                except OutboxRetryLater as exc:
                    loop = asyncio.get_running_loop()
                    gate.blocked_until = max(gate.blocked_until, loop.time() + exc.retry_after)
                    self.waits += 1
                    self.waited_seconds += exc.retry_after
                    if self._on_wait is not None:
                        self._on_wait(exc.retry_after)
                    retries += 1
                    if live or retries > _MAX_RETRIES:
                        raise
                    log.info("platform asked to wait %.1f s in a chat; will retry", exc.retry_after)

    def _gate(self, chat: ChatRef) -> _Gate:
        gate = self._gates.get(chat.key)
        if gate is None:
            if len(self._gates) > 1024:
                self._forget_idle_gates()
            scope = ":".join(part or "" for part in chat.key)
            keys = [(window_key(scope, rate), rate) for rate in self.limits(chat).rates]
            gate = _Gate((*self._platform_keys, *keys), self._paced)
            self._gates[chat.key] = gate
        return gate

    def _forget_idle_gates(self) -> None:
        """Idle chats' queues go; their windows stay in the budget as long as they count."""
        now = asyncio.get_running_loop().time()
        for key, gate in list(self._gates.items()):
            if gate.idle and gate.blocked_until < now:
                del self._gates[key]

    def _remember(self, chat: ChatRef, message_id: str, text: str, buttons: Keyboard) -> None:
        self._shown[(chat.key, message_id)] = (text, buttons)
        self._shown.move_to_end((chat.key, message_id))
        while len(self._shown) > _SHOWN_CACHE:
            self._shown.popitem(last=False)
