"""`NemoClient`: the NemoVideo agent API over one shared `httpx.AsyncClient`.

One typed method per endpoint; building, sending and retrying a request is `Caller`'s job
(`bot.nemo.caller`), which every method goes through.
"""

from __future__ import annotations

import asyncio
import mimetypes
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.nemo import routes
from bot.nemo.caller import Auth, Caller, ClientConfig, read_whole
from bot.nemo.envelope import stream_refusal
from bot.nemo.errors import (
    NemoError,
    NemoProtocolError,
    NemoUnavailable,
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
from bot.nemo.stream import Stream

__all__ = ["NemoClient", "RenderIds", "Stream"]

_CHUNK = 64 * 1024


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
        self._caller = Caller(http, config, sleep=sleep, on_error=on_error)

    # -- account ----------------------------------------------------------------------------

    async def anonymous_token(self, client_id: str) -> AnonymousToken:
        """A free starter token for `client_id` (reuse the id on renewal)."""
        data = await self._caller.json(
            routes.ANONYMOUS_TOKEN, None, headers={"X-Client-Id": client_id}
        )
        return AnonymousToken.parse(data, routes.ANONYMOUS_TOKEN.name)

    async def create_session(self, auth: Auth, language: str = "en") -> NemoSession:
        """A new agent session (a new, empty project)."""
        body = {"task_name": "project", "language": language}
        data = await self._caller.json(routes.CREATE_SESSION, auth, json=body)
        return NemoSession.parse(data, routes.CREATE_SESSION.name)

    async def credits(self, auth: Auth) -> Credits:
        """The account's credit balance."""
        data = await self._caller.json(routes.CREDITS, auth)
        return Credits.parse(data, routes.CREDITS.name)

    async def state(self, auth: Auth, session_id: str) -> SessionState:
        """The session's draft and generated media."""
        path = routes.STATE.path(session_id=session_id)
        data = await self._caller.json(routes.STATE, auth, path=path)
        return SessionState.parse(data, routes.STATE.name)

    async def claim_token(self, auth: Auth, task_id: str, session_id: str) -> str:
        """A one-time token that lets the user open this project in the web editor."""
        body = {"task_id": task_id, "session_id": session_id}
        # Documented bare (`{"claim_token", "expires_in"}`); the usual envelope is accepted too.
        answer = await self._caller.json(routes.CLAIM_TOKEN, auth, json=body, render=True)
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
        response = await self._caller.call(auth, lambda: self._open_turn(auth, body, before_send))
        try:
            yield Stream(
                response,
                idle_seconds=self.config.sse_idle_seconds,
                limit_seconds=self.config.sse_timeout_seconds,
            )
        finally:
            await response.aclose()

    async def _open_turn(
        self,
        auth: Auth,
        body: Mapping[str, Any],
        before_send: Callable[[], Awaitable[object]] | None,
    ) -> httpx.Response:
        """One attempt: the response once it is an event stream, else its refusal raised."""
        endpoint = routes.RUN_SSE.name
        request = self.http.build_request(
            "POST",
            self._caller.url(routes.RUN_SSE.template),
            headers=self._caller.headers(auth, {"Accept": "text/event-stream"}),
            json=body,
            timeout=httpx.Timeout(10.0, read=self.config.sse_idle_seconds + 5.0),
        )
        if before_send is not None:
            await before_send()
        response = await self._caller.send(request, endpoint)
        content_type = response.headers.get("content-type", "")
        if response.status_code == 200 and content_type.startswith("text/event-stream"):
            return response
        # httpx-sse never checks the status: an error envelope must be read here.
        await read_whole(response, endpoint)
        raise stream_refusal(response, endpoint)

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
                return await self._caller.json_once(route, auth, endpoint_path, files=parts)

        data = await self._caller.call(auth, attempt)
        return UploadResult.parse(data, route.name)

    async def upload_urls(self, auth: Auth, session_id: str, urls: Sequence[str]) -> UploadResult:
        """Have the backend fetch media by URL. Never pass a URL that embeds a bot token."""
        for url in urls:
            extension = Path(urlsplit(url).path).suffix.lower().lstrip(".")
            if extension not in ACCEPTED_EXTENSIONS:
                raise UnsupportedFile(f"{url}: .{extension or '?'} files are not accepted")
        path = routes.UPLOAD.path(session_id=session_id)
        body = {"urls": list(urls), "source_type": "url"}
        data = await self._caller.json(routes.UPLOAD, auth, path=path, json=body)
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
        result = await self._caller.json(routes.RENDER_SUBMIT, auth, json=body, render=True)
        return RenderStatus.parse(result, render_id, routes.RENDER_SUBMIT.name)

    async def render_status(self, auth: Auth, render_id: str) -> RenderStatus:
        """Poll a render; transient failures are retried on the same id, never resubmitted."""
        path = routes.RENDER_STATUS.path(render_id=render_id)
        for attempt in range(self.config.poll_retries + 1):
            try:
                # A flat `{"success": false, "error": …}` here is the render failing, not the
                # poll: it becomes a failed status with the backend's reason.
                result = await self._caller.json(
                    routes.RENDER_STATUS, auth, path=path, render=True, refusal_is_answer=True
                )
                return RenderStatus.parse(result, render_id, routes.RENDER_STATUS.name)
            except NemoUnavailable:
                if attempt == self.config.poll_retries:
                    raise
                await self._caller.sleep(self.config.poll_retry_delay * (attempt + 1))
        raise AssertionError("unreachable")

    async def cancel_render(self, auth: Auth, render_id: str) -> None:
        """Ask the backend to stop a render."""
        path = routes.RENDER_CANCEL.path(render_id=render_id)
        await self._caller.json(routes.RENDER_CANCEL, auth, path=path, render=True)

    # -- downloads --------------------------------------------------------------------------

    async def download(
        self, url: str, dest: Path, *, auth: Auth | None = None, limit: int | None = None
    ) -> Path:
        """Stream `url` to `dest` (written to a temporary name first); past `limit` bytes
        the download stops with `FileTooLarge` and nothing is kept."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise NemoProtocolError(f"not a downloadable URL: {url!r}", endpoint="download")
        headers = self._caller.headers(auth) if auth else {}
        request = self.http.build_request("GET", url, headers=headers)
        response = await self._caller.send(request, "download")
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
        url = self._caller.url(routes.RENDER_DOWNLOAD.path(render_id=render_id))
        return await self.download(url, dest, auth=auth)


def _mime(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
