"""Request bodies: JSON, or multipart with payload_json and files[n]."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from tests.discord.fake.errors import ApiError
from tests.discord.fake.records import RecordedRequest, UploadedFile

CHUNK = 256 * 1024


def invalid_json() -> ApiError:
    """Discord's answer to a body that is not JSON."""
    return ApiError(400, "The request body contains invalid JSON.", 50109)


@dataclass
class MessageBody:
    """A message-shaped request: its JSON payload and uploaded files."""

    payload: dict[str, Any]
    files: list[UploadedFile] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        """The bytes of all uploaded files together."""
        return sum(f.size for f in self.files)


async def read_json(request: web.Request) -> Any:
    """The JSON body, or None when there is none."""
    raw = await request.read()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise invalid_json() from exc


async def read_message_body(
    request: web.Request, record: RecordedRequest, *, keep_up_to: int
) -> MessageBody:
    """Parse a message body; file bytes are kept only while the total is within keep_up_to."""
    if request.content_type.startswith("multipart/"):
        body = await _read_multipart(request, keep_up_to)
        record.json = body.payload
        record.files = [(f.filename, f.size) for f in body.files]
        return body
    payload = await read_json(request)
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise ApiError(
            400,
            "Invalid Form Body",
            50035,
            {
                "_errors": [
                    {"code": "DICT_TYPE_CONVERT", "message": "Only dictionaries may be used."}
                ]
            },
        )
    return MessageBody(payload)


async def _read_multipart(request: web.Request, keep_up_to: int) -> MessageBody:
    reader = await request.multipart()
    payload: dict[str, Any] = {}
    files: list[UploadedFile] = []
    total = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "payload_json":
            try:
                payload = json.loads(await part.text())
            except ValueError as exc:
                raise invalid_json() from exc
            continue
        upload = await _read_file(part, keep_budget=keep_up_to - total)
        total += upload.size
        files.append(upload)
    _apply_attachment_names(payload, files)
    return MessageBody(payload, files)


async def _read_file(part: BodyPartReader, *, keep_budget: int) -> UploadedFile:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size <= keep_budget:
            chunks.append(chunk)
    data = b"".join(chunks) if size <= keep_budget else None
    return UploadedFile(
        field=part.name or "",
        filename=part.filename or "blob",
        content_type=part.headers.get("Content-Type"),
        size=size,
        data=data,
    )


def _apply_attachment_names(payload: dict[str, Any], files: list[UploadedFile]) -> None:
    """payload.attachments[{"id": n, "filename": ...}] names the upload in files[n]."""
    by_field = {f.field: f for f in files}
    for entry in payload.get("attachments") or []:
        upload = by_field.get(f"files[{entry.get('id')}]")
        if upload is not None and entry.get("filename"):
            upload.filename = entry["filename"]
