"""Attachments: check each one (by content, not only by name), then upload them together."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path, PurePath

from bot.core.context import TurnContext
from bot.core.media import CONVERTIBLE_AUDIO, audio_to_m4a
from bot.core.messages import Attachment
from bot.core.outbox import OutboxError, OutboxTooLarge
from bot.core.scratch import Scratch
from bot.core.texts import t
from bot.nemo import NemoClient
from bot.nemo.errors import FileTooLarge, UnsupportedFile
from bot.nemo.files import ACCEPTED_EXTENSIONS, MAX_UPLOAD_BYTES, check_upload

__all__ = ["Uploads", "safe_name"]

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^\w.\- ()\u3400-\u9fff]+")


def safe_name(name: str, fallback: str = "file") -> str:
    """A file name with no path and no odd characters, still recognisable to the user."""
    base = _UNSAFE.sub("_", PurePath(name.replace("\\", "/")).name).strip(" ._")
    return base[:120] or fallback


class Uploads:
    """Sends the user's files to their NemoVideo session."""

    def __init__(self, nemo: NemoClient, scratch: Scratch, limit: int = MAX_UPLOAD_BYTES) -> None:
        self._nemo = nemo
        self._scratch = scratch
        self._limit = limit

    async def handle(self, ctx: TurnContext, attachments: tuple[Attachment, ...]) -> int:
        """Check, fetch and upload; every rejected file gets one line. Returns files uploaded."""
        problems: list[str] = []
        with self._scratch.folder("up-") as folder:
            accepted: list[tuple[Path, str]] = []
            for index, attachment in enumerate(attachments):
                name = safe_name(attachment.name, f"file{index + 1}")
                found = await self._fetch_checked(ctx, attachment, name, Path(folder) / str(index))
                if isinstance(found, str):
                    problems.append(found)
                else:
                    accepted.append(found)
            for problem in problems:
                await ctx.pacer.send_text(ctx.chat, problem)
            if not accepted:
                return 0
            await self._nemo.upload_files(ctx.account.auth, ctx.session_id, accepted)
        await ctx.pacer.send_text(ctx.chat, t("upload_done", ctx.lang, count=len(accepted)))
        return len(accepted)

    async def _fetch_checked(
        self, ctx: TurnContext, attachment: Attachment, name: str, folder: Path
    ) -> tuple[Path, str] | str:
        """The local copy of an acceptable file and its name, or the line explaining why not.

        A voice note is re-encoded to .m4a first: NemoVideo does not take Ogg.
        """
        limits = ctx.pacer.limits(ctx.chat)
        cap = min(self._limit, limits.max_download or self._limit)
        if attachment.size is not None and attachment.size > cap:
            if cap < self._limit:  # the platform's download limit, not NemoVideo's
                return _download_too_big(ctx.lang, name, attachment.size, cap, limits.download_hint)
            return t("upload_too_big", ctx.lang, name=name)
        extension = PurePath(name).suffix.lower().lstrip(".")
        voice = extension in CONVERTIBLE_AUDIO
        if not voice and extension not in ACCEPTED_EXTENSIONS:
            return t("upload_unsupported", ctx.lang, name=name)
        folder.mkdir()
        try:
            path = await ctx.pacer.fetch_attachment(attachment, folder / name, cap)
            if voice:
                converted = await audio_to_m4a(path, path.with_suffix(".m4a"))
                if converted is None:
                    return t("upload_unsupported", ctx.lang, name=name)
                path = converted
            await asyncio.to_thread(check_upload, path, path.name, limit=self._limit)
        except OutboxTooLarge:
            if cap < self._limit:
                return _download_too_big(ctx.lang, name, cap + 1, cap, limits.download_hint)
            return t("upload_too_big", ctx.lang, name=name)
        except (OutboxError, OSError) as exc:
            log.warning("could not fetch attachment %s: %s", name, exc)
            return t("upload_missing", ctx.lang, name=name)
        except FileTooLarge:
            return t("upload_too_big", ctx.lang, name=name)
        except UnsupportedFile:
            return t("upload_unsupported", ctx.lang, name=name)
        return path, path.name if voice else name


def _download_too_big(lang: str, name: str, size: int, cap: int, hint: bool) -> str:
    mb = 1024 * 1024
    line = t("download_too_big", lang, name=name, size=round(size / mb, 1), limit=cap // mb)
    return line + (t("download_hint", lang) if hint else "")
