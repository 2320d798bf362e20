"""Render jobs: submitted once, persisted, followed by the one holder of the lease, delivered once.

The job's lifecycle is `storage.lifecycle.RENDER`. A job is stored (`created`) before its
submit call, so a crash can never lose or double it: whoever takes it over asks the backend
about that id before submitting anything. While this worker follows a job, a keeper renews
its lease on its own clock (never tied to the poll interval); a refused renewal means the job
is no longer ours, and following stops at once. Only the holder may record an answer or
begin the delivery, which is a compare-and-set in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from bot.core.accounts import Account, Accounts
from bot.core.allowances import Allowances
from bot.core.answering import answering
from bot.core.context import Timing
from bot.core.delivery import Delivery
from bot.core.failures import describe
from bot.core.keyboards import resend_buttons, retry_buttons
from bot.core.messages import ChatRef
from bot.core.observe import NoObserver, Observer
from bot.core.outbox import OutboxError
from bot.core.pacing import Pacer
from bot.core.platforms import Platforms
from bot.core.progress import RenderProgress
from bot.core.render_clock import PollPolicy, RenderClock
from bot.core.scratch import Scratch
from bot.core.texts import t
from bot.nemo import NemoClient, RenderIds, RenderStatus
from bot.nemo.draft import has_content
from bot.nemo.errors import NemoError, NemoUnavailable, NotFound, RateLimited, RenderConflict
from storage import (
    NewRender,
    PeopleStore,
    RenderExistsError,
    RenderJob,
    RenderStore,
    StatusAnswer,
)

__all__ = ["ExportRequest", "Exporter", "RenderStores"]

log = logging.getLogger(__name__)

# A render that the backend cannot be asked about for this long is given up.
_GIVE_UP_SECONDS = 2 * 3600
# Fresh render ids to try when one is already taken (several workers, same millisecond).
_ID_ATTEMPTS = 3
# A backend's failure text is shown only when it reads like a sentence for people.
_MAX_REASON = 160


class RenderStores(RenderStore, PeopleStore, Protocol):
    """What the exporter needs from the store: render jobs, and users (language, usage)."""


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """Who wants which session rendered, and where the video goes."""

    user_id: int
    chat: ChatRef
    lang: str
    account: Account
    session_id: str
    exempt: bool = False  # an operator: no limit on renders at once
    item_id: int | None = None  # the export message: it gets one render, however often run
    quiet: bool = False  # the group's quiet mode: no progress message, only the video


class Exporter:
    """Owns every render job this worker holds the lease of."""

    def __init__(
        self,
        store: RenderStores,
        nemo: NemoClient,
        accounts: Accounts,
        platforms: Platforms,
        timing: Timing,
        worker_id: str,
        web_base: str,
        scratch: Scratch,
        render_ids: Callable[[], str] | None = None,
        *,
        per_user: int = 1,
        observer: Observer | None = None,
        allowances: Allowances | None = None,
    ) -> None:
        self._store = store
        self._nemo = nemo
        self._accounts = accounts
        self._platforms = platforms
        self._timing = timing
        self._worker = worker_id
        self._web_base = web_base
        self._render_ids = render_ids or RenderIds()
        self._per_user = per_user
        self._observer = observer or NoObserver()
        self._delivery = Delivery(
            store, nemo, web_base, scratch, self._observer, worker_id, allowances
        )
        poll = timing.render_poll_seconds
        self._policy = PollPolicy(floor=min(timing.render_poll_floor, poll), ceiling=poll)
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def start(self, request: ExportRequest, pacer: Pacer) -> None:
        """Export the session's latest draft (or say why not)."""
        chat, lang = request.chat, request.lang
        if request.item_id is not None and await self._store.render_for_item(request.item_id):
            return  # this message was run before (a takeover): its render goes on
        active = await self._store.active_renders(request.user_id)
        if active and not request.exempt and len(active) >= self._per_user:
            await pacer.send_text(chat, t("export_busy", lang, progress=active[0].progress))
            return
        state = await self._nemo.state(request.account.auth, request.session_id)
        if not has_content(state.draft):
            await pacer.send_text(chat, t("export_empty", lang))
            return
        progress = RenderProgress(pacer, chat, lang, quiet=request.quiet)
        for _ in range(_ID_ATTEMPTS):
            new = NewRender(self._render_ids(), request.user_id, chat.to_json(), request.session_id)
            new = replace(new, item_id=request.item_id)
            try:
                job = await self._store.create_render(new, self._worker, self._timing.lease_seconds)
            except RenderExistsError as exc:
                if exc.existing is not None:  # this message was run before: its render goes on
                    return
                continue  # another worker minted the same id in the same millisecond
            await progress.show(0)
            outcome = await self._first_submit(request, pacer, job, state.draft)
            if outcome == "follow":
                self._follow(job, lang, progress)
            if outcome != "taken":
                return
        await pacer.send_text(chat, t("err_generic", lang))

    async def _first_submit(
        self, request: ExportRequest, pacer: Pacer, job: RenderJob, draft: Mapping[str, object]
    ) -> str:
        """Submit a new job: "follow" it (it arrived, or may have), "taken", or "refused"."""
        try:
            await self._submit(request.account, job, draft)
        except RenderConflict:
            # A fresh id the backend already has: another bot minted it in the same ms.
            await self._store.end_render(
                job.render_id, self._worker, "fail", "id taken", detach=True
            )
            return "taken"
        except NemoUnavailable as exc:
            # Unknown whether it arrived: the poller asks about this id before resubmitting.
            log.warning("render %s submit uncertain: %s", job.render_id, exc.message)
        except NemoError as exc:
            await self._store.end_render(job.render_id, self._worker, "fail", exc.message)
            web = self._web_base
            await pacer.send_text(request.chat, describe(exc, request.lang, request.account, web))
            return "refused"
        return "follow"

    async def _submit(self, account: Account, job: RenderJob, draft: Mapping[str, object]) -> None:
        """Submit under the job's id and record the answer (ours to record, or nobody's)."""
        status = await self._nemo.submit_render(account.auth, job.session_id, draft, job.render_id)
        answer = _answer(status, submitted_at=time.time())
        await self._store.record_status(job.render_id, self._worker, answer)

    # -- following jobs -----------------------------------------------------------------

    async def resume(self) -> int:
        """Take over every active job whose lease ran out (a connected platform's only)."""
        platforms = self._platforms.names
        if not platforms:
            return 0
        lease = self._timing.lease_seconds
        jobs = await self._store.take_over_renders(self._worker, lease, platforms)
        followed = 0
        for job in jobs:
            chat = ChatRef.from_json(job.chat)
            pacer = self._platforms.for_chat(chat)
            if pacer is None or job.render_id in self._tasks:
                if job.status != "unconfirmed":
                    await self._store.release_render(job.render_id, self._worker)
                continue  # taken up when its platform connects
            user = await self._store.get_user(job.user_id)
            lang = user.language if user else "en"
            if job.status == "unconfirmed":  # it was being sent when its worker stopped
                await self._unconfirmed(job, pacer, chat, lang)
                continue
            if job.status in ("pending", "processing"):  # submitted and not finished
                with contextlib.suppress(OutboxError):
                    await pacer.send_text(chat, t("export_resumed", lang))
            # "created": stopped around the submit; say so once the backend knows it.
            progress = RenderProgress(pacer, chat, lang)
            self._follow(job, lang, progress, announce=job.status == "created")
            followed += 1
        return followed

    async def _unconfirmed(self, job: RenderJob, pacer: Pacer, chat: ChatRef, lang: str) -> None:
        """The video may or may not be in the chat: never send it again unasked."""
        self._observer.render_finished("unconfirmed")
        buttons = resend_buttons(job.user_id, job.session_id, lang)
        with contextlib.suppress(OutboxError):
            await pacer.send_text(chat, t("export_unconfirmed", lang), buttons)

    async def resend(self, request: ExportRequest, pacer: Pacer) -> None:
        """Send again, on the user's request, a video that may not have arrived."""
        lease = self._timing.lease_seconds
        job = await self._store.resend_render(request.user_id, self._worker, lease)
        if job is None:
            await pacer.send_text(request.chat, t("nothing_to_resend", request.lang))
            return
        progress = RenderProgress(pacer, request.chat, request.lang)
        keeper = asyncio.create_task(self._keep(job.render_id, None))
        try:
            await self._delivery.deliver(job, request.account, progress, request.lang)
        finally:
            keeper.cancel()

    def _follow(
        self, job: RenderJob, lang: str, progress: RenderProgress, *, announce: bool = False
    ) -> None:
        render_id = job.render_id
        task = asyncio.create_task(self._guarded_poll(job, lang, progress, announce))
        keeper = asyncio.create_task(self._keep(render_id, task))
        self._tasks[render_id] = task

        def done(_: object) -> None:
            keeper.cancel()
            self._tasks.pop(render_id, None)

        task.add_done_callback(done)

    async def _keep(self, render_id: str, follower: asyncio.Task[None] | None) -> None:
        """Renew the job's lease while it is followed; stop the follower once it is not ours."""
        lease = self._timing.lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            try:
                ours = await self._store.renew_render(render_id, self._worker, lease)
            except Exception as exc:  # noqa: BLE001 - the database may answer next time
                log.warning("could not renew render %s (%s)", render_id, type(exc).__name__)
                continue
            if not ours:
                if follower is not None:
                    follower.cancel()
                return

    async def wait_idle(self) -> None:
        """Wait until every render this worker follows is delivered or failed."""
        while self._tasks:
            await asyncio.wait(list(self._tasks.values()))

    async def stop(self) -> None:
        """Stop following renders; their rows stay, released, for the next start or worker."""
        followed = list(self._tasks.items())
        for _, task in followed:
            task.cancel()
        await asyncio.gather(*(task for _, task in followed), return_exceptions=True)
        for render_id, _ in followed:
            await self._store.release_render(render_id, self._worker)

    async def _guarded_poll(
        self, job: RenderJob, lang: str, progress: RenderProgress, announce: bool
    ) -> None:
        """Follow one render; what goes wrong is told and logged, and the row kept."""
        what = f"following render {job.render_id}"
        async with answering(progress.pacer, progress.chat, lang, what, web_base=self._web_base):
            await self._poll(job, lang, progress, announce)

    async def _poll(
        self, job: RenderJob, lang: str, progress: RenderProgress, announce: bool = False
    ) -> None:
        typical = await self._store.render_seconds()
        clock = RenderClock(job.submitted_at or job.created_at, self._policy, typical)
        last_contact = time.monotonic()
        while True:
            account = await self._accounts.account(job.user_id)
            try:
                status = await self._status(account, job)
            except (NemoUnavailable, RateLimited) as exc:
                if time.monotonic() - last_contact > _GIVE_UP_SECONDS:
                    await self._fail(job, progress, lang, "lost")
                    return
                log.info("render %s poll failed, will poll again: %s", job.render_id, exc.message)
                await asyncio.sleep(clock.failed())
                continue
            except NotFound:
                await self._fail(job, progress, lang, "lost")
                return
            last_contact = time.monotonic()
            if announce and not status.finished:
                announce = False
                with contextlib.suppress(OutboxError):
                    await progress.pacer.send_text(progress.chat, t("export_resumed", lang))
            settled = await self._settled(job, status, account, progress, lang, clock)
            if settled is None:
                return
            job = settled
            await asyncio.sleep(clock.delay)

    async def _settled(
        self,
        job: RenderJob,
        status: RenderStatus,
        account: Account,
        progress: RenderProgress,
        lang: str,
        clock: RenderClock,
    ) -> RenderJob | None:
        """Act on a poll's answer; the job while it goes on, None once it is over for us."""
        if status.status in ("failed", "cancelled"):
            await self._fail(job, progress, lang, status.error or "")
            return None
        if job.status != "completed":  # a job taken over once complete needs no record
            recorded = await self._store.record_status(job.render_id, self._worker, _answer(status))
            if recorded is None:  # no longer ours (taken over after a stall, or already over)
                return None
            job = recorded
        if job.status == "completed":
            await self._delivery.deliver(job, account, progress, lang)
            return None
        await progress.show(job.progress, clock.read(job.progress))
        return job

    async def _status(self, account: Account, job: RenderJob) -> RenderStatus:
        """Poll; a job whose submit never arrived is submitted now, under the same id."""
        if job.status == "completed":
            return RenderStatus(job.render_id, "completed", 100, job.output_url)
        try:
            return await self._nemo.render_status(account.auth, job.render_id)
        except NotFound:
            if job.status != "created":
                raise
        state = await self._nemo.state(account.auth, job.session_id)
        with contextlib.suppress(RenderConflict):  # our earlier submit did arrive after all
            await self._submit(account, job, state.draft)
        return await self._nemo.render_status(account.auth, job.render_id)

    async def _fail(self, job: RenderJob, progress: RenderProgress, lang: str, reason: str) -> None:
        if not await self._store.end_render(job.render_id, self._worker, "fail", reason or None):
            return  # no longer ours to end
        self._observer.render_finished("lost" if reason == "lost" else "failed")
        if reason == "lost":
            text = t("export_lost", lang)
        elif _readable(reason):
            text = t("export_failed_reason", lang, reason=reason.strip().rstrip("."))
        else:
            text = t("export_failed", lang)
        retry = retry_buttons(job.user_id, job.session_id, lang)
        with contextlib.suppress(OutboxError):
            await progress.pacer.send_text(progress.chat, text, retry)


def _answer(status: RenderStatus, submitted_at: float | None = None) -> StatusAnswer:
    """A backend status as the job's state: any unfinished one the vendor names is processing."""
    if status.status == "completed":
        state = "completed"
    elif status.status == "pending":
        state = "pending"
    else:
        state = "processing"
    return StatusAnswer(state, status.progress, status.output_url, submitted_at)


def _readable(reason: str) -> bool:
    """A backend's failure text worth showing: short, one line, words rather than a dump."""
    text = reason.strip()
    return (
        0 < len(text) <= _MAX_REASON
        and "\n" not in text
        and not text.startswith(("{", "[", "<", "Traceback"))
        and any(ch.isalpha() for ch in text)
    )
