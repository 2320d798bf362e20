"""`NemoClient`: the NemoVideo agent API over one shared `httpx.AsyncClient`.

Every call goes through `_call`, which applies the contract's two retry rules:
a 429 waits `retry_after_seconds` and retries once; an auth failure (1001/1010/1011/401)
asks the caller's token refresher for a new token and retries once. Network failures are
wrapped as `NemoUnavailable` in one place (`_send`).
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from bot.nemo import routes
from bot.nemo.envelope import stream_refusal, unwrap
from bot.nemo.errors import (
    NemoAuthError,
    NemoError,
    NemoProtocolError,
    NemoUnavailable,
    RateLimited,
    UnsupportedFile,
    error_for,
)
from bot.nemo.files import ACCEPTED_EXTENSIONS, check_upload, save_body
from bot.nemo.models import (
    AnonymousToken,
    Credits,
    NemoSession,
    RenderStatus,
    SessionState,
    UploadResult,
)
from bot.nemo.routes import Route
from bot.nemo.stream import Stream
from bot.nemo.transport import CappedTransport

__all__ = ["Auth", "ClientConfig", "NemoClient", "RenderIds", "Stream", "make_http_client"]

log = logging.getLogger(__name__)
T = TypeVar("T")

SKILL_SOURCE = "ai-image-free"


@dataclass(slots=True)
class Auth:
    """A user's token and, optionally, how to get a fresh one when it expires."""

    token: str
    refresh: Callable[[], Awaitable[str]] | None = None


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """How the client reaches and paces the backend."""

    base_url: str
    skill_version: str = "1.0.0"
    skill_platform: str = "unknown"
    retry_after_seconds: float = 30.0
    sse_timeout_seconds: float = 900.0
    sse_idle_seconds: float = 600.0
    poll_retries: int = 3
    poll_retry_delay: float = 2.0


def make_http_client(**kwargs: Any) -> httpx.AsyncClient:
    """The one shared HTTP client: short connect timeout, generous reads for media, and at
    most 150 agent turns plus 50 other requests in flight (the rest wait their turn)."""
    timeout = httpx.Timeout(connect=10.0, read=60.0, write=120.0, pool=30.0)
    kwargs.setdefault("transport", CappedTransport(streams=150, others=50))
    return httpx.AsyncClient(timeout=timeout, **kwargs)


