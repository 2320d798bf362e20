"""A finished render: downloaded at once (URLs expire), posted once, recorded."""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path

from bot.core.accounts import Account
from bot.core.failures import describe
from bot.core.keyboards import delivered_buttons
from bot.core.live import keep_typing
from bot.core.media import probe_video, thumbnail
from bot.core.observe import Observer
from bot.core.outbox import OutboxError, VideoFile
from bot.core.progress import RenderProgress
from bot.core.scratch import Scratch
from bot.core.texts import t
from bot.core.uploads import safe_name
from bot.nemo import NemoClient, RenderStatus
from bot.nemo.errors import NemoError
from storage import RenderJob, Store

__all__ = ["Delivery"]

log = logging.getLogger(__name__)
_MB = 1024 * 1024


class Delivery:
    """Gets a completed render into the chat, exactly once."""

    def __init__(
        self, store: Store, nemo: NemoClient, web_base: str, scratch: Scratch, observer: Observer
    ) -> None:
        self._store = store
        self._nemo = nemo
        self._web_base = web_base
        self._scratch = scratch
        self._observer = observer

    async def deliver(
        self,
        job: RenderJob,
        status: RenderStatus,
        account: Account,
        progress: RenderProgress,
        lang: str,
    ) -> None:
        """Download and post the video; a failure is told to the user and the job kept."""
        url = status.output_url or job.output_url
        await self._store.update_render(
            job.render_id, status="completed", progress=100, output_url=url, finished_at=time.time()
        )
        await progress.show(100)
        pacer, chat = progress.pacer, progress.chat
        with self._scratch.folder("render-") as folder:
            path = Path(folder) / f"{safe_name(job.render_id, 'video')}.mp4"
            try:
                await self._download(account, job.render_id, url, path)
                video = await self._prepare(path, lang)
                # From here until it is recorded, the video may or may not be in the chat:
                # the window is the send itself (a restart then offers to resend it).
                if not await self._store.begin_delivery(job.render_id):
                    return  # another worker (or an earlier run) is delivering it
                async with keep_typing(pacer, chat, "upload_video"):
                    await self._send(job, progress, lang, video, url)
            except (NemoError, OutboxError) as exc:
                log.warning("render %s delivery failed: %s", job.render_id, exc)
                await self._store.update_render(job.render_id, status="completed")
                with contextlib.suppress(OutboxError):
                    text = describe(exc, lang, account, self._web_base)
                    await pacer.send_text(chat, text)
                return
        await self._store.mark_delivered(job.render_id)
        self._observer.render_finished("delivered")
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

    @staticmethod
    async def _prepare(path: Path, lang: str) -> VideoFile:
        """The video with what players need: size, length, a thumbnail."""
        info = await probe_video(path)
        width, height = (info.width, info.height) if info else (1920, 1080)
        duration = info.duration if info else 0.0
        thumb = await thumbnail(path, path.with_suffix(".jpg"))
        return VideoFile(path, width, height, duration, thumb)

    async def _send(
        self,
        job: RenderJob,
        progress: RenderProgress,
        lang: str,
        video: VideoFile,
        url: str | None,
    ) -> None:
        pacer, chat = progress.pacer, progress.chat
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
