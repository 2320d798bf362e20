"""Read duration, size, frame rate and codecs of a media file with the bundled ffmpeg."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})[,\s]")
FPS = re.compile(r"([\d.]+) fps")
AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+)")


@dataclass(frozen=True)
class MediaInfo:
    """What ffmpeg reports about a file."""

    duration: float | None = None
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    audio_codec: str | None = None


def ffmpeg_exe() -> str:
    """Path of the static ffmpeg binary shipped with imageio-ffmpeg."""
    return imageio_ffmpeg.get_ffmpeg_exe()


def parse_ffmpeg_info(text: str) -> MediaInfo:
    """Parse the stream report that `ffmpeg -i FILE` prints on stderr."""
    duration = None
    if match := DURATION.search(text):
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    codec = width = height = fps = None
    if match := VIDEO.search(text):
        codec, width, height = match.group(1), int(match.group(2)), int(match.group(3))
        line = text[match.start() : text.find("\n", match.start())]
        if rate := FPS.search(line):
            fps = float(rate.group(1))
    audio = match.group(1) if (match := AUDIO.search(text)) else None
    return MediaInfo(duration, codec, width, height, fps, audio)


async def probe(path: Path) -> MediaInfo:
    """Probe a file without blocking the event loop."""
    process = await asyncio.create_subprocess_exec(
        ffmpeg_exe(),
        "-hide_banner",
        "-i",
        str(path),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    return parse_ffmpeg_info(err.decode(errors="replace"))
