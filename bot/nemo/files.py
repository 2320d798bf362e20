"""What the backend accepts for upload, checked before any byte is sent; a download's body
written to disk within a size."""

from __future__ import annotations

import re
from pathlib import Path

import filetype
import httpx

from bot.nemo.errors import FileTooLarge, UnsupportedFile

__all__ = [
    "ACCEPTED_EXTENSIONS",
    "MAX_UPLOAD_BYTES",
    "check_upload",
    "content_extension",
    "detected_extension",
    "name_for_content",
    "save_body",
]

ACCEPTED_EXTENSIONS = frozenset(
    {"mp4", "mov", "avi", "webm", "mkv"}
    | {"jpg", "jpeg", "png", "gif", "webp"}
    | {"mp3", "wav", "m4a", "aac"}
)
MAX_UPLOAD_BYTES = 200 * 1024 * 1024

# Containers the sniffer may name differently from the file's extension.
_SAME_FAMILY = {
    "jpeg": "jpg",
    "m4v": "mp4",
    "m4a": "mp4",
    "mov": "mp4",
    "3gp": "mp4",
}
_SNIFF_BYTES = 262
_EXTENSION = re.compile(r"[a-z0-9]{1,5}")  # a suffix that looks like a file type
# What the sniffer calls a type the backend takes under another name.
_ACCEPTED_AS = {"jpeg": "jpg", "apng": "png", "m4v": "mp4", "3gp": "mp4"}


def detected_extension(path: Path) -> str | None:
    """The file type found in the file's first bytes (not its name), if recognised."""
    with path.open("rb") as file:
        head = file.read(_SNIFF_BYTES)
    kind = filetype.guess(head)
    return kind.extension if kind else _bare_audio(head)


def content_extension(found: str | None) -> str | None:
    """The accepted extension for content the sniffer named `found`, or None if not accepted."""
    if found is None:
        return None
    extension = _ACCEPTED_AS.get(found, found)
    return extension if extension in ACCEPTED_EXTENSIONS else None


def name_for_content(name: str, found: str) -> str | None:
    """`name` with the extension its content deserves, or None when the content is refused.

    The user's extension stays when it names the same family (a .jpeg JPEG, an .m4a in an
    MP4 container); otherwise it is replaced (a PNG named .jpg goes up as .png).
    """
    extension = content_extension(found)
    if extension is None:
        return None
    path = Path(name)
    own = path.suffix.lower().lstrip(".")
    if own in ACCEPTED_EXTENSIONS and _family(own) == _family(extension):
        return name
    stem = path.stem if _EXTENSION.fullmatch(own) else name
    return f"{stem}.{extension}"


def _bare_audio(head: bytes) -> str | None:
    """MPEG audio or ADTS AAC without a container: a frame header where the file starts."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    layer = (head[1] >> 1) & 0b11
    if layer == 0b00 and head[1] & 0xF6 == 0xF0:
        return "aac"  # ADTS: the 12-bit sync word, layer 00
    if layer == 0b01 and (head[2] >> 4) not in (0b0000, 0b1111):
        return "mp3"  # MPEG audio layer III with a real bitrate index
    return None


def check_upload(path: Path, name: str | None = None, *, limit: int = MAX_UPLOAD_BYTES) -> str:
    """Return the accepted extension of `path`, or raise UnsupportedFile / FileTooLarge."""
    label = name or path.name
    extension = Path(label).suffix.lower().lstrip(".")
    size = path.stat().st_size
    if size > limit:
        raise FileTooLarge(f"{label} is {size} bytes; the limit is {limit}")
    if extension not in ACCEPTED_EXTENSIONS:
        raise UnsupportedFile(f"{label}: .{extension or '?'} files are not accepted")
    found = detected_extension(path)
    if found is None:
        raise UnsupportedFile(f"{label}: the content is not a recognised media file")
    if _family(found) != _family(extension):
        raise UnsupportedFile(f"{label}: the content is {found}, not {extension}")
    return extension


def _family(extension: str) -> str:
    return _SAME_FAMILY.get(extension, extension)


_CHUNK = 64 * 1024


async def save_body(response: httpx.Response, dest: Path, limit: int | None = None) -> None:
    """Write a streamed response's body to `dest`; past `limit` bytes, `FileTooLarge` and
    `dest` removed."""
    stated = response.headers.get("content-length", "")
    try:
        if limit is not None and stated.isdigit() and int(stated) > limit:
            raise FileTooLarge(f"the file is over {limit} bytes", endpoint="download")
        written = 0
        with dest.open("wb") as out:
            async for chunk in response.aiter_bytes(_CHUNK):
                written += len(chunk)
                if limit is not None and written > limit:
                    raise FileTooLarge(f"the file is over {limit} bytes", endpoint="download")
                out.write(chunk)
    except FileTooLarge:
        dest.unlink(missing_ok=True)
        raise
