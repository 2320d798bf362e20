"""Small helpers shared by the request handlers."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import api_error
from .state import Sandbox

SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox", Sandbox)


def base_url(request: web.Request) -> str:
    """Scheme and host the client used to reach the sandbox."""
    return f"{request.scheme}://{request.host}"


def ok(data: Any, status: int = 200) -> web.Response:
    """The `{"code": 0, "data": …}` success envelope."""
    return web.json_response({"code": 0, "message": "success", "data": data}, status=status)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object ({} when empty), or a 400 error."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise api_error(400, 400, "invalid JSON body") from exc
    if not isinstance(body, dict):
        raise api_error(400, 400, "JSON body must be an object")
    return body
