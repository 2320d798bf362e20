"""Thumbnails of a project's images and clips: fetched once, kept small, per session.

Files come down the way the gallery's do (`NemoClient.download`, into the scratch folder),
capped in size; a clip's thumbnail is one of its frames (the bundled ffmpeg). Only the small
picture is kept, in memory, for a bounded number of files: the next /status of the same
session draws without a download.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from bot.core.media import thumbnail
from bot.core.scratch import Scratch
from bot.core.storyboard.layout import Media
from bot.nemo import NemoClient
from bot.nemo.errors import NemoError

__all__ = ["Thumbnails", "shrink"]

log = logging.getLogger(__name__)

MAX_FILES = 40  # thumbnails fetched for one picture; later blocks are drawn without


def shrink(path: Path, height: int) -> Image.Image | None:
    """The picture in `path` as RGB, `height` pixels tall at most, or None if it is none."""
    try:
        with Image.open(path) as image:
            image.draft("RGB", (height * 4, height))  # JPEG: decode at a fraction of the size
            image.thumbnail((height * 4, height))
            return image.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


class Thumbnails:
    """Small pictures of media by session, the least recently drawn dropped first."""

    def __init__(
        self,
        nemo: NemoClient,
        scratch: Scratch,
        height: int,
        *,
        capacity: int = 512,  # at most 256x64 RGB each: under 25 MB in all
        max_bytes: int = 32 * 2**20,
        parallel: int = 4,
        wait_seconds: float = 15.0,
    ) -> None:
        self._nemo, self._scratch, self._height = nemo, scratch, height
        self._capacity, self._max_bytes = capacity, max_bytes
        self._parallel, self._wait = parallel, wait_seconds
        self._kept: OrderedDict[tuple[str, str], Image.Image] = OrderedDict()

    async def get(self, session_id: str, media: Sequence[Media]) -> dict[str, Image.Image]:
        """The thumbnails of `media` by `Media.key`; ones that could not be made are left out."""
        found: dict[str, Image.Image] = {}
        missing: list[Media] = []
        for item in media[:MAX_FILES]:
            kept = self._kept.get((session_id, item.key))
            if kept is None:
                missing.append(item)
                continue
            self._kept.move_to_end((session_id, item.key))
            found[item.key] = kept
        if missing:
            for item, image in await self._fetch_all(missing):
                self._keep(session_id, item.key, image)
                found[item.key] = image
        return found

    def _keep(self, session_id: str, key: str, image: Image.Image) -> None:
        self._kept[(session_id, key)] = image
        self._kept.move_to_end((session_id, key))
        while len(self._kept) > self._capacity:
            self._kept.popitem(last=False)

    async def _fetch_all(self, media: Sequence[Media]) -> list[tuple[Media, Image.Image]]:
        """Fetch several at once; what is not done within the wait is drawn without."""
        gate = asyncio.Semaphore(self._parallel)
        with self._scratch.folder("thumb-") as folder:

            async def one(number: int, item: Media) -> tuple[Media, Image.Image | None]:
                async with gate:
                    return item, await self._fetch(item, Path(folder) / f"media_{number}")

            tasks = [asyncio.create_task(one(n, item)) for n, item in enumerate(media)]
            done, pending = await asyncio.wait(tasks, timeout=self._wait)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if pending:
            log.info("%d storyboard thumbnail(s) took too long; drawn without", len(pending))
        results = [task.result() for task in done]
        return [(item, image) for item, image in results if image is not None]

    async def _fetch(self, item: Media, base: Path) -> Image.Image | None:
        source = base.with_suffix(".video" if item.video else ".image")
        try:
            await self._nemo.download(item.url, source, limit=self._max_bytes)
        except NemoError as exc:
            log.info("no storyboard thumbnail for a file: %s", exc.message)
            return None
        except OSError as exc:  # the scratch folder is full or gone
            log.warning("could not keep a file for a storyboard thumbnail: %s", exc)
            return None
        if item.video:
            frame = await thumbnail(source, base.with_suffix(".jpg"), at=0.0)
            if frame is None:
                return None
            source = frame
        return await asyncio.to_thread(shrink, source, self._height)
