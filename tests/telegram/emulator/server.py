"""The aiohttp application: /bot<token>/<method> and /file/bot<token>/<path>."""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

# Importing the handler modules registers their methods.
from . import (  # noqa: F401
    errors,
    handlers_bot,
    handlers_inline,
    handlers_media,
    handlers_messages,
    payments,
)
from .errors import ApiError
from .models import ApiCall
from .options import TOKEN_RE
from .registry import lookup
from .request import read_params

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler

    from .emulator import BotApiEmulator
    from .request import Params

LOGGER = logging.getLogger(__name__)
MAX_PLAIN_BODY = 16 * 1024 * 1024


def build_app(emu: BotApiEmulator) -> web.Application:
    """The web application serving the emulated Bot API."""
    app = web.Application(client_max_size=MAX_PLAIN_BODY, middlewares=[_json_not_found])
    app.router.add_route("*", "/bot{token}/{method}", functools.partial(handle_method, emu))
    app.router.add_route("*", "/file/bot{token}/{path:.+}", functools.partial(handle_file, emu))
    return app


@web.middleware
async def _json_not_found(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return web.json_response(ApiError(404, errors.NOT_FOUND).body(), status=404)


def check_token(emu: BotApiEmulator, token: str) -> None:
    """Like the cloud: a malformed token is 404, a well-formed wrong one 401."""
    if token == emu.options.token:
        return
    if TOKEN_RE.match(token):
        raise ApiError(401, errors.UNAUTHORIZED)
    raise ApiError(404, errors.NOT_FOUND)


async def handle_method(emu: BotApiEmulator, request: web.Request) -> web.Response:
    """Run one Bot API method and record the call."""
    started = time.monotonic()
    entry = lookup(request.match_info["method"])
    name = entry[0] if entry else request.match_info["method"]
    params: Params | None = None
    try:
        check_token(emu, request.match_info["token"])
        params = await read_params(request, emu.options.max_upload_bytes)
        if entry is None:
            raise ApiError(404, errors.NOT_FOUND)
        gate = emu.gates.pop(name, None)
        if gate is not None:
            # Not carried out yet: a bot killed now never made this call.
            emu.gated.append(name)
            emu.notifier.notify()
            await gate.wait()
        fault = emu.faults.take(name)
        if fault is not None:
            raise fault
        body: dict[str, Any] = {"ok": True, "result": await entry[1](emu, params)}
        status = 200
        held = emu.holds.pop(name, None)
        if held is not None:
            # Done (the message is in the chat), but the answer waits: a bot killed now
            # never learns its send arrived.
            emu.notifier.notify()
            await held.wait()
    except ApiError as exc:
        status, body = exc.code, exc.body()
    except Exception as exc:
        LOGGER.exception("emulated %s failed", name)
        emu.internal_errors.append(exc)
        status, body = 500, ApiError(500, "Internal Server Error").body()
    emu.record_call(
        ApiCall(
            method=name,
            params=params.summary() if params is not None else {},
            time=started,
            status=status,
            description=body.get("description"),
            result=body.get("result"),
            duration=time.monotonic() - started,
        )
    )
    return web.json_response(body, status=status)


async def handle_file(emu: BotApiEmulator, request: web.Request) -> web.StreamResponse:
    """Serve a file by the file_path getFile returned."""
    try:
        check_token(emu, request.match_info["token"])
    except ApiError as exc:
        return web.json_response(exc.body(), status=exc.code)
    path = request.match_info["path"]
    stored = emu.files.by_download_path(path)
    if stored is None:
        return web.json_response(ApiError(404, errors.NOT_FOUND).body(), status=404)
    emu.downloads.append(path)
    emu.notifier.notify()
    content_type = stored.mime_type or "application/octet-stream"
    if stored.data is not None:
        return web.Response(body=stored.data, content_type=content_type)
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.content_length = stored.size
    await response.prepare(request)
    for chunk in stored.chunks():
        await response.write(chunk)
    await response.write_eof()
    return response
