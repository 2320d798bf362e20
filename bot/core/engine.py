"""The engine: accepts messages into the durable inbox at once, and serves them later.

`submit` only writes: the message is stored (deduped by platform update id) and the caller
learns its place in line, whatever the backend is doing, so a Discord interaction can be
acknowledged within 3 s and a Telegram webhook answered at once. Serving happens in tasks:
per user, the oldest queued message is claimed and run, so one user's turns never overlap
and keep their order; side-lane messages (`/cancel`, status, credits…) are answered beside
a running turn. After a crash, claimed work is taken up again; a turn that had already
reached the agent is never resent (it could be charged twice).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Collection, Coroutine
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.config import Settings
from bot.core.accounts import Accounts
from bot.core.admission import Admission, Refusal, RefusalStatus
from bot.core.albums import Albums
from bot.core.budget import SendBudget
from bot.core.commands import Handlers
from bot.core.context import Timing
from bot.core.conversation import Conversation
from bot.core.export import Exporter
from bot.core.gallery import Gallery
from bot.core.housekeeping import Housekeeping
from bot.core.intents import REGISTRY, Intent
from bot.core.lines import Lines
from bot.core.messages import IncomingMessage
from bot.core.observe import NoObserver, Observer
from bot.core.outbox import Outbox, OutboxError, Rate
from bot.core.pacing import Pacer
from bot.core.platforms import Platforms
from bot.core.router import route
from bot.core.scratch import Scratch
from bot.core.serving import Service
from bot.core.texts import chat_language, t
from bot.core.uploads import Uploads
from bot.logs import pseudonym, redact
from bot.nemo import NemoClient
from storage import Enqueued, InboxItem, Store, UserRecord

__all__ = ["Accepted", "Engine"]

log = logging.getLogger(__name__)

_CONNECT_WAIT_SECONDS = 120.0
_RULES_EVERY = 60.0  # seconds between re-reads of the ban and allow rules
_SCOUT_EVERY = 5.0  # with a shared store: seconds between looks for work others left


@dataclass(frozen=True, slots=True)
class Accepted:
    """What became of a submitted message.

    `queued`: stored in the user's line at `position` (1 runs next); `side`: stored and
    answered beside the line; `duplicate`: seen before; `full`: the user already has too
    many messages waiting; `not_allowed`: the sender may not use the bot; `too_long`: over
    the length cap; `throttled`: the sender writes faster than the per-user rate.
    """

    status: Literal["queued", "side", "duplicate", "full"] | RefusalStatus
    position: int = 0


class Engine:
    """Platform-neutral heart of the bot."""

    def __init__(
        self,
        store: Store,
        nemo: NemoClient,
        settings: Settings,
        *,
        timing: Timing | None = None,
        worker_id: str | None = None,
        render_ids: Callable[[], str] | None = None,
        observer: Observer | None = None,
        budget: SendBudget | None = None,  # sends counted for the whole bot (None: per process)
    ) -> None:
        self.store = store
        self.timing = timing or Timing(
            still_working_seconds=settings.still_working_seconds,
            render_poll_seconds=settings.render_poll_seconds,
            lease_seconds=settings.lease_seconds,
        )
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:8]}"
        self._queue_limit = settings.queue_limit
        self._housekeeping = Housekeeping(
            store,
            text_hours=settings.inbox_text_hours,
            keep_days=settings.inbox_keep_days,
            render_keep_days=settings.render_keep_days,
        )
        self._admission = Admission(
            settings.allowed_users,
            settings.admins,
            settings.user_messages_per_minute,
            count_rate=not store.shared,  # a shared store counts it for every worker
        )
        self.observer = observer or NoObserver()
        self.platforms = Platforms(self.observer, budget)
        self.scratch = Scratch()
        self.accounts = Accounts(store, nemo, settings.nemo_token)
        self.conversation = Conversation(
            nemo, self.timing, Gallery(nemo, store, self.scratch), observer=self.observer
        )
        self.exporter = Exporter(
            store,
            nemo,
            self.accounts,
            self.platforms,
            self.timing,
            self.worker_id,
            settings.nemo_web_base,
            self.scratch,
            render_ids,
            per_user=settings.user_renders,
            observer=self.observer,
        )
        self._lines = Lines(store, self.worker_id, self.timing, self._run_line_item)
        self._service = self._serving(nemo, settings.nemo_web_base)
        self._user_ids: dict[tuple[str, str], int] = {}  # a cache: ids never change
        self._albums = Albums(store, self.timing.album_seconds)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._chores: asyncio.Task[None] | None = None  # housekeeping, for the engine's life
        self._started = False
        self._accepting = True
        # "ingress" workers only store what arrives; "worker" and "all" run turns and renders.
        self._role = settings.role
        self._runs_work = settings.role != "ingress"
        self._listening = False

    def _serving(self, nemo: NemoClient, web_base: str) -> Service:
        handlers = Handlers(
            self.store,
            nemo,
            self.accounts,
            self.conversation,
            self.exporter,
            Uploads(nemo, self.scratch),
            self._lines.cancel,
            web_base,
            self._admission,
        )
        return Service(
            self.store,
            self.accounts,
            self.conversation,
            handlers,
            web_base,
            self._admission,
        )

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
        """Take up what a previous run left: interrupted turns, queued messages, renders."""
        self._accepting = True
        self._lines.open()
        self.scratch.sweep()
        if self.store.shared:
            log.info("worker %s starting on a shared store (role %s)", self.worker_id, self._role)
        if self._runs_work:
            await self._recover()
        self._started = True
        if self._chores is None or self._chores.done():
            self._admission.apply_rules(await self.store.access_rules())
            self._chores = asyncio.create_task(self._background())
        if self.store.shared and self._runs_work and not self._listening:
            await self.store.listen(self._heard)
            self._listening = True
        if self._runs_work:
            await self._take_up(self.platforms.names)

    async def _recover(self) -> None:
        for item in await self.store.recover(self.worker_id, self.timing.lease_seconds):
            self._spawn(self._report_interrupted(item))

    async def _background(self) -> None:
        """Housekeeping, the operators' rules re-read (another process may change them), and
        with a shared store the work other workers stored or left behind."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._housekeeping.run())
            group.create_task(self._reread_rules())
            if self.store.shared and self._runs_work:
                group.create_task(self._scout())

    async def _scout(self) -> None:
        """Every few seconds: turns of workers that died, messages nobody took, renders."""
        while True:
            await asyncio.sleep(min(_SCOUT_EVERY, self.timing.lease_seconds / 3))
            if not self._accepting:
                continue
            try:
                await self._recover()
                await self._take_up(self.platforms.names)
            except Exception as exc:  # noqa: BLE001 - the database may be back next round
                log.warning("could not look for work (%s: %s)", type(exc).__name__, exc)

    def _heard(self, note: str) -> None:
        """Another worker (or this one) stored a message: take it up if its platform is here."""
        lane, _, rest = note.partition(":")
        platform, _, ident = rest.partition(":")
        if not (self._accepting and ident.isdigit() and self.platforms.get(platform)):
            return
        if lane == "line":
            self._lines.wake(int(ident))
        elif lane == "side":
            self._spawn(self._run_side(int(ident), None))

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
            self._spawn(self._run_side(item_id, None))
        for user_id in await self.store.users_with_work(platforms):
            self._lines.wake(user_id)
        await self.exporter.resume()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- accepting messages -------------------------------------------------------------

    async def submit(self, msg: IncomingMessage) -> Accepted:
        """Accept one message: stored before anything else, answered later, in order."""
        user = await self._user(msg)
        refused = self._admission.refusal(msg, user.id)
        if refused is not None:
            return self._refuse(msg, user, refused)
        intent = route(msg.text, has_attachments=bool(msg.attachments))
        spec = REGISTRY[intent.kind]
        # A token never rests in the database: a /login's text is not stored at all, and
        # anything token-shaped pasted into a message is masked (for the agent too).
        stored = replace(msg, text=redact(msg.text) if spec.keep_text else "")
        # A side message this worker answers at once is stored leased to it: the message in
        # memory (a /login's token) is here only, so no other worker may take it up.
        serve_now = spec.lane == "side" and self._accepting and self._runs_work
        placed = await self._store(stored, user, intent, serve_now)
        if placed.duplicate:
            return Accepted("duplicate", placed.position)
        if placed.throttled:  # counted by the store, across workers: it says when to tell
            line = "slow_down" if placed.first_refusal else None
            return self._refuse(msg, user, Refusal("throttled", line))
        if placed.refused:
            self._notice(msg, t("queue_full", user.language, limit=self._queue_limit))
            return Accepted("full")
        if spec.lane == "side":
            if serve_now:  # else it waits in the store for a worker
                known = (user, stored if spec.keep_text else msg, intent)
                self._spawn(self._run_side(placed.item_id, known))
            return Accepted("side")
        if msg.group is not None:
            self._albums.arrived(user.id, msg.group)
        elif placed.position > 1:
            self._notice(msg, t("queued", user.language, position=placed.position))
        if self._accepting and self._runs_work:
            self._lines.wake(user.id)
        return Accepted("queued", placed.position)

    async def _store(
        self, stored: IncomingMessage, user: UserRecord, intent: Intent, leased: bool
    ) -> Enqueued:
        """Write the message to the inbox, in its lane (leased to this worker if `leased`).

        With a shared store the per-user rate is counted there too: each worker sees only
        the messages a load balancer hands it.
        """
        admin = self._admission.is_admin(stored.user)
        unlimited = stored.group is not None or admin
        shared_rate = self.store.shared and not admin
        return await self.store.enqueue(
            stored.chat.platform,
            stored.update_id,
            user.id,
            stored.chat.to_json(),
            intent.kind,
            stored.to_json(),
            lane=REGISTRY[intent.kind].lane,
            group=stored.group,
            limit=None if unlimited else self._queue_limit,
            per_minute=self._admission.per_minute if shared_rate else None,
            owner=self.worker_id if leased else None,
            lease_seconds=self.timing.lease_seconds,
        )

    def _refuse(self, msg: IncomingMessage, user: UserRecord, refused: Refusal) -> Accepted:
        """Not stored: tell the sender why (when the refusal has a line for them)."""
        if refused.text_key is not None:
            self._notice(msg, t(refused.text_key, user.language, **refused.values))
        return Accepted(refused.status)

    async def _user(self, msg: IncomingMessage) -> UserRecord:
        """The sender's record; known ids are cached so a message costs a read, not a write."""
        key = (msg.user.platform, msg.user.id)
        user_id = self._user_ids.get(key)
        user = await self.store.get_user(user_id) if user_id is not None else None
        if user is None:
            user = await self.store.upsert_user(*key, chat_language(msg.user.language))
            self._user_ids[key] = user.id
        return user

    def _notice(self, msg: IncomingMessage, text: str) -> None:
        """Tell the sender something, without making `submit` wait for the platform."""
        pacer = self.platforms.for_chat(msg.chat)
        if pacer is not None:
            self._spawn(_say(pacer, msg, text))

    # -- serving ------------------------------------------------------------------------

    async def _run_side(
        self, item_id: int, known: tuple[UserRecord, IncomingMessage, Intent] | None
    ) -> None:
        """Answer one side-lane message: just accepted here (stored leased to this worker, in
        memory), or taken from the store."""
        if known is None:
            item = await self.store.claim_item(item_id, self.worker_id, self.timing.lease_seconds)
            if item is None:
                return
            known = await self._unpack(item)
            if not REGISTRY[known[2].kind].keep_text:
                # Its text (a token) was never stored: nothing to act on.
                await self.store.finish(item_id, "failed", owner=self.worker_id)
                return
        user, msg, intent = known
        pacer = self.platforms.for_chat(msg.chat)
        if pacer is None:
            await self.store.release_item(item_id, self.worker_id)
            return
        await self._service.serve(pacer, user, msg, intent)
        await self.store.finish(item_id, "done", owner=self.worker_id)

    async def _run_line_item(self, item: InboxItem) -> str:
        user, msg, intent = await self._unpack(item)
        pacer = self.platforms.for_chat(msg.chat)
        if pacer is None:
            return "release"
        if item.group_key is not None:
            msg = await self._albums.gather(item, msg)
            intent = route(msg.text, has_attachments=bool(msg.attachments))

        async def reached_agent() -> None:
            if not await self.store.mark_reached_agent(item.id, owner=self.worker_id):
                raise asyncio.CancelledError  # no longer ours: never call the agent

        await self._service.serve(pacer, user, msg, intent, reached_agent, item.created_at)
        return "done"

    async def _unpack(self, item: InboxItem) -> tuple[UserRecord, IncomingMessage, Intent]:
        msg = IncomingMessage.from_json(item.payload)
        user = await self.store.get_user(item.user_id)
        if user is None:  # pragma: no cover - rows are deleted with their user
            raise LookupError(f"inbox item {item.id} has no user")
        return user, msg, route(msg.text, has_attachments=bool(msg.attachments))

    async def _report_interrupted(self, item: InboxItem) -> None:
        """Tell the user what became of a turn that was running when we stopped."""
        user, msg, _ = await self._unpack(item)
        # Adapters connect one by one after a start: give this one a moment.
        pacer = await self.platforms.wait_for(msg.chat.platform, _CONNECT_WAIT_SECONDS)
        if pacer is not None:
            await self._service.serve(pacer, user, msg, Intent("interrupted"))


async def _say(pacer: Pacer, msg: IncomingMessage, text: str) -> None:
    try:
        await pacer.send_text(msg.chat, text)
    except OutboxError as exc:
        log.warning("could not answer in chat %s: %s", pseudonym(msg.chat.chat_id), exc)
