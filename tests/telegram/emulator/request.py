"""Reading a Bot API request: query string, JSON, urlencoded or multipart/form-data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from . import errors
from .errors import ApiError

# Parameters whose value is a JSON object/array; in form data they arrive JSON-encoded.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "media",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "reaction",
        "message_ids",
        "results",
        "button",
        "prices",
    }
)
JSON_ERRORS = {
    "reply_markup": "can't parse reply keyboard markup JSON object",
    "entities": "can't parse entities JSON object",
    "caption_entities": "can't parse entities JSON object",
    "media": "can't parse media JSON object",
}
TRUE_STRINGS = ("true", "1", "yes", "on")
CHUNK = 256 * 1024


@dataclass
class UploadedPart:
    """A file part of a multipart request."""

    filename: str | None
    mime_type: str | None
    data: bytes

    def summary(self) -> dict[str, Any]:
        """How the part is shown in recorded calls."""
        return {"filename": self.filename, "size": len(self.data), "mime": self.mime_type}


class Params:
    """Typed access to request parameters, tolerant of form data's all-strings values."""

    def __init__(self, values: dict[str, Any], files: dict[str, UploadedPart]) -> None:
        self.values = values
        self.files = files

    def has(self, name: str) -> bool:
        """Whether the parameter was sent (as a value or as a file part)."""
        return name in self.values or name in self.files

    def string(self, name: str, default: str | None = None) -> str | None:
        """A string parameter."""
        value = self.values.get(name)
        return default if value is None else str(value)

    def integer(self, name: str, default: int | None = None) -> int | None:
        """An integer parameter; 400 when it is not a number."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            try:
                return int(float(value))
            except (TypeError, ValueError):
                raise errors.bad_request(f"invalid {name} specified") from None

    def number(self, name: str, default: float = 0.0) -> float:
        """A numeric parameter that may be fractional."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise errors.bad_request(f"invalid {name} specified") from None

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean parameter ("true"/"false" in form data)."""
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in TRUE_STRINGS

    def json(self, name: str) -> Any:
        """A JSON-typed parameter, already decoded."""
        return self.values.get(name)

    def file(self, name: str) -> UploadedPart | str | None:
        """A file parameter: an uploaded part (direct or attach://), or a file_id/URL string."""
        if name in self.files:
            return self.files[name]
        value = self.values.get(name)
        if value is None:
            return None
        return self.attached(str(value))

    def attached(self, value: str) -> UploadedPart | str:
        """Resolve "attach://<part>" to its part; other strings are file_ids or URLs."""
        if value.startswith("attach://"):
            part = self.files.get(value[len("attach://") :])
            if part is None:
                raise errors.bad_request("can't parse InputMedia: media not found")
            return part
        return value

    def summary(self) -> dict[str, Any]:
        """The parameters as recorded in calls (file contents replaced by a summary)."""
        shown = dict(self.values)
        shown.update({name: part.summary() for name, part in self.files.items()})
        return shown


def decode_json_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Decode JSON-typed fields that arrived as strings."""
    for name in JSON_FIELDS & values.keys():
        value = values[name]
        if isinstance(value, str):
            try:
                values[name] = json.loads(value)
            except ValueError:
                raise errors.bad_request(
                    JSON_ERRORS.get(name, f"can't parse {name} JSON object")
                ) from None
    return values


async def read_params(request: web.Request, max_upload: int) -> Params:
    """Parse the request's parameters from wherever the client put them."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedPart] = {}
    content_type = request.content_type
    if request.method == "POST" and request.body_exists:
        if content_type == "application/json":
            body = await request.read()
            try:
                decoded = json.loads(body) if body.strip() else {}
            except ValueError:
                raise errors.bad_request("can't parse JSON object") from None
            if not isinstance(decoded, dict):
                raise errors.bad_request("parameters must be a JSON object")
            values.update(decoded)
        elif content_type == "multipart/form-data":
            await _read_multipart(request, max_upload, values, files)
        else:
            form = await request.post()
            values.update({key: str(value) for key, value in form.items()})
    return Params(decode_json_fields(values), files)


async def _read_multipart(
    request: web.Request,
    max_upload: int,
    values: dict[str, Any],
    files: dict[str, UploadedPart],
) -> None:
    reader = await request.multipart()
    too_large = False
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        is_file = part.filename is not None or (
            part.headers.get("Content-Type", "text/plain").split(";")[0] != "text/plain"
        )
        if not is_file:
            values[part.name] = await part.text()
            continue
        data = await _read_part(part, max_upload)
        if data is None:
            too_large = True  # keep reading so the client sees our answer, not a reset
            continue
        mime = part.headers.get("Content-Type")
        files[part.name] = UploadedPart(part.filename, mime, data)
    if too_large:
        raise ApiError(413, errors.ENTITY_TOO_LARGE)


async def _read_part(part: BodyPartReader, max_upload: int) -> bytes | None:
    """The part's bytes, or None (drained) when it exceeds max_upload."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(CHUNK):
        size += len(chunk)
        if size > max_upload:
            chunks.clear()
        else:
            chunks.append(chunk)
    return None if size > max_upload else b"".join(chunks)
