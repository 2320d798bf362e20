"""Render jobs: submit once, persist, poll, resume after a restart, deliver exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from bot.core import codec
from bot.core.accounts import Account, Accounts, TokenUnavailable
from bot.core.conversation import Timing
from bot.core.failures import describe
from bot.core.media import probe_video, thumbnail
from bot.core.messages import ChatRef
from bot.core.outbox import Button, Outbox, OutboxError, VideoFile
from bot.core.texts import t
from bot.nemo import NemoClient, RenderStatus, new_render_id
from bot.nemo.draft import has_content
from bot.nemo.errors import NemoError, NemoUnavailable, NotFound, RenderConflict
from storage import RenderExistsError, RenderJob, Store

__all__ = ["Exporter"]

log = logging.getLogger(__name__)

# A render that the backend cannot be asked about for this long is given up.
_GIVE_UP_SECONDS = 2 * 3600
# Fresh render ids to try when one is already taken (several workers, same millisecond).
_ID_ATTEMPTS = 3


class Exporter:
    """Owns every render job this worker holds the lease of."""

    def __init__(
        self,
        store: Store,
        nemo: NemoClient,
        accounts: Accounts,
        outboxes: Mapping[str, Outbox],
        timing: Timing,
        worker_id: str,
        web_base: str,
        render_ids: Callable[[], str] = new_render_id,
    ) -> None:
        self._store = store
        self._nemo = nemo
        self._accounts = accounts
        self._outboxes = outboxes
        self._timing = timing
        self._worker = worker_id
        self._web_base = web_base
        self._render_ids = render_ids
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def start(
        self, user_id: int, chat: ChatRef, lang: str, account: Account, session_id: str
    ) -> None:
        """Export the session's latest draft (or say why not)."""
        outbox = self._outboxes[chat.platform]
        active = await self._store.active_render(user_id)
        if active is not None and active.render_id in self._tasks:
            await outbox.send_text(chat, t("export_busy", lang, progress=active.progress))
            return
        state = await self._nemo.state(account.auth, session_id)
        if not has_content(state.draft):
            await outbox.send_text(chat, t("export_empty", lang))
            return
        progress_id: str | None = None
        for _ in range(_ID_ATTEMPTS):
            render_id = self._render_ids()
            try:
                await self._store.create_render(
                    render_id,
                    user_id,
                    chat.to_json(),
                    session_id,
                    self._worker,
                    self._timing.lease_seconds,
                )
            except RenderExistsError:
                continue  # another worker minted the same id in the same millisecond
            if progress_id is None:
                progress_id = await outbox.send_text(chat, t("export_started", lang, progress=0))
            try:
                await self._submit(account, render_id, session_id, state.draft, first=True)
            except RenderConflict:
                # A fresh id the backend already has: another bot minted it in the same ms.
                await self._store.update_render(render_id, status="failed", error="id taken")
                continue
            except NemoUnavailable as exc:
                # Unknown whether it arrived: the poller asks about this id before resubmitting.
                log.warning("render %s submit uncertain: %s", render_id, exc.message)
            except NemoError as exc:
                await self._store.update_render(render_id, status="failed", error=exc.message)
                await outbox.send_text(chat, describe(exc, lang, account, self._web_base))
                return
            self._follow(render_id, lang, progress_id)
            return
        await outbox.send_text(chat, t("err_generic", lang))

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

    async def resume(self) -> int:
        """Take up every unfinished render (after a restart); returns how many."""
        jobs = await self._store.claim_renders(self._worker, self._timing.lease_seconds)
        for job in jobs:
            user = await self._store.get_user(job.user_id)
            lang = user.language if user else "en"
            chat = ChatRef.from_json(job.chat)
            if chat.platform not in self._outboxes:
                continue
            if job.status not in ("completed", "delivering"):
                with contextlib.suppress(OutboxError):
                    await self._outboxes[chat.platform].send_text(chat, t("export_resumed", lang))
            self._follow(job.render_id, lang, None)
        return len(jobs)

    def _follow(self, render_id: str, lang: str, progress_id: str | None) -> None:
        task = asyncio.create_task(self._guarded_poll(render_id, lang, progress_id))
        self._tasks[render_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(render_id, None))

    async def wait_idle(self) -> None:
        """Wait until every render this worker follows is delivered or failed."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def stop(self) -> None:
        """Stop following renders; their rows stay, released, for the next start or worker."""
        followed = list(self._tasks.items())
        for _, task in followed:
            task.cancel()
        await asyncio.gather(*(task for _, task in followed), return_exceptions=True)
        for render_id, _ in followed:
            await self._store.release_render(render_id, self._worker)

    async def _guarded_poll(self, render_id: str, lang: str, progress_id: str | None) -> None:
        """Follow one render; a failure is logged and the row kept for the next start."""
        try:
            await self._poll(render_id, lang, progress_id)
        except asyncio.CancelledError:
            raise
        except OutboxError as exc:
            log.warning("stopped following render %s: %s", render_id, exc)
        except (NemoError, TokenUnavailable) as exc:
            log.warning("stopped following render %s: %r", render_id, exc)
            job = await self._store.get_render(render_id)
            chat = ChatRef.from_json(job.chat) if job else None
            if chat is not None and chat.platform in self._outboxes:
                with contextlib.suppress(OutboxError):
                    text = describe(exc, lang, None, self._web_base)
                    await self._outboxes[chat.platform].send_text(chat, text)
        except Exception as exc:  # noqa: BLE001 - a poller's bug must not go unnoticed or kill the bot
            log.error("render %s poller failed: %s: %s", render_id, type(exc).__name__, exc)

    async def _poll(self, render_id: str, lang: str, progress_id: str | None) -> None:
        job = await self._store.get_render(render_id)
        if job is None:
            return
        chat = ChatRef.from_json(job.chat)
        outbox = self._outboxes[chat.platform]
        last_contact = time.monotonic()
        shown_progress = 0 if progress_id is not None else -1  # a new job's message shows 0%
        while True:
            account = await self._accounts.account(job.user_id)
            try:
                status = await self._status(account, job)
                last_contact = time.monotonic()
            except NemoUnavailable as exc:
                if time.monotonic() - last_contact > _GIVE_UP_SECONDS:
                    await self._fail(job, chat, outbox, lang, "lost")
                    return
                log.info("render %s poll failed, will poll again: %s", render_id, exc.message)
                status = None
            except NotFound:
                await self._fail(job, chat, outbox, lang, "lost")
                return
            if status is not None:
                await self._store.update_render(
                    render_id, status=status.status, progress=status.progress
                )
                if status.status == "completed":
                    await self._deliver(job, status, account, chat, outbox, lang)
                    return
                if status.status in ("failed", "cancelled"):
                    await self._fail(job, chat, outbox, lang, status.error or "")
                    return
                if status.progress != shown_progress:
                    shown_progress = status.progress
                    progress_id = await self._show_progress(
                        chat, outbox, lang, progress_id, status.progress
                    )
            await self._store.renew_render_lease(
                render_id, self._worker, self._timing.lease_seconds
            )
            await asyncio.sleep(self._timing.render_poll_seconds)

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

    async def _show_progress(
        self, chat: ChatRef, outbox: Outbox, lang: str, message_id: str | None, progress: int
    ) -> str | None:
        text = t("export_started", lang, progress=progress)
        try:
            if message_id is None:
                return await outbox.send_text(chat, text)
            await outbox.edit_text(chat, message_id, text)
        except OutboxError as exc:
            log.debug("progress update refused: %s", exc)
        return message_id

    async def _fail(
        self, job: RenderJob, chat: ChatRef, outbox: Outbox, lang: str, reason: str
    ) -> None:
        await self._store.update_render(
            job.render_id, status="failed", error=reason or None, finished_at=time.time()
        )
        if reason == "lost":
            text = t("export_lost", lang)
        else:
            text = t("export_failed", lang, reason=f" ({reason})" if reason else "")
        retry = (Button(t("btn_retry", lang), codec.encode("retry", _sid(job.session_id))),)
        with contextlib.suppress(OutboxError):
            await outbox.send_text(chat, text, retry)

    async def _deliver(
        self,
        job: RenderJob,
        status: RenderStatus,
        account: Account,
        chat: ChatRef,
        outbox: Outbox,
        lang: str,
    ) -> None:
        url = status.output_url or job.output_url
        await self._store.update_render(
            job.render_id,
            status="completed",
            progress=100,
            output_url=url,
            finished_at=time.time(),
        )
        if not await self._store.begin_delivery(job.render_id):
            return  # another worker (or an earlier run) is delivering it
        with tempfile.TemporaryDirectory(prefix="nemobot-render-") as folder:
            path = Path(folder) / f"{job.render_id}.mp4"
            try:
                await self._download(account, job.render_id, url, path)
                await self._send(chat, outbox, lang, path, url)
            except (NemoError, OutboxError) as exc:
                log.warning("render %s delivery failed: %s", job.render_id, exc)
                await self._store.update_render(job.render_id, status="completed")
                with contextlib.suppress(OutboxError):
                    await outbox.send_text(chat, describe(exc, lang, account, self._web_base))
                return
        await self._store.mark_delivered(job.render_id)
        await self._store.bump_usage(job.user_id, exports=1)

    async def _download(
        self, account: Account, render_id: str, url: str | None, path: Path
    ) -> None:
        if url:
            try:
                await self._nemo.download(url, path)
                return
            except NemoError as exc:
                log.info("render URL failed (%s); using the authenticated download", exc)
        await self._nemo.download_render(account.auth, render_id, path)

    async def _send(
        self, chat: ChatRef, outbox: Outbox, lang: str, path: Path, url: str | None
    ) -> None:
        size = path.stat().st_size
        if size > outbox.limits.max_upload:
            megabytes = round(size / 1024 / 1024, 1)
            await outbox.send_text(chat, t("export_too_big", lang, size=megabytes, url=url))
            return
        info = await probe_video(path)
        width, height = (info.width, info.height) if info else (1920, 1080)
        duration = info.duration if info else 0.0
        thumb = await thumbnail(path, path.with_suffix(".jpg"))
        video = VideoFile(path, width, height, duration, thumb)
        caption = t("export_done", lang, width=width, height=height, duration=round(duration))
        await outbox.send_video(chat, video, caption)


def _sid(session_id: str) -> str:
    return session_id if codec.encodable(session_id) else ""
