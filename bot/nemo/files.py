"""What the backend accepts for upload, checked before any byte is sent."""

from __future__ import annotations

from pathlib import Path

import filetype

from bot.nemo.errors import FileTooLarge, UnsupportedFile

__all__ = ["ACCEPTED_EXTENSIONS", "MAX_UPLOAD_BYTES", "check_upload", "detected_extension"]

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


def detected_extension(path: Path) -> str | None:
    """The file type found in the file's first bytes (not its name), if recognised."""
    with path.open("rb") as file:
        head = file.read(_SNIFF_BYTES)
    kind = filetype.guess(head)
    return kind.extension if kind else _bare_audio(head)


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
