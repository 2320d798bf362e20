"""Attachments are downloaded when they arrive (CDN links expire), streamed to a spool folder."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import aiohttp

from bot.core.messages import Attachment
from bot.core.outbox import OutboxError, OutboxTooLarge
from bot.core.uploads import safe_name

__all__ = ["Spool"]

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_KEEP_SECONDS = 24 * 3600  # a queued message's files outlive any sensible wait in line


class Spool:
    """A folder of downloaded attachments; each file is named by the message it came with."""

    def __init__(self, folder: Path, session: aiohttp.ClientSession, cap: int) -> None:
        self.folder = folder
        self._session = session
        self._cap = cap

    def prepare(self) -> None:
        """Create the folder (0700) and drop files older than a day."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        cutoff = time.time() - _KEEP_SECONDS
        for path in self.folder.iterdir():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)

    async def keep(
        self, key: str, name: str, url: str, size: int | None, mime: str | None
    ) -> Attachment:
        """Download one attachment now; over the cap it is described, not fetched."""
        kind = _kind(mime, name)
        if size is not None and size > self._cap:
            return Attachment(kind, name, "", size, mime)
        dest = self.folder / f"{safe_name(key)}-{safe_name(name)}"
        try:
            await self._download(url, dest)
        except (OutboxError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not download an attachment: %s", type(exc).__name__)
            dest.unlink(missing_ok=True)
            return Attachment(kind, name, "", size, mime)
        return Attachment(kind, name, str(dest), dest.stat().st_size, mime)

    async def _download(self, url: str, dest: Path) -> None:
        timeout = aiohttp.ClientTimeout(total=600, sock_read=60)
        async with self._session.get(url, timeout=timeout) as response:
            if response.status >= 400:
                raise OutboxError(f"the attachment answered {response.status}")
            written = 0
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                async for chunk in response.content.iter_chunked(_CHUNK):
                    written += len(chunk)
                    if written > self._cap:
                        raise OutboxTooLarge("the attachment is over the limit")
                    out.write(chunk)


def _kind(mime: str | None, name: str) -> str:
    for kind in ("image", "video", "audio"):
        if (mime or "").startswith(kind + "/"):
            return kind
    suffix = Path(name).suffix.lower()
    if suffix in (".png", ".jpg", ".jpeg", ".gif", ".webp"):
        return "image"
    if suffix in (".mp4", ".mov", ".webm", ".mkv", ".avi"):
        return "video"
    return "audio" if suffix in (".mp3", ".wav", ".m4a", ".aac") else "file"
