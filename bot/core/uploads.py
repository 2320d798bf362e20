"""Attachments: check each one by its content (not its name), then upload them together."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path, PurePath

from bot.core.context import TurnContext
from bot.core.filekinds import describe_content
from bot.core.media import CONVERTIBLE_AUDIO, audio_to_m4a
from bot.core.messages import Attachment
from bot.core.outbox import OutboxError, OutboxTooLarge
from bot.core.scratch import Scratch
from bot.core.texts import t, t_count
from bot.nemo import NemoClient
from bot.nemo.errors import FileTooLarge, UnsupportedFile
from bot.nemo.files import MAX_UPLOAD_BYTES, check_upload, detected_extension, name_for_content

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

    async def handle(
        self, ctx: TurnContext, attachments: tuple[Attachment, ...], *, caption: bool = False
    ) -> int:
        """Check, fetch and upload; every rejected file gets one line. Returns files uploaded.

        With `caption` and no file left, the last line says the caption is answered anyway.
        """
        problems: list[str] = []
        with self._scratch.folder("up-") as folder:
            accepted: list[tuple[Path, str]] = []
            for index, attachment in enumerate(attachments):
                name = safe_name(attachment.name, f"file{index + 1}")
                found = await self._fetch_checked(ctx, attachment, name, Path(folder) / str(index))
                if isinstance(found, str):
                    problems.append(found)
                else:
                    accepted.append((found[0], _unique(found[1], [n for _, n in accepted])))
            if problems and caption and not accepted:
                problems[-1] += t("upload_caption_alone", ctx.lang)
            for problem in problems:
                await ctx.pacer.send_text(ctx.chat, problem)
            if not accepted:
                return 0
            await self._nemo.upload_files(ctx.account.auth, ctx.session_id, accepted)
        await ctx.pacer.send_text(ctx.chat, t_count("upload_done", ctx.lang, len(accepted)))
        return len(accepted)

    async def _fetch_checked(
        self, ctx: TurnContext, attachment: Attachment, name: str, folder: Path
    ) -> tuple[Path, str] | str:
        """The local copy of an acceptable file and the name it goes up under, or the line
        explaining why not. The content decides: a PNG named .jpg goes up as .png."""
        limits = ctx.pacer.limits(ctx.chat)
        cap = min(self._limit, limits.max_download or self._limit)
        if attachment.size is not None and attachment.size > cap:
            if cap < self._limit:  # the platform's download limit, not NemoVideo's
                return _download_too_big(ctx.lang, name, attachment.size, cap, limits.download_hint)
            return t("upload_too_big", ctx.lang, name=name)
        folder.mkdir()
        try:
            path = await ctx.pacer.fetch_attachment(attachment, folder / "received", cap)
            found = await asyncio.to_thread(detected_extension, path)
            upload = await _as_accepted(path, name, found)
            if upload is None:
                return _refused(ctx.lang, name, found)
            await asyncio.to_thread(check_upload, upload[0], upload[1], limit=self._limit)
        except OutboxTooLarge:
            if cap < self._limit:
                return _download_too_big(ctx.lang, name, cap + 1, cap, limits.download_hint)
            return t("upload_too_big", ctx.lang, name=name)
        except (OutboxError, OSError) as exc:
            # The error's text may name the file: the log gets its kind only.
            log.warning(
                "could not fetch an attachment (.%s): %s", _extension(name), type(exc).__name__
            )
            return t("upload_missing", ctx.lang, name=name)
        except FileTooLarge:
            return t("upload_too_big", ctx.lang, name=name)
        except UnsupportedFile:
            return _refused(ctx.lang, name, None)
        return upload


async def _as_accepted(path: Path, name: str, found: str | None) -> tuple[Path, str] | None:
    """The file and name to upload for this content, or None when NemoVideo cannot take it.

    A voice note (Ogg) is re-encoded to .m4a first: NemoVideo does not take Ogg.
    """
    if found in CONVERTIBLE_AUDIO:
        converted = await audio_to_m4a(path, path.with_name("converted.m4a"))
        return None if converted is None else (converted, str(name_for_content(name, "m4a")))
    upload_name = name_for_content(name, found) if found else None
    return None if upload_name is None else (path, upload_name)


def _refused(lang: str, name: str, found: str | None) -> str:
    """The line for a file whose content is not media NemoVideo takes; logged once."""
    log.info("attachment refused: named .%s, content %s", _extension(name), found or "unknown")
    if found is None or found in CONVERTIBLE_AUDIO:
        return t("upload_unrecognised", lang, name=name)
    return t("upload_not_media", lang, name=name, kind=describe_content(found, lang))


def _extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")[:8] or "?"


def _unique(name: str, taken: list[str]) -> str:
    """`name`, or `name (2)`… when another file of this upload already has it."""
    path, number, candidate = PurePath(name), 1, name
    while candidate.lower() in (n.lower() for n in taken):
        number += 1
        candidate = f"{path.stem} ({number}){path.suffix}"
    return candidate


def _download_too_big(lang: str, name: str, size: int, cap: int, hint: bool) -> str:
    mb = 1024 * 1024
    line = t("download_too_big", lang, name=name, size=round(size / mb, 1), limit=cap // mb)
    return line + (t("download_hint", lang) if hint else "")