class RenderIds:
    """Fresh render ids in the vendor's `render_<unix ms>` form, never repeated by one source."""

    def __init__(self, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self._clock_ns = clock_ns
        self._last_ms = 0

    def __call__(self) -> str:
        # Two exports in the same millisecond must not share an id (the second would conflict).
        self._last_ms = max(self._clock_ns() // 1_000_000, self._last_ms + 1)
        return f"render_{self._last_ms}"


class NemoClient:
    """Typed access to every NemoVideo endpoint; knows nothing about chats."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: ClientConfig,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_error: Callable[[NemoError], None] | None = None,
    ) -> None:
        self.http = http
        self.config = config
        self._sleep = sleep
        self._on_error = on_error

    # -- plumbing ---------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.config.base_url.rstrip("/") + path

    def _headers(self, auth: Auth | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {
            "X-Skill-Source": SKILL_SOURCE,
            "X-Skill-Version": self.config.skill_version,
            "X-Skill-Platform": self.config.skill_platform,
        }
        if auth is not None:
            headers["Authorization"] = f"Bearer {auth.token}"
        if extra:
            headers.update(extra)
        return headers

    async def _call(self, auth: Auth | None, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run `attempt` with the contract's retries: 429 once, token refresh once."""
        waited = refreshed = False
        while True:
            try:
                return await attempt()
            except NemoError as exc:
                if self._on_error is not None:
                    self._on_error(exc)  # every failed attempt counts, retried or not
                if isinstance(exc, RateLimited) and not waited:
                    waited = True
                    log.info("rate limited; retrying in %.0f s", self.config.retry_after_seconds)
                    await self._sleep(self.config.retry_after_seconds)
                elif (
                    isinstance(exc, NemoAuthError)
                    and not refreshed
                    and auth is not None
                    and auth.refresh is not None
                ):
                    refreshed = True
                    auth.token = await auth.refresh()
                else:
                    raise

    async def _send(self, request: httpx.Request, endpoint: str) -> httpx.Response:
        """Send and wrap transport failures; the response body is streamed."""
        try:
            return await self.http.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise NemoUnavailable("the backend timed out", endpoint=endpoint) from exc
        except httpx.HTTPError as exc:
            raise NemoUnavailable("the backend is unreachable", endpoint=endpoint) from exc

    async def _json(
        self,
        route: Route,
        auth: Auth | None,
        *,
        path: str | None = None,
        render: bool = False,
        refusal_is_answer: bool = False,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Mapping[str, Any]:
        """One request with retries; returns the envelope's `data` (render: the whole body)."""
        return await self._call(
            auth,
            lambda: self._json_once(
                route,
                auth,
                path,
                render=render,
                refusal_is_answer=refusal_is_answer,
                headers=headers,
                **kwargs,
            ),
        )

    async def _json_once(
        self,
        route: Route,
        auth: Auth | None,
        path: str | None,
        *,
        render: bool = False,
        refusal_is_answer: bool = False,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Mapping[str, Any]:
        """One attempt: send, read the whole body, check the envelope."""
        request = self.http.build_request(
            route.method,
            self._url(path or route.template),
            headers=self._headers(auth, headers),
            **kwargs,
        )
        response = await self._send(request, route.name)
        await _read_whole(response, route.name)
        return unwrap(response, route.name, render=render, refusal_is_answer=refusal_is_answer)

    # -- account ----------------------------------------------------------------------------

    async def anonymous_token(self, client_id: str) -> AnonymousToken:
        """A free starter token for `client_id` (reuse the id on renewal)."""
        data = await self._json(routes.ANONYMOUS_TOKEN, None, headers={"X-Client-Id": client_id})
        return AnonymousToken.parse(data, routes.ANONYMOUS_TOKEN.name)

    async def create_session(self, auth: Auth, language: str = "en") -> NemoSession:
        """A new agent session (a new, empty project)."""
        body = {"task_name": "project", "language": language}
        data = await self._json(routes.CREATE_SESSION, auth, json=body)
        return NemoSession.parse(data, routes.CREATE_SESSION.name)

    async def credits(self, auth: Auth) -> Credits:
        """The account's credit balance."""
        data = await self._json(routes.CREDITS, auth)
        return Credits.parse(data, routes.CREDITS.name)

    async def state(self, auth: Auth, session_id: str) -> SessionState:
        """The session's draft and generated media."""
        path = routes.STATE.path(session_id=session_id)
        data = await self._json(routes.STATE, auth, path=path)
        return SessionState.parse(data, routes.STATE.name)

    async def claim_token(self, auth: Auth, task_id: str, session_id: str) -> str:
        """A one-time token that lets the user open this project in the web editor."""
        body = {"task_id": task_id, "session_id": session_id}
        # Documented bare (`{"claim_token", "expires_in"}`); the usual envelope is accepted too.
        answer = await self._json(routes.CLAIM_TOKEN, auth, json=body, render=True)
        data = answer.get("data", answer)
        token = data.get("claim_token") if isinstance(data, Mapping) else None
        if not isinstance(token, str) or not token:
            raise NemoProtocolError(
                "response lacks 'claim_token'", endpoint=routes.CLAIM_TOKEN.name
            )
        return token

    # -- the agent --------------------------------------------------------------------------

    @asynccontextmanager
    async def stream(
        self,
        auth: Auth,
        session_id: str,
        text: str,
        *,
        before_send: Callable[[], Awaitable[object]] | None = None,
    ) -> AsyncIterator[Stream]:
        """Send `text` to the agent; yields a `Stream` of typed events until the turn ends.

        `before_send` runs right before each attempt's request leaves, after everything else
        is ready: what it records ("this may reach the agent") is as late as it can be.
        """
        body = {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": session_id,
            "new_message": {"parts": [{"text": text}]},
        }
        endpoint = routes.RUN_SSE.name

        async def attempt() -> httpx.Response:
            request = self.http.build_request(
                "POST",
                self._url(routes.RUN_SSE.template),
                headers=self._headers(auth, {"Accept": "text/event-stream"}),
                json=body,
                timeout=httpx.Timeout(10.0, read=self.config.sse_idle_seconds + 5.0),
            )
            if before_send is not None:
                await before_send()
            response = await self._send(request, endpoint)
            content_type = response.headers.get("content-type", "")
            if response.status_code == 200 and content_type.startswith("text/event-stream"):
                return response
            # httpx-sse never checks the status: an error envelope must be read here.
            await _read_whole(response, endpoint)
            raise stream_refusal(response, endpoint)

        response = await self._call(auth, attempt)
        try:
            yield Stream(
                response,
                idle_seconds=self.config.sse_idle_seconds,
                limit_seconds=self.config.sse_timeout_seconds,
            )
        finally:
            await response.aclose()

    # -- uploads ----------------------------------------------------------------------------

    async def upload_files(
        self, auth: Auth, session_id: str, files: Sequence[tuple[Path, str]]
    ) -> UploadResult:
        """Upload local files (path, display name) together, streamed as multipart."""
        for path, name in files:
            check_upload(path, name)
        route = routes.UPLOAD
        endpoint_path = route.path(session_id=session_id)

        async def attempt() -> Mapping[str, Any]:
            with ExitStack() as opened:
                parts = [
                    ("files", (name, opened.enter_context(path.open("rb")), _mime(name)))
                    for path, name in files
                ]
                return await self._json_once(route, auth, endpoint_path, files=parts)

        data = await self._call(auth, attempt)
        return UploadResult.parse(data, route.name)

    async def upload_urls(self, auth: Auth, session_id: str, urls: Sequence[str]) -> UploadResult:
        """Have the backend fetch media by URL. Never pass a URL that embeds a bot token."""
        for url in urls:
            extension = Path(urlsplit(url).path).suffix.lower().lstrip(".")
            if extension not in ACCEPTED_EXTENSIONS:
                raise UnsupportedFile(f"{url}: .{extension or '?'} files are not accepted")
        path = routes.UPLOAD.path(session_id=session_id)
        body = {"urls": list(urls), "source_type": "url"}
        data = await self._json(routes.UPLOAD, auth, path=path, json=body)
        return UploadResult.parse(data, routes.UPLOAD.name)

    # -- render -----------------------------------------------------------------------------

    async def submit_render(
        self, auth: Auth, session_id: str, draft: Mapping[str, Any], render_id: str
    ) -> RenderStatus:
        """Submit one render. Not retried on network errors: poll the id to find out."""
        body = {
            "id": render_id,
            "sessionId": session_id,
            "draft": draft,
            "output": {"format": "mp4", "quality": "high", "resolution": "1080p"},
        }
        result = await self._json(routes.RENDER_SUBMIT, auth, json=body, render=True)
        return RenderStatus.parse(result, render_id, routes.RENDER_SUBMIT.name)

    async def render_status(self, auth: Auth, render_id: str) -> RenderStatus:
        """Poll a render; transient failures are retried on the same id, never resubmitted."""
        path = routes.RENDER_STATUS.path(render_id=render_id)
        for attempt in range(self.config.poll_retries + 1):
            try:
                # A flat `{"success": false, "error": …}` here is the render failing, not the
                # poll: it becomes a failed status with the backend's reason.
                result = await self._json(
                    routes.RENDER_STATUS, auth, path=path, render=True, refusal_is_answer=True
                )
                return RenderStatus.parse(result, render_id, routes.RENDER_STATUS.name)
            except NemoUnavailable:
                if attempt == self.config.poll_retries:
                    raise
                await self._sleep(self.config.poll_retry_delay * (attempt + 1))
        raise AssertionError("unreachable")

    async def cancel_render(self, auth: Auth, render_id: str) -> None:
        """Ask the backend to stop a render."""
        path = routes.RENDER_CANCEL.path(render_id=render_id)
        await self._json(routes.RENDER_CANCEL, auth, path=path, render=True)

    # -- downloads --------------------------------------------------------------------------

    async def download(
        self, url: str, dest: Path, *, auth: Auth | None = None, limit: int | None = None
    ) -> Path:
        """Stream `url` to `dest` (written to a temporary name first); past `limit` bytes
        the download stops with `FileTooLarge` and nothing is kept."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise NemoProtocolError(f"not a downloadable URL: {url!r}", endpoint="download")
        headers = self._headers(auth) if auth else {}
        request = self.http.build_request("GET", url, headers=headers)
        response = await self._send(request, "download")
        partial = dest.with_name(dest.name + ".part")
        try:
            if response.status_code >= 400:
                raise error_for(response.status_code, None, "download")
            await save_body(response, partial, limit)
        except httpx.HTTPError as exc:
            partial.unlink(missing_ok=True)
            raise NemoUnavailable("the download was cut", endpoint="download") from exc
        finally:
            await response.aclose()
        partial.replace(dest)
        return dest

    async def download_render(self, auth: Auth, render_id: str, dest: Path) -> Path:
        """The authenticated fallback download of a finished render."""
        url = self._url(routes.RENDER_DOWNLOAD.path(render_id=render_id))
        return await self.download(url, dest, auth=auth)


async def _read_whole(response: httpx.Response, endpoint: str) -> None:
    """Read a streamed response's body and close it; a cut body means the backend failed."""
    try:
        await response.aread()
    except httpx.HTTPError as exc:
        raise NemoUnavailable("the response was cut", endpoint=endpoint) from exc
    finally:
        await response.aclose()


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
