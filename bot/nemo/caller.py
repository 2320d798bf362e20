"""One request to NemoVideo: its headers, the contract's two retry rules, transport errors.

Every call goes through `Caller.call`: a 429 waits `retry_after_seconds` and retries once;
an auth failure (1001/1010/1011/401) asks the caller's token refresher for a new token and
retries once. Network failures are wrapped as `NemoUnavailable` in one place (`send`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from bot.nemo.envelope import unwrap
from bot.nemo.errors import NemoAuthError, NemoError, NemoUnavailable, RateLimited
from bot.nemo.routes import Route
from bot.nemo.transport import CappedTransport

__all__ = ["Auth", "Caller", "ClientConfig", "make_http_client", "read_whole"]

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


@dataclass(frozen=True, slots=True)
class Caller:
    """Builds, sends and retries the client's requests; knows no endpoint."""

    http: httpx.AsyncClient
    config: ClientConfig
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    on_error: Callable[[NemoError], None] | None = None  # told of every failed attempt

    def url(self, path: str) -> str:
        """The absolute URL of an API path."""
        return self.config.base_url.rstrip("/") + path

    def headers(self, auth: Auth | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The skill headers every request carries, the bearer token, and any `extra`."""
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

    async def call(self, auth: Auth | None, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run `attempt` with the contract's retries: 429 once, token refresh once."""
        waited = refreshed = False
        while True:
            try:
                return await attempt()
            except NemoError as exc:
                if self.on_error is not None:
                    self.on_error(exc)  # every failed attempt counts, retried or not
                if isinstance(exc, RateLimited) and not waited:
                    waited = True
                    log.info("rate limited; retrying in %.0f s", self.config.retry_after_seconds)
                    await self.sleep(self.config.retry_after_seconds)
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

    async def send(self, request: httpx.Request, endpoint: str) -> httpx.Response:
        """Send and wrap transport failures; the response body is streamed."""
        try:
            return await self.http.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise NemoUnavailable("the backend timed out", endpoint=endpoint) from exc
        except httpx.HTTPError as exc:
            raise NemoUnavailable("the backend is unreachable", endpoint=endpoint) from exc

    async def json(
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
        return await self.call(
            auth,
            lambda: self.json_once(
                route,
                auth,
                path,
                render=render,
                refusal_is_answer=refusal_is_answer,
                headers=headers,
                **kwargs,
            ),
        )

    async def json_once(
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
            self.url(path or route.template),
            headers=self.headers(auth, headers),
            **kwargs,
        )
        response = await self.send(request, route.name)
        await read_whole(response, route.name)
        return unwrap(response, route.name, render=render, refusal_is_answer=refusal_is_answer)


async def read_whole(response: httpx.Response, endpoint: str) -> None:
    """Read a streamed response's body and close it; a cut body means the backend failed."""
    try:
        await response.aread()
    except httpx.HTTPError as exc:
        raise NemoUnavailable("the response was cut", endpoint=endpoint) from exc
    finally:
        await response.aclose()
