"""The engine: accepts messages into the durable inbox and works through each user's line.

Every message is written to the store first (deduped by platform update id) and the user
learns their place at once. Per user, the oldest queued message is claimed and run, so one
user's turns never overlap and keep their order. `/cancel` and read-only commands are
answered at once, outside the line. After a crash, claimed work is taken up again; a turn
that had already reached the agent is never resent (it could be charged twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable

from bot.config import Settings
from bot.core.accounts import Account, Accounts, TokenUnavailable
from bot.core.commands import NEEDS, Handlers
from bot.core.conversation import Conversation, Timing, TurnContext
from bot.core.export import Exporter
from bot.core.failures import describe
from bot.core.messages import IncomingMessage
from bot.core.outbox import Outbox, OutboxError
from bot.core.router import Intent, route
from bot.core.texts import language_of, t
from bot.core.uploads import Uploads
from bot.nemo import NemoClient, new_render_id
from bot.nemo.errors import NemoError, SessionNotFound
from storage import Enqueued, InboxItem, Store, UserRecord

__all__ = ["Engine"]

log = logging.getLogger(__name__)

# Answered at once, outside the user's line: they only read, or are about the bot itself.
_IMMEDIATE = frozenset(
    {
        "start",
        "help",
        "cancel",
        "credits",
        "status",
        "lang",
        "login",
        "logout",
        "empty",
        "unknown_command",
    }
)


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
        render_ids: Callable[[], str] = new_render_id,
    ) -> None:
        self.store = store
        self.settings = settings
        self.timing = timing or Timing(
            still_working_seconds=settings.still_working_seconds,
            render_poll_seconds=settings.render_poll_seconds,
        )
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:8]}"
        self.outboxes: dict[str, Outbox] = {}
        self.accounts = Accounts(store, nemo, settings.nemo_token)
        conversation = Conversation(nemo, self.timing)
        exporter = Exporter(
            store,
            nemo,
            self.accounts,
            self.outboxes,
            self.timing,
            self.worker_id,
            settings.nemo_web_base,
            render_ids,
        )
        self.handlers = Handlers(store, nemo, self.accounts, conversation, exporter, Uploads(nemo))
        self._user_ids: dict[tuple[str, str], int] = {}  # a cache: ids never change
        self._drainers: dict[int, asyncio.Task[None]] = {}
        self._rewake: set[int] = set()
        self._turns: dict[int, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False

    def connect(self, platform: str, outbox: Outbox) -> None:
        """Register the outbox answers to `platform` go through."""
        self.outboxes[platform] = outbox

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Take up what a previous run left: interrupted turns, queued messages, renders."""
        self._stopping = False
        for item in await self.store.recover(self.worker_id, self.timing.lease_seconds):
            await self._report_interrupted(item)
        for user_id in await self.store.users_with_work():
            self._wake(user_id)
        await self.handlers.exporter.resume()

    async def stop(self) -> None:
        """Stop all work; unfinished rows stay in the store for the next start."""
        self._stopping = True
        tasks = [*self._turns.values(), *self._drainers.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.handlers.exporter.stop()

    async def wait_idle(self, *, renders: bool = True) -> None:
        """Wait until no user has queued work (and, optionally, no render is pending)."""
        while self._drainers:
            await asyncio.gather(*list(self._drainers.values()), return_exceptions=True)
        if renders:
            await self.handlers.exporter.wait_idle()

    # -- accepting messages -----------------------------------------------------------------

    async def submit(self, msg: IncomingMessage) -> Enqueued | None:
        """Accept one message: stored before anything else, then answered in order."""
        outbox = self.outboxes[msg.chat.platform]
        user = await self._user(msg)
        lang = language_of(msg.text, user.language)
        if not self._allowed(msg):
            await self._safe_send(outbox, msg, t("not_allowed", lang))
            return None
        intent = route(msg.text, has_attachments=bool(msg.attachments))
        if intent.kind in _IMMEDIATE:
            payload = msg.to_json() if intent.kind != "login" else "{}"  # never store tokens
            if await self.store.record_handled(
                msg.chat.platform,
                msg.update_id,
                user.id,
                msg.chat.to_json(),
                intent.kind,
                payload,
            ):
                await self._serve(user, msg, intent, None)
            return None
        if await self.store.queued_count(user.id) >= self.settings.queue_limit:
            await self._safe_send(
                outbox, msg, t("queue_full", lang, limit=self.settings.queue_limit)
            )
            return None
        placed = await self.store.enqueue(
            msg.chat.platform,
            msg.update_id,
            user.id,
            msg.chat.to_json(),
            intent.kind,
            msg.to_json(),
        )
        if placed.duplicate:
            return placed
        if placed.position > 1:
            await self._safe_send(outbox, msg, t("queued", lang, position=placed.position))
        self._wake(user.id)
        return placed

    async def _user(self, msg: IncomingMessage) -> UserRecord:
        """The sender's record; known ids are cached so a message costs a read, not a write."""
        key = (msg.user.platform, msg.user.id)
        user_id = self._user_ids.get(key)
        user = await self.store.get_user(user_id) if user_id is not None else None
        if user is None:
            user = await self.store.upsert_user(*key)
            self._user_ids[key] = user.id
        return user

    def _allowed(self, msg: IncomingMessage) -> bool:
        allowed = self.settings.allowed_users
        return not allowed or bool({msg.user.id, f"{msg.user.platform}:{msg.user.id}"} & allowed)

    def _wake(self, user_id: int) -> None:
        """Make sure the user's line is being worked through."""
        if user_id in self._drainers:
            # The drainer may be past its last claim: ask it to look once more.
            self._rewake.add(user_id)
            return
        self._drainers[user_id] = asyncio.create_task(self._drain(user_id))

    # -- the user's line --------------------------------------------------------------------

    async def _drain(self, user_id: int) -> None:
        try:
            while True:
                self._rewake.discard(user_id)
                item = await self.store.claim_next(
                    user_id, self.worker_id, self.timing.lease_seconds
                )
                if item is not None:
                    await self._run_item(user_id, item)
                elif user_id not in self._rewake:
                    return
        finally:
            # No await between the last look and this: a later wake starts a new drainer.
            if self._drainers.get(user_id) is asyncio.current_task():
                del self._drainers[user_id]

    async def _run_item(self, user_id: int, item: InboxItem) -> None:
        turn = asyncio.create_task(self._process(item))
        self._turns[user_id] = turn
        renewer = asyncio.create_task(self._renew(item))
        status = "done"
        try:
            await turn
        except asyncio.CancelledError:
            # Only /cancel cancels the turn alone. Stopping cancels this drainer too, and
            # that cancellation reaches the awaited turn first: leave the row for the next
            # start (it is reported or rerun there), and claim nothing more.
            if self._stopping or not turn.cancelled():
                await self.store.release_item(item.id, self.worker_id)
                raise
            status = "cancelled"
        finally:
            renewer.cancel()
            self._turns.pop(user_id, None)
        await self.store.finish(item.id, status, owner=self.worker_id)

    async def _renew(self, item: InboxItem) -> None:
        while True:
            await asyncio.sleep(self.timing.lease_seconds / 3)
            await self.store.renew_lease(item.id, self.worker_id, self.timing.lease_seconds)

    async def _process(self, item: InboxItem) -> None:
        msg = IncomingMessage.from_json(item.payload)
        user = await self.store.get_user(item.user_id)
        if user is None or msg.chat.platform not in self.outboxes:
            return
        intent = route(msg.text, has_attachments=bool(msg.attachments))
        await self._serve(user, msg, intent, item)

    async def _cancel(self, user_id: int, msg: IncomingMessage, lang: str) -> None:
        dropped = await self.store.cancel_queued(user_id)
        turn = self._turns.get(user_id)
        if turn is not None and not turn.done():
            turn.cancel()
        elif dropped == 0:
            await self.outboxes[msg.chat.platform].send_text(msg.chat, t("nothing_to_cancel", lang))
            return
        await self.outboxes[msg.chat.platform].send_text(
            msg.chat, t("cancelled", lang, count=dropped)
        )

    # -- context and errors -----------------------------------------------------------------

    async def _serve(
        self, user: UserRecord, msg: IncomingMessage, intent: Intent, item: InboxItem | None
    ) -> None:
        """Run one intent; any failure becomes one friendly line, never a traceback."""
        outbox = self.outboxes[msg.chat.platform]
        lang = language_of(msg.text, user.language)
        try:
            if intent.kind == "cancel":
                await self._cancel(user.id, msg, lang)
            else:
                await self._run(user, msg, intent, lang, item)
        except asyncio.CancelledError:
            raise
        except TokenUnavailable as exc:
            await self._safe_send(outbox, msg, describe(exc, lang))
        except NemoError as exc:
            log.warning("request of user %s failed: %r", user.id, exc)
            account = None
            with contextlib.suppress(NemoError, TokenUnavailable):
                account = await self.accounts.account(user.id)
            web = self.settings.nemo_web_base
            await self._safe_send(outbox, msg, describe(exc, lang, account, web))
        except OutboxError as exc:
            log.warning("could not answer user %s: %s", user.id, exc)
        except Exception as exc:  # noqa: BLE001 - the one place a bug must not kill the bot
            log.error("unexpected %s while serving user %s: %s", type(exc).__name__, user.id, exc)
            await self._safe_send(outbox, msg, t("err_internal", lang))

    async def _run(
        self,
        user: UserRecord,
        msg: IncomingMessage,
        intent: Intent,
        lang: str,
        item: InboxItem | None,
    ) -> None:
        """Build the user's context and run the handler; a lost session is recreated once."""
        need_account, need_session = NEEDS[intent.kind]
        account = await self.accounts.account(user.id) if need_account else Account.none()
        session_id = await self.accounts.session(user.id, account, lang) if need_session else ""
        ctx = TurnContext(
            user.id, msg.chat, self.outboxes[msg.chat.platform], account, session_id, lang
        )
        if item is not None:
            item_id = item.id
            ctx.before_agent = lambda: self.store.mark_reached_agent(item_id, owner=self.worker_id)
        try:
            await self.handlers.handle(ctx, msg, intent)
        except SessionNotFound:
            if not need_session or ctx.reached_agent:
                raise
            log.info("session of user %s was lost; creating a new one", user.id)
            await self.accounts.new_session(user.id)
            ctx.session_id = await self.accounts.session(user.id, account, lang)
            await self.handlers.handle(ctx, msg, intent)

    async def _safe_send(self, outbox: Outbox, msg: IncomingMessage, text: str) -> None:
        try:
            await outbox.send_text(msg.chat, text)
        except OutboxError as exc:
            log.warning("could not answer in chat %s: %s", msg.chat.chat_id, exc)

    async def _report_interrupted(self, item: InboxItem) -> None:
        """Tell the user what became of a turn that was running when we stopped."""
        await self.store.finish(item.id, "interrupted", owner=self.worker_id)
        msg = IncomingMessage.from_json(item.payload)
        user = await self.store.get_user(item.user_id)
        if user is not None and msg.chat.platform in self.outboxes:
            await self._serve(user, msg, Intent("interrupted"), None)
