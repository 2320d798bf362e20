"""The engine: accepts messages into the durable inbox at once, and serves them later.

`submit` only writes: the message is stored with its intent, decided there once (deduped by
platform update id), and the caller learns its place in line, whatever the backend is doing,
so a Discord interaction can be acknowledged within 3 s and a Telegram webhook answered at
once. Serving happens in tasks: per user, the line's head is claimed and worked on, so one
user's turns never overlap and keep their order; side-lane messages (`/cancel`, status,
credits…) are answered beside a running turn. The inbox item's lifecycle (`storage.lifecycle`)
decides what a worker does with work another left: a turn that never reached the agent is
run, one that may have reached it is reported to the user with a Send again button.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Coroutine
from dataclasses import dataclass
from typing import Any

from bot.core.acceptance import Acceptance, AcceptThread, Inline
from bot.core.accounts import Accounts
from bot.core.admission import Admission
from bot.core.context import Timing
from bot.core.conversation import Conversation
from bot.core.coordination import Coordination
from bot.core.export import Exporter
from bot.core.housekeeping import Housekeeping
from bot.core.inline import InlineAnswer, InlineQueries
from bot.core.items import ItemWork
from bot.core.lines import Lines
from bot.core.messages import IncomingMessage, User
from bot.core.observe import Observer
from bot.core.outbox import Outbox, OutboxError, Rate
from bot.core.pacing import Pacer
from bot.core.platforms import Platforms
from bot.core.reception import Accepted, Admitted, Reception
from bot.core.registry import Registry
from bot.core.scratch import Scratch
from bot.core.stars import Stars
from bot.logs import pseudonym
from storage import Store

__all__ = ["Accepted", "Engine", "EngineParts"]

log = logging.getLogger(__name__)

_RULES_EVERY = 60.0  # seconds between re-reads of the ban and allow rules


@dataclass(frozen=True, slots=True)
class EngineParts:
    """The engine's collaborators, built once (`bot.core.assembly.assemble`)."""

    store: Store
    worker_id: str
    role: str  # all | ingress (store only) | worker (answer only)
    timing: Timing
    observer: Observer
    platforms: Platforms
    scratch: Scratch
    accounts: Accounts
    conversation: Conversation
    exporter: Exporter
    admission: Admission
    reception: Reception
    lines: Lines
    items: ItemWork
    coordination: Coordination
    housekeeping: Housekeeping
    registry: Registry  # what the bot answers (its menus list it)
    inline: InlineQueries  # what inline queries are offered
    stars: Stars  # packs sold for Telegram Stars
    reception_on: Callable[[Store], Reception]  # the reception on a store's twin


