"""Local media helpers (bundled ffmpeg): read an MP4's size and length, make a thumbnail,
turn a voice note into audio NemoVideo accepts."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

__all__ = ["CONVERTIBLE_AUDIO", "VideoInfo", "audio_to_m4a", "probe_video", "thumbnail"]

# Voice notes (Telegram's and Discord's are Ogg Opus): NemoVideo takes none of these as they are.
CONVERTIBLE_AUDIO = frozenset({"ogg", "oga", "opus"})

_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #.*Video:\s*(\w+).*?,\s*(\d{2,5})x(\d{2,5})")


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What a player needs to know before it gets the file."""

    codec: str
    width: int
    height: int
    duration: float


def _ffmpeg() -> str:
    return str(imageio_ffmpeg.get_ffmpeg_exe())


async def _run(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        _ffmpeg(),
        "-hide_banner",
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    return process.returncode or 0, stderr.decode(errors="replace")


async def probe_video(path: Path) -> VideoInfo | None:
    """Codec, size and duration of a video file, or None if it is not one."""
    _, output = await _run("-i", str(path))
    video = _VIDEO.search(output)
    if video is None:
        return None
    duration = 0.0
    found = _DURATION.search(output)
    if found:
        hours, minutes, seconds = found.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return VideoInfo(video.group(1), int(video.group(2)), int(video.group(3)), duration)


async def thumbnail(video: Path, dest: Path, *, at: float = 0.5) -> Path | None:
    """A small JPEG frame of `video` (for chat previews), or None if ffmpeg cannot make one."""
    code, _ = await _run(
        "-y",
        "-ss",
        f"{at:.2f}",
        "-i",
        str(video),
        "-frames:v",
        "1",
        "-vf",
        "scale=320:-2",
        str(dest),
    )
    return dest if code == 0 and dest.exists() else None


async def audio_to_m4a(source: Path, dest: Path) -> Path | None:
    """`source` re-encoded as AAC in `dest` (.m4a), or None if ffmpeg cannot read it as audio."""
    code, _ = await _run(
        "-y",
        "-loglevel",
        "error",
        "-i",
        str(source),
        "-vn",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        str(dest),
    )
    return dest if code == 0 and dest.exists() and dest.stat().st_size > 0 else None
