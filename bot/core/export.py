"""Render jobs: submit once, persist, poll, resume after a restart, deliver exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.core.accounts import Account, Accounts, TokenUnavailable
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
from bot.core.scratch import Scratch
from bot.core.texts import t
from bot.nemo import NemoClient, RenderIds, RenderStatus
from bot.nemo.draft import has_content
from bot.nemo.errors import NemoError, NemoUnavailable, NotFound, RenderConflict
from storage import RenderExistsError, RenderJob, Store

__all__ = ["ExportRequest", "Exporter"]

log = logging.getLogger(__name__)

# A render that the backend cannot be asked about for this long is given up.
_GIVE_UP_SECONDS = 2 * 3600
# Fresh render ids to try when one is already taken (several workers, same millisecond).
_ID_ATTEMPTS = 3
# A backend's failure text is shown only when it reads like a sentence for people.
_MAX_REASON = 160


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """Who wants which session rendered, and where the video goes."""

    user_id: int
    chat: ChatRef
    lang: str
    account: Account
    session_id: str
    exempt: bool = False  # an operator: no limit on renders at once


class Exporter:
    """Owns every render job this worker holds the lease of."""

    def __init__(
        self,
        store: Store,
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
        self._delivery = Delivery(store, nemo, web_base, scratch, self._observer)
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def start(self, request: ExportRequest, pacer: Pacer) -> None:
        """Export the session's latest draft (or say why not)."""
        chat, lang = request.chat, request.lang
        active = await self._store.active_renders(request.user_id)
        if active and not request.exempt and len(active) >= self._per_user:
            await pacer.send_text(chat, t("export_busy", lang, progress=active[0].progress))
            return
        state = await self._nemo.state(request.account.auth, request.session_id)
        if not has_content(state.draft):
            await pacer.send_text(chat, t("export_empty", lang))
            return
        progress = RenderProgress(pacer, chat, lang, await self._store.render_seconds())
        for _ in range(_ID_ATTEMPTS):
            render_id = self._render_ids()
            try:
                await self._store.create_render(
                    render_id,
                    request.user_id,
                    chat.to_json(),
                    request.session_id,
                    self._worker,
                    self._timing.lease_seconds,
                )
            except RenderExistsError:
                continue  # another worker minted the same id in the same millisecond
            await progress.show(0)
            outcome = await self._first_submit(request, pacer, render_id, state.draft)
            if outcome == "follow":
                self._follow(render_id, lang, progress)
            if outcome != "taken":
                return
        await pacer.send_text(chat, t("err_generic", lang))

    async def _first_submit(
        self, request: ExportRequest, pacer: Pacer, render_id: str, draft: Mapping[str, object]
    ) -> str:
        """Submit a new job: "follow" it (it arrived, or may have), "taken", or "refused"."""
        try:
            await self._submit(request.account, render_id, request.session_id, draft, first=True)
        except RenderConflict:
            # A fresh id the backend already has: another bot minted it in the same ms.
            await self._store.update_render(render_id, status="failed", error="id taken")
            return "taken"
        except NemoUnavailable as exc:
            # Unknown whether it arrived: the poller asks about this id before resubmitting.
            log.warning("render %s submit uncertain: %s", render_id, exc.message)
        except NemoError as exc:
            await self._store.update_render(render_id, status="failed", error=exc.message)
            web = self._web_base
            await pacer.send_text(request.chat, describe(exc, request.lang, request.account, web))
            return "refused"
        return "follow"

    async def _submit(
        self,
        account: Account,
        render_id: str,
        session_id: str,
        draft: Mapping[str, object],
        *,
        first: bool = False,
    ) -> None:
        """Submit under `render_id`; on a resubmit, a conflict means our earlier try arrived."""
        try:
            status = await self._nemo.submit_render(account.auth, session_id, draft, render_id)
        except RenderConflict:
            if first:
                raise
            return
        await self._store.update_render(
            render_id, status=status.status, progress=status.progress, submitted_at=time.time()
        )

    # -- following jobs -----------------------------------------------------------------

    async def resume(self) -> int:
        """Take up every unfinished render of a connected platform; returns how many."""
        jobs = await self._store.claim_renders(self._worker, self._timing.lease_seconds)
        followed = 0
        history = await self._store.render_seconds()
        for job in jobs:
            if job.render_id in self._tasks:
                continue
            chat = ChatRef.from_json(job.chat)
            pacer = self._platforms.for_chat(chat)
            if pacer is None:
                await self._store.release_render(job.render_id, self._worker)
                continue  # taken up when its platform connects
            user = await self._store.get_user(job.user_id)
            lang = user.language if user else "en"
            if job.status == "delivering":
                await self._unconfirmed(job, pacer, chat, lang)
                continue
            if job.status in ("pending", "processing"):  # submitted and not finished
                with contextlib.suppress(OutboxError):
                    await pacer.send_text(chat, t("export_resumed", lang))
            # "created": the bot stopped around the submit; say so once the backend knows it.
            progress = RenderProgress(pacer, chat, lang, history)
            self._follow(job.render_id, lang, progress, announce=job.status == "created")
            followed += 1
        return followed

    async def _unconfirmed(self, job: RenderJob, pacer: Pacer, chat: ChatRef, lang: str) -> None:
        """The bot stopped while sending this video: never send it again unasked."""
        await self._store.update_render(job.render_id, status="unconfirmed")
        self._observer.render_finished("unconfirmed")
        await self._store.release_render(job.render_id, self._worker)
        buttons = resend_buttons(job.user_id, job.session_id, lang)
        with contextlib.suppress(OutboxError):
            await pacer.send_text(chat, t("export_unconfirmed", lang), buttons)

    async def resend(self, request: ExportRequest, pacer: Pacer) -> None:
        """Send again, on the user's request, a video that may not have arrived."""
        job = await self._store.unconfirmed_render(request.user_id)
        if job is None:
            await pacer.send_text(request.chat, t("nothing_to_resend", request.lang))
            return
        await self._store.update_render(job.render_id, status="completed")
        status = RenderStatus(job.render_id, "completed", 100, job.output_url)
        progress = RenderProgress(pacer, request.chat, request.lang, [])
        await self._delivery.deliver(job, status, request.account, progress, request.lang)

    def _follow(
        self, render_id: str, lang: str, progress: RenderProgress, *, announce: bool = False
    ) -> None:
        task = asyncio.create_task(self._guarded_poll(render_id, lang, progress, announce))
        self._tasks[render_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(render_id, None))

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
        self, render_id: str, lang: str, progress: RenderProgress, announce: bool
    ) -> None:
        """Follow one render; a failure is logged and the row kept for the next start."""
        try:
            await self._poll(render_id, lang, progress, announce)
        except asyncio.CancelledError:
            raise
        except OutboxError as exc:
            log.warning("stopped following render %s: %s", render_id, exc)
        except (NemoError, TokenUnavailable) as exc:
            log.warning("stopped following render %s: %r", render_id, exc)
            with contextlib.suppress(OutboxError):
                await progress.pacer.send_text(
                    progress.chat, describe(exc, lang, None, self._web_base)
                )
        except Exception as exc:  # noqa: BLE001 - a poller's bug must not go unnoticed or kill the bot
            log.error("render %s poller failed: %s: %s", render_id, type(exc).__name__, exc)

    async def _poll(
        self, render_id: str, lang: str, progress: RenderProgress, announce: bool = False
    ) -> None:
        job = await self._store.get_render(render_id)
        if job is None:
            return
        last_contact = time.monotonic()
        while True:
            account = await self._accounts.account(job.user_id)
            status: RenderStatus | None = None
            try:
                status = await self._status(account, job)
                last_contact = time.monotonic()
                if announce and not status.finished:
                    announce = False
                    with contextlib.suppress(OutboxError):
                        await progress.pacer.send_text(progress.chat, t("export_resumed", lang))
            except NemoUnavailable as exc:
                if time.monotonic() - last_contact > _GIVE_UP_SECONDS:
                    await self._fail(job, progress, lang, "lost")
                    return
                log.info("render %s poll failed, will poll again: %s", render_id, exc.message)
            except NotFound:
                await self._fail(job, progress, lang, "lost")
                return
            if status is not None and await self._settled(job, status, account, progress, lang):
                return
            await self._store.renew_render_lease(
                render_id, self._worker, self._timing.lease_seconds
            )
            await asyncio.sleep(self._timing.render_poll_seconds)

    async def _settled(
        self,
        job: RenderJob,
        status: RenderStatus,
        account: Account,
        progress: RenderProgress,
        lang: str,
    ) -> bool:
        """Record a poll's answer; True once the job is delivered or failed."""
        await self._store.update_render(
            job.render_id, status=status.status, progress=status.progress
        )
        if status.status == "completed":
            await self._delivery.deliver(job, status, account, progress, lang)
            return True
        if status.status in ("failed", "cancelled"):
            await self._fail(job, progress, lang, status.error or "")
            return True
        await progress.show(status.progress)
        return False

    async def _status(self, account: Account, job: RenderJob) -> RenderStatus:
        """Poll; a job whose submit never arrived is submitted now, under the same id."""
        if job.status in ("completed", "delivering"):
            return RenderStatus(job.render_id, "completed", 100, job.output_url)
        try:
            return await self._nemo.render_status(account.auth, job.render_id)
        except NotFound:
            if job.status != "created":
                raise
        state = await self._nemo.state(account.auth, job.session_id)
        await self._submit(account, job.render_id, job.session_id, state.draft)
        return await self._nemo.render_status(account.auth, job.render_id)

    async def _fail(self, job: RenderJob, progress: RenderProgress, lang: str, reason: str) -> None:
        await self._store.update_render(
            job.render_id, status="failed", error=reason or None, finished_at=time.time()
        )
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


def _readable(reason: str) -> bool:
    """A backend's failure text worth showing: short, one line, words rather than a dump."""
    text = reason.strip()
    return (
        0 < len(text) <= _MAX_REASON
        and "\n" not in text
        and not text.startswith(("{", "[", "<", "Traceback"))
        and any(ch.isalpha() for ch in text)
    )
