"""Files known to the emulated server: uploads, user media, fabricated large files."""

from __future__ import annotations

import io
import mimetypes
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHUNK = 256 * 1024
# Real file_ids start with a type-dependent prefix; tests may rely on their look.
ID_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "thumbnail": "AAMCAgADGQEAAI",
}
FOLDER = {
    "photo": ("photos", ".jpg"),
    "document": ("documents", ""),
    "video": ("videos", ".mp4"),
    "audio": ("music", ".mp3"),
    "voice": ("voice", ".oga"),
    "animation": ("animations", ".mp4"),
    "thumbnail": ("thumbnails", ".jpg"),
}


@dataclass
class StoredFile:
    """One file the server holds; `data` None means `size` zero bytes produced on demand."""

    file_id: str
    file_unique_id: str
    kind: str
    size: int
    data: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    file_path: str | None = None
    source_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def read(self) -> bytes:
        """The whole content (zeros for a fabricated file)."""
        return self.data if self.data is not None else bytes(self.size)

    def chunks(self) -> Iterator[bytes]:
        """The content in chunks, without materialising a fabricated file."""
        if self.data is not None:
            yield self.data
            return
        remaining = self.size
        while remaining > 0:
            step = min(CHUNK, remaining)
            yield bytes(step)
            remaining -= step

    def photo_size(self) -> dict[str, Any]:
        """This file as a PhotoSize object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width or 0,
            "height": self.height or 0,
            "file_size": self.size,
        }


class FileStore:
    """Every file by file_id and (after getFile) by file_path."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._counter = 0
        self.local_dir: Path | None = None

    def add(
        self,
        kind: str,
        data: bytes | None = None,
        *,
        size: int | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        **fields: Any,
    ) -> StoredFile:
        """Store a new file; pass `data`, or only `size` for a fabricated zero-filled file."""
        if data is None and size is None:
            raise ValueError("pass data or size")
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        stored = StoredFile(
            file_id=ID_PREFIX.get(kind, "BQACAgIAAxkBAAI") + secrets.token_urlsafe(48),
            file_unique_id="AgAD" + secrets.token_urlsafe(9),
            kind=kind,
            size=len(data) if data is not None else int(size or 0),
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            **fields,
        )
        self.by_id[stored.file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """The file with this file_id, if any."""
        return self.by_id.get(file_id)

    def assign_path(self, stored: StoredFile) -> str:
        """Give the file a download path (relative, or absolute under local_dir)."""
        if stored.file_path is None:
            self._counter += 1
            folder, ext = FOLDER.get(stored.kind, ("documents", ""))
            if stored.file_name and Path(stored.file_name).suffix:
                ext = Path(stored.file_name).suffix
            relative = f"{folder}/file_{self._counter}{ext}"
            if self.local_dir is None:
                stored.file_path = relative
            else:
                stored.file_path = str(self._materialise(stored, relative))
            self.by_path[stored.file_path.lstrip("/")] = stored
        return stored.file_path

    def _materialise(self, stored: StoredFile, relative: str) -> Path:
        """Local mode: the file exists on disk, as telegram-bot-api --local leaves it."""
        assert self.local_dir is not None
        path = self.local_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            if stored.data is not None:
                handle.write(stored.data)
            else:
                handle.truncate(stored.size)  # sparse: no memory or disk for fabricated bytes
        return path

    def by_download_path(self, path: str) -> StoredFile | None:
        """The file served at /file/bot<token>/<path>."""
        return self.by_path.get(path.lstrip("/"))


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of an image Pillow can read, else None."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:  # pragma: no cover - pillow is a project dependency
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None
