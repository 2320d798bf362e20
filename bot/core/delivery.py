"""A finished render: downloaded at once (URLs expire), posted once, recorded.

Posting starts with `completed → delivering`, a compare-and-set that only the holder of the
job's live lease can make, so one video is sent by one worker once. From then until the send
is recorded the video may or may not be in the chat: a failed send or a crash in that window
leaves the job `unconfirmed`, and the user is offered Resend instead of a second copy.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.accounts import Account
from bot.core.allowances import Allowances, Spender
from bot.core.chat_rules import scope_of
from bot.core.failures import describe
from bot.core.keyboards import delivered_buttons, resend_buttons, retry_buttons
from bot.core.live import keep_typing
from bot.core.media import probe_video, thumbnail
from bot.core.messages import ChatRef
from bot.core.observe import Observer
from bot.core.outbox import OutboxError, VideoFile
from bot.core.progress import RenderProgress
from bot.core.scratch import Scratch
from bot.core.texts import t
from bot.core.uploads import safe_name
from bot.nemo import NemoClient
from bot.nemo.errors import NemoError
from storage import Counts, RenderJob

if TYPE_CHECKING:
    from bot.core.export import RenderStores

__all__ = ["Delivery"]

log = logging.getLogger(__name__)
_MB = 1024 * 1024


class Delivery:
    """Gets a completed render into the chat, exactly once."""

    def __init__(
        self,
        store: RenderStores,
        nemo: NemoClient,
        web_base: str,
        scratch: Scratch,
        observer: Observer,
        worker_id: str,
        allowances: Allowances | None = None,
    ) -> None:
        self._store = store
        self._nemo = nemo
        self._web_base = web_base
        self._scratch = scratch
        self._observer = observer
        self._worker = worker_id
        self._allowances = allowances

    async def deliver(
        self, job: RenderJob, account: Account, progress: RenderProgress, lang: str
    ) -> None:
        """Download and post the video of a `completed` job (or a `delivering` one that the
        user asked to have sent again); every failure is told to the user."""
        await progress.show(100)
        pacer, chat = progress.pacer, progress.chat
        first = job.status != "delivering"  # a resend is the same export, counted once
        with self._scratch.folder("render-") as folder:
            path = Path(folder) / f"{safe_name(job.render_id, 'video')}.mp4"
            try:
                await self._download(account, job, path)
                video = await self._prepare(path)
            except NemoError as exc:
                # A resend that cannot download stays offered; a first delivery fails.
                move = "send_failed" if job.status == "delivering" else "fail"
                await self._undelivered(job, move, exc, account, progress, lang)
                return
            if job.status != "delivering" and not await self._store.begin_delivery(
                job.render_id, self._worker
            ):
                return  # no longer ours: its new holder delivers it
            try:
                async with keep_typing(pacer, chat, "upload_video"):
                    await self._send(job, progress, lang, video)
            except OutboxError as exc:
                await self._undelivered(job, "send_failed", exc, account, progress, lang)
                return
        await self._store.end_render(job.render_id, self._worker, "delivered")
        self._observer.render_finished("delivered")
        await self._store.bump_usage(job.user_id, exports=1)
        if first and self._allowances is not None:
            where = scope_of(ChatRef.from_json(job.chat))
            spender = Spender(job.user_id, metered=account.kind == "env", scope=where)
            await self._allowances.spend(spender, Counts(exports=1))
        await progress.done()

    async def _undelivered(
        self,
        job: RenderJob,
        move: str,
        exc: NemoError | OutboxError,
        account: Account,
        progress: RenderProgress,
        lang: str,
    ) -> None:
        """The video did not (surely) reach the chat: record it and tell the user once."""
        log.warning("render %s delivery failed: %s", job.render_id, exc)
        if not await self._store.end_render(job.render_id, self._worker, move, str(exc)[:200]):
            return
        self._observer.render_finished("failed" if move == "fail" else "unconfirmed")
        if move == "fail":
            text = describe(exc, lang, account, self._web_base)
            buttons = retry_buttons(job.user_id, job.session_id, lang)
        else:
            text = t("export_send_failed", lang)
            buttons = resend_buttons(job.user_id, job.session_id, lang)
        with contextlib.suppress(OutboxError):
            await progress.pacer.send_text(progress.chat, text, buttons)

    async def _download(self, account: Account, job: RenderJob, path: Path) -> None:
        if job.output_url:
            try:
                await self._nemo.download(job.output_url, path)
                return
            except NemoError as exc:
                log.info("render URL failed (%s); using the authenticated download", exc)
        await self._nemo.download_render(account.auth, job.render_id, path)

    @staticmethod
    async def _prepare(path: Path) -> VideoFile:
        """The video with what players need: size, length, a thumbnail."""
        info = await probe_video(path)
        width, height = (info.width, info.height) if info else (1920, 1080)
        duration = info.duration if info else 0.0
        thumb = await thumbnail(path, path.with_suffix(".jpg"))
        return VideoFile(path, width, height, duration, thumb)

    async def _send(
        self, job: RenderJob, progress: RenderProgress, lang: str, video: VideoFile
    ) -> None:
        pacer, chat, url = progress.pacer, progress.chat, job.output_url
        buttons = delivered_buttons(job.user_id, job.session_id, lang)
        size = video.path.stat().st_size
        if size > pacer.limits(chat).max_upload:
            megabytes = round(size / _MB, 1)
            key = "export_too_big" if url else "export_too_big_no_link"
            await pacer.send_text(chat, t(key, lang, size=megabytes, url=url), buttons)
            return
        duration = round(video.duration)
        caption = t("export_done", lang, width=video.width, height=video.height, duration=duration)
        await pacer.send_video(chat, video, caption, buttons)
