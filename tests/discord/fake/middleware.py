"""The aiohttp middleware every fake REST request passes through."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Awaitable, Callable

from aiohttp import web

from tests.discord.fake.bodies import read_json
from tests.discord.fake.core import FakeCore, rate_limit_error, rate_limit_headers
from tests.discord.fake.errors import NOT_FOUND_BODY, ApiError, json_response
from tests.discord.fake.limits import RateDecision
from tests.discord.fake.records import AuthKind, Fault, RateLimitHit, RecordedRequest
from tests.discord.fake.rest_messages import API, RATELIMIT, RECORD

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]
GENERIC_LIMIT = RateDecision(True, 50, 49, 1.0)
DRAIN_CHUNK = 1024 * 1024


class RequestPipeline:
    """Wraps every handler: the fake's bookkeeping and Discord's generic answers."""

    def __init__(self, core: FakeCore) -> None:
        self.core = core

    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record, inject faults, authorize, answer errors Discord's way, add rate-limit headers."""
        if request.path == "/gateway":
            return await handler(request)
        path = request.path[len(API) :] if request.path.startswith(API) else request.path
        record = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            time=self.core.now(),
            auth=self._auth_kind(request),
        )
        self.core.requests.append(record)
        request[RECORD] = record
        response = await self._answer(request, handler, record)
        record.status = response.status
        await _drain(request)
        self.core.changed()
        return response

    async def _answer(
        self, request: web.Request, handler: Handler, record: RecordedRequest
    ) -> web.StreamResponse:
        is_api = request.path.startswith(API)
        try:
            if request.content_type == "application/json":
                record.json = await read_json(request)
            injected = self._take_fault(request, record)
            if injected is not None:
                return injected
            routed = request.match_info.http_exception is None
            if is_api and routed and _needs_bot_auth(record.path) and record.auth != "bot":
                raise ApiError(401, "401: Unauthorized", 0)
            response = await handler(request)
        except ApiError as error:
            record.error_code = error.code
            response = error.response()
        except web.HTTPNotFound:
            response = json_response(NOT_FOUND_BODY, status=404)
        except web.HTTPMethodNotAllowed:
            response = json_response({"message": "405: Method Not Allowed", "code": 0}, status=405)
        except Exception as error:
            # A bug in the fake: answer 400 (discord.py would retry a 5xx for ~25 s) and record it.
            self.core.internal_error(error)
            body = {"message": f"fake Discord internal error: {error!r}", "code": -1}
            response = json_response(body, status=400)
        if is_api and not response.prepared and response.status != 429:
            response.headers.update(self._limit_headers(request))
        return response

    def _auth_kind(self, request: web.Request) -> AuthKind:
        header = request.headers.get("Authorization")
        if header is None:
            return "none"
        return "bot" if header == f"Bot {self.core.options.token}" else "wrong"

    def _limit_headers(self, request: web.Request) -> dict[str, str]:
        counted = request.get(RATELIMIT)
        if counted is not None:
            decision, bucket = counted
            return rate_limit_headers(decision, bucket)
        route = request.match_info.route.resource
        if route is None:
            return {}
        key = f"{request.method} {route.canonical}".encode()
        return rate_limit_headers(GENERIC_LIMIT, hashlib.sha1(key).hexdigest()[:16])

    def _take_fault(self, request: web.Request, record: RecordedRequest) -> web.Response | None:
        for fault in self.core.faults:
            method_ok = fault.method in ("*", request.method)
            target = request.path if fault.path_prefix.startswith("/api/") else record.path
            if not method_ok or not target.startswith(fault.path_prefix):
                continue
            fault.times -= 1
            if fault.times <= 0:
                self.core.faults.remove(fault)
            return self._fault_response(fault, record)
        return None

    def _fault_response(self, fault: Fault, record: RecordedRequest) -> web.Response:
        if fault.status == 429:
            error = rate_limit_error(self.core.options.retry_after, 1, "f4ke0000injected")
            body = fault.body if fault.body is not None else error.body
            retry_after = float(body.get("retry_after", self.core.options.retry_after))
            self.core.rate_limited.append(
                RateLimitHit(record.method, record.path, None, retry_after, self.core.now(), True)
            )
            headers = {**error.headers, **fault.headers}
        else:
            body = (
                fault.body
                if fault.body is not None
                else {"message": f"{fault.status}: Injected failure", "code": 0}
            )
            headers = dict(fault.headers)
        if isinstance(body, dict):
            record.error_code = body.get("code")
            return json_response(body, status=fault.status, headers=headers)
        return web.Response(text=str(body), status=fault.status, headers=headers)


def _needs_bot_auth(path: str) -> bool:
    """Interaction callbacks and webhook-token routes use the token in the URL instead."""
    parts = path.strip("/").split("/")
    if parts[0] == "interactions" or path in ("/gateway",):
        return False
    return not (parts[0] == "webhooks" and len(parts) >= 3)


async def _drain(request: web.Request) -> None:
    """Read what a handler left unread, so the client can finish sending its upload."""
    if request.body_exists and not request.content.at_eof():
        with contextlib.suppress(ConnectionError):
            async for _ in request.content.iter_chunked(DRAIN_CHUNK):
                pass


def fake_middleware(core: FakeCore) -> Middleware:
    """The aiohttp middleware of one fake."""
    pipeline = RequestPipeline(core)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        return await pipeline.handle(request, handler)

    return middleware
