"""Media objects (PhotoSize arrays, Video, Document, ...) and input-file resolution."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

import aiohttp

from . import errors
from .errors import ApiError
from .files import FileStore, StoredFile, image_size
from .request import UploadedPart

if TYPE_CHECKING:
    from .options import EmulatorOptions

DEFAULT_MIME = {
    "video": "video/mp4",
    "animation": "video/mp4",
    "audio": "audio/mpeg",
    "voice": "audio/ogg",
    "document": "application/octet-stream",
}
DEFAULT_PHOTO_DIMS = (1280, 960)
DEFAULT_THUMB_DIMS = (320, 180)
MAX_PHOTO_BY_URL = 5 * 1024 * 1024  # the Bot API fetches photos of at most 5 MB by URL
MEDIA_KINDS = ("photo", "video", "animation", "audio", "voice", "document")


@dataclass
class MediaInfo:
    """Optional metadata of a media file, from request parameters or test arguments."""

    width: int | None = None
    height: int | None = None
    duration: int | None = None
    performer: str | None = None
    title: str | None = None


def photo_sizes(store: FileStore, original: StoredFile) -> list[StoredFile]:
    """Three PhotoSizes (≤90 px, ≤320 px, original) strictly growing where possible."""
    width, height = original.width or 1, original.height or 1
    sizes: list[StoredFile] = []
    for index, (side, share) in enumerate(((90, 16), (320, 4))):
        scale = min(1.0, side / max(width, height))
        sizes.append(
            store.add(
                "photo",
                size=max(1, min(original.size - 2 + index, original.size // share)),
                width=max(1, min(width - 2 + index, round(width * scale))),
                height=max(1, min(height - 2 + index, round(height * scale))),
            )
        )
    return [*sizes, original]


def store_photo(
    store: FileStore, options: EmulatorOptions, data: bytes | None, size: int | None = None
) -> StoredFile:
    """Store an uploaded photo with its real dimensions when Pillow can read it."""
    dims = image_size(data) if data is not None else None
    if dims is None and options.strict_photos:
        raise errors.bad_request("IMAGE_PROCESS_FAILED")
    if dims is not None and options.strict_photos and (sum(dims) > 10000):
        raise errors.bad_request("PHOTO_INVALID_DIMENSIONS")
    width, height = dims or DEFAULT_PHOTO_DIMS
    return store.add("photo", data, size=size, width=width, height=height, mime_type=None)


def store_thumbnail(store: FileStore, part: UploadedPart) -> StoredFile:
    """Store a thumbnail upload (Telegram keeps at most 320 px)."""
    width, height = image_size(part.data) or DEFAULT_THUMB_DIMS
    scale = min(1.0, 320 / max(width, height, 1))
    return store.add(
        "thumbnail",
        part.data,
        width=max(1, round(width * scale)),
        height=max(1, round(height * scale)),
        mime_type=part.mime_type,
    )


def media_object(
    kind: str, stored: StoredFile, info: MediaInfo, thumbnail: StoredFile | None
) -> dict[str, Any]:
    """The Video/Audio/Document/... object of a message (not for photos)."""
    media: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    if kind in ("video", "animation"):
        media["width"] = info.width if info.width is not None else stored.width or 0
        media["height"] = info.height if info.height is not None else stored.height or 0
    if kind in ("video", "animation", "audio", "voice"):
        media["duration"] = info.duration if info.duration is not None else stored.duration or 0
    if kind == "audio":
        media.update({k: v for k, v in (("performer", info.performer), ("title", info.title)) if v})
    if stored.file_name and kind != "voice":
        media["file_name"] = stored.file_name
    generic = stored.mime_type in (None, "application/octet-stream")
    # Telegram sniffs the content; PTB labels unnamed bytes application/octet-stream.
    media["mime_type"] = DEFAULT_MIME[kind] if generic else stored.mime_type
    media["file_size"] = stored.size
    if thumbnail is not None and kind != "voice":
        media["thumbnail"] = thumbnail.photo_size()
    return media


async def resolve_input(
    store: FileStore,
    options: EmulatorOptions,
    source: UploadedPart | str | None,
    kind: str,
) -> StoredFile:
    """The file a send* method refers to: a new upload, an existing file_id, or a URL."""
    if source is None or source == "":
        raise errors.bad_request(f"there is no {kind} in the request")
    if isinstance(source, UploadedPart):
        if kind == "photo":
            return store_photo(store, options, source.data)
        return store.add(kind, source.data, file_name=source.filename, mime_type=source.mime_type)
    if source.startswith(("http://", "https://")):
        data = await fetch_url(source)
        if kind == "photo":
            if len(data) > MAX_PHOTO_BY_URL:
                raise ApiError(400, errors.URL_FETCH_FAILED)
            return store_photo(store, options, data)
        name = PurePosixPath(source.split("?")[0]).name or None
        return store.add(kind, data, file_name=name, source_url=source)
    stored = store.get(source)
    if stored is None:
        raise ApiError(400, errors.WRONG_FILE_ID)
    if stored.kind != kind and kind != "document":
        raise errors.bad_request(
            f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
        )
    return stored


async def fetch_url(url: str) -> bytes:
    """Download a URL the bot asked Telegram to fetch (loopback servers in tests)."""
    timeout = aiohttp.ClientTimeout(total=5)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
            if response.status != 200:
                raise ApiError(400, errors.URL_FETCH_FAILED)
            return await response.read()
    except (aiohttp.ClientError, TimeoutError):
        raise ApiError(400, errors.URL_FETCH_FAILED) from None
