"""`POST /api/upload-video/...`: multipart files or URLs become media on the timeline."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
from aiohttp import web

from . import draft as drafts
from .common import SANDBOX, base_url, ok, read_json
from .errors import api_error
from .images import read_size
from .probe import probe
from .state import Sandbox, Session

ACCEPTED = {
    **dict.fromkeys(("mp4", "mov", "avi", "webm", "mkv"), "video"),
    **dict.fromkeys(("jpg", "jpeg", "png", "gif", "webp"), "image"),
    **dict.fromkeys(("mp3", "wav", "m4a", "aac"), "audio"),
}
CHUNK = 256 * 1024


@dataclass
class Stored:
    """One received file in the media folder."""

    filename: str
    stored: str
    path: Path
    kind: str
    digest: str


def file_kind(filename: str) -> str:
    """'image', 'video' or 'audio' for an accepted name, else a 4001 error."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in ACCEPTED:
        accepted = " ".join(ACCEPTED)
        raise api_error(400, 4001, f"unsupported file type: .{ext or '?'} (accepted: {accepted})")
    return ACCEPTED[ext]


class Receiver:
    """Writes incoming files under a size cap, removing them all on failure."""

    def __init__(self, sandbox: Sandbox, session: Session) -> None:
        self.sandbox = sandbox
        self.session = session
        self.files: list[Stored] = []

    def open(self, filename: str) -> tuple[Stored, Any]:
        """Check the name and open a new media file for it."""
        name = Path(filename.replace("\\", "/")).name or "upload"
        kind = file_kind(name)
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[-80:]
        stored = f"{self.session.session_id}_{secrets.token_hex(4)}_{safe}"
        item = Stored(name, stored, self.sandbox.media_dir / stored, kind, "")
        self.files.append(item)
        return item, item.path.open("wb")

    async def write_all(self, item: Stored, handle: Any, chunks: Any) -> None:
        """Copy chunks into the file, stopping with 4002 once over the limit."""
        limit = self.sandbox.options.max_upload_bytes
        digest = hashlib.sha256()
        size = 0
        with handle:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise api_error(413, 4002, f"file too large (max {limit} bytes)")
                digest.update(chunk)
                handle.write(chunk)
        item.digest = digest.hexdigest()

    def discard(self) -> None:
        """Remove every file received so far."""
        for item in self.files:
            with contextlib.suppress(OSError):
                item.path.unlink()
        self.files.clear()


async def handle_upload(request: web.Request) -> web.Response:
    """Store uploaded or downloaded files and put them on the session's timeline."""
    sandbox = request.app[SANDBOX]
    token = sandbox.authenticate(request.headers.get("Authorization"))
    session = sandbox.session(request.match_info["sid"], token.user_id)
    receiver = Receiver(sandbox, session)
    try:
        if request.content_type.startswith("multipart/"):
            await _receive_multipart(request, receiver)
        else:
            await _receive_urls(await read_json(request), receiver)
    except BaseException:
        receiver.discard()
        raise
    if not receiver.files:
        raise api_error(
            400, 400, "no files in request (use multipart parts named 'files' or JSON urls)"
        )
    base = base_url(request)
    infos = [await _apply(sandbox, session, item, base) for item in receiver.files]
    return ok({"files": infos, "session_state_applied": True})


async def _receive_multipart(request: web.Request, receiver: Receiver) -> None:
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, aiohttp.BodyPartReader) or part.name != "files":
            continue
        item, handle = receiver.open(part.filename or "upload")

        async def chunks(part: aiohttp.BodyPartReader = part) -> Any:
            while chunk := await part.read_chunk(CHUNK):
                yield chunk

        await receiver.write_all(item, handle, chunks())


async def _receive_urls(body: dict[str, Any], receiver: Receiver) -> None:
    urls = body.get("urls")
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise api_error(400, 400, "urls must be a list of strings")
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as client:
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise api_error(400, 400, f"invalid url: {url}")
            name = unquote(parts.path.rsplit("/", 1)[-1]) or "download"
            file_kind(name)
            try:
                async with client.get(url) as response:
                    if response.status != 200:
                        raise api_error(400, 400, f"download failed with HTTP {response.status}")
                    limit = receiver.sandbox.options.max_upload_bytes
                    if (response.content_length or 0) > limit:
                        raise api_error(413, 4002, f"file too large (max {limit} bytes)")
                    item, handle = receiver.open(name)
                    await receiver.write_all(item, handle, response.content.iter_chunked(CHUNK))
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise api_error(400, 400, f"download failed: {exc.__class__.__name__}") from exc


async def _apply(sandbox: Sandbox, session: Session, item: Stored, base: str) -> dict[str, Any]:
    width = height = 0
    fps = 0.0
    duration = sandbox.options.image_seconds
    if item.kind == "image":
        size = await asyncio.to_thread(read_size, item.path)
        width, height = size or (0, 0)
    else:
        info = await probe(item.path)
        duration = info.duration or duration
        width, height, fps = info.width or 0, info.height or 0, info.fps or 0.0
    url = f"{base}/media/{item.stored}"
    src = f"/mnt/userdata/{session.session_id}/{item.stored}"
    if item.kind == "audio":
        seg_id = drafts.add_audio_file(session.draft, item.filename, src, url)
    else:
        seg_id = drafts.append_visual(session.draft, item.filename, src, url, item.kind, duration)
    info_out = {
        "filename": item.filename,
        "file_type": item.kind,
        "cdn_url": url,
        "duration": round(duration, 3),
        "width": width,
        "height": height,
        "fps": fps,
        "hash": item.digest,
    }
    session.video_infos.append({**info_out, "segment_id": seg_id, "src": src})
    return info_out