class Engine:
    """Platform-neutral heart of the bot."""

    def __init__(self, parts: EngineParts) -> None:
        self.store = parts.store
        self.timing = parts.timing
        self.worker_id = parts.worker_id
        self.observer = parts.observer
        self.platforms = parts.platforms
        self.scratch = parts.scratch
        self.accounts = parts.accounts
        self.conversation = parts.conversation
        self.exporter = parts.exporter
        self._admission = parts.admission
        self._reception = parts.reception
        self._reception_on = parts.reception_on
        # Where messages are stored: here, or on a thread of their own (`accept_apart`).
        self.acceptance: Acceptance = Inline(parts.reception)
        self._lines = parts.lines
        self._items = parts.items
        self._coordination = parts.coordination
        self._housekeeping = parts.housekeeping
        self.registry = parts.registry
        self._inline = parts.inline
        self.stars = parts.stars
        self._tasks: set[asyncio.Task[Any]] = set()
        self._chores: asyncio.Task[None] | None = None  # background work, for the engine's life
        self._started = False
        self._accepting = True
        # "ingress" workers only store what arrives; "worker" and "all" run turns and renders.
        self._role = parts.role
        self._runs_work = parts.role != "ingress"

    # -- platforms and lifecycle ------------------------------------------------------

    def connect(self, outbox: Outbox, *, platform_rate: Rate | None = None) -> Pacer:
        """Register an adapter's outbox; its waiting work is taken up once started."""
        pacer = self.platforms.connect(outbox, platform_rate=platform_rate)
        if self._started and self._runs_work:
            self._spawn(self._take_up((outbox.platform,)))
        return pacer

    def disconnect(self, platform: str) -> None:
        """Forget a platform: its messages stay queued until it connects again."""
        self.platforms.disconnect(platform)

    async def start(self) -> None:
        """Take up what waits in the store: queued messages, others' expired work, renders."""
        self._accepting = True
        self._lines.open()
        self.scratch.sweep()
        described = self._coordination.describe(self.worker_id, self._role)
        if described is not None:
            log.info("%s", described)
        self._started = True
        if self._chores is None or self._chores.done():
            self._admission.apply_rules(await self.store.access_rules())
            self._chores = asyncio.create_task(self._background())
        if self._runs_work:
            await self._coordination.listen(self._heard)
            await self._take_up(self.platforms.names)

    async def _background(self) -> None:
        """Housekeeping, the operators' rules re-read (another process may change them), and
        the coordination with other workers."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._housekeeping.run())
            group.create_task(self._reread_rules())
            if self._runs_work:
                group.create_task(self._coordination.run(self._look))

    async def _look(self) -> None:
        if self._accepting:
            await self._take_up(self.platforms.names)

    def _heard(self, note: str) -> None:
        """A message was stored (by any worker): take it up if its platform is here."""
        lane, _, rest = note.partition(":")
        platform, _, ident = rest.partition(":")
        if not (self._accepting and ident.isdigit() and self.platforms.get(platform)):
            return
        if lane == "line":
            self._lines.wake(int(ident))
        elif lane == "side":
            self._spawn(self._items.side(int(ident), None))

    async def _reread_rules(self) -> None:
        while True:
            await asyncio.sleep(_RULES_EVERY)
            try:
                self._admission.apply_rules(await self.store.access_rules())
            except Exception as exc:  # noqa: BLE001 - keep the rules known; try again later
                log.warning("could not re-read the access rules (%s: %s)", type(exc).__name__, exc)

    async def drain(self, seconds: float) -> None:
        """Stop accepting; let running work finish for up to `seconds`; then stop."""
        self._accepting = False
        try:
            async with asyncio.timeout(seconds):
                await self.wait_idle(renders=False)
        except TimeoutError:
            log.info("stopping with work in progress; it resumes at the next start")
        await self.stop()

    async def stop(self) -> None:
        """Stop all work; unfinished rows stay in the store for the next start."""
        self._accepting = False
        self._started = False
        await self._lines.stop()
        tasks = list(self._tasks)
        if self._chores is not None:
            tasks.append(self._chores)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.conversation.stop()
        await self.exporter.stop()
        apart, self.acceptance = self.acceptance, Inline(self._reception)
        await apart.close()

    async def accept_apart(self) -> None:
        """Until `stop`, store arriving messages on a thread of their own, with database
        connections of their own: serving a crowd never makes a platform wait for its answer."""
        self.acceptance = await AcceptThread.start(self.store, self._reception_on)

    async def wait_idle(self, *, renders: bool = True) -> None:
        """Wait until no user has queued work (and, optionally, no render is pending)."""
        while self._lines.busy or self._tasks:
            await self._lines.wait_idle()
            if self._tasks:  # asyncio.wait, unlike gather, never cancels what it waits for
                await asyncio.wait(list(self._tasks))
        if renders:
            await self.exporter.wait_idle()

    async def _take_up(self, platforms: Collection[str]) -> None:
        for item_id in await self.store.side_items(platforms):
            self._spawn(self._items.side(item_id, None))
        for user_id in await self.store.users_with_work(platforms):
            self._lines.wake(user_id)
        await self.exporter.resume()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- accepting messages -------------------------------------------------------------

    async def submit(self, msg: IncomingMessage) -> Accepted:
        """Accept one message: stored before anything else, answered later, in order.

        Callable on the serving loop or at the accepting edge (`acceptance.at_edge`); it
        returns once the message is stored, and what follows runs on the serving loop.
        """
        # A side message this worker answers at once is stored claimed by it: no other
        # worker races for it (a /login's token stays where it arrived).
        serve_now = self._accepting and self._runs_work
        claim_for = self.worker_id if serve_now else None
        admitted = await self.acceptance.admit(msg, claim_for=claim_for)
        self.acceptance.to_serving(lambda: self._follow_up(admitted, serve_now=serve_now))
        return admitted.accepted

    def _follow_up(self, admitted: Admitted, *, serve_now: bool) -> None:
        """After a message is stored: tell its sender what they must know, start its work."""
        if admitted.notice is not None:
            self._notice(admitted.msg, admitted.notice)
        status = admitted.accepted.status
        if status == "side" and serve_now:
            self._spawn(self._items.side(admitted.item_id, admitted))
        elif status == "queued" and serve_now:
            self._lines.wake(admitted.user.id)

    async def answer_inline(self, user: User, query: str, *, handle: str) -> InlineAnswer:
        """What to offer `user` typing `query` after `handle` in inline mode: never a turn,
        never a wait for the backend (a chosen result comes back through `submit`)."""
        return await self._inline.answer(user, query, handle=handle)

    async def precheck(self, payer: User, payload: str, currency: str, amount: int) -> bool:
        """May the platform take this payment? Answered from the payload at once (Telegram
        waits 10 s for the answer); the payment itself comes as a message to `submit`."""
        user = await self.acceptance.known_user(payer)
        return self.stars.precheck(user.id, payload, currency, amount)

    def _notice(self, msg: IncomingMessage, text: str) -> None:
        """Tell the sender something, without making `submit` wait for the platform."""
        pacer = self.platforms.for_chat(msg.chat)
        if pacer is not None:
            self._spawn(_say(pacer, msg, text))


async def _say(pacer: Pacer, msg: IncomingMessage, text: str) -> None:
    try:
        await pacer.send_text(msg.chat, text)
    except OutboxError as exc:
        log.warning("could not answer in chat %s: %s", pseudonym(msg.chat.chat_id), exc)
