"""Helpers for the client tests: the real `NemoClient` wired to a sandbox over loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from PIL import Image

from bot.nemo import Auth, ClientConfig, NemoClient, make_http_client
from bot.nemo.events import Event, KeepAlive, Text, TextDelta
from bot.nemo.models import RenderStatus
from sandbox import Faults, RunningSandbox, Sandbox, SandboxOptions, run_sandbox

FAST = SandboxOptions(keepalive_seconds=0.05, chunk_delay_seconds=0.0, image_seconds=1.0)
Recorded = tuple[str, str, dict[str, str]]


@dataclass
class Env:
    """One sandbox, one shared `httpx.AsyncClient` and a `NemoClient` on top of them."""

    running: RunningSandbox
    http: httpx.AsyncClient
    client: NemoClient

    @property
    def sandbox(self) -> Sandbox:
        """The sandbox's state and counters."""
        return self.running.sandbox

    @property
    def faults(self) -> Faults:
        """The sandbox's fault switches."""
        return self.running.sandbox.faults

    async def login(self, client_id: str = "client-1") -> tuple[Auth, str]:
        """An anonymous token (no refresher) and a fresh session id."""
        issued = await self.client.anonymous_token(client_id)
        auth = Auth(issued.token)
        session = await self.client.create_session(auth)
        return auth, session.session_id

    def requests(self, path_part: str = "", method: str | None = None) -> list[Recorded]:
        """Requests the sandbox saw whose path contains `path_part`."""
        return [
            r
            for r in self.sandbox.requests
            if path_part in r[1] and (method is None or r[0] == method)
        ]


def fast_config(base_url: str, **overrides: Any) -> ClientConfig:
    """A client configuration without waits between retries."""
    settings: dict[str, Any] = {"retry_after_seconds": 0, "poll_retry_delay": 0, **overrides}
    return ClientConfig(base_url=base_url, **settings)


@contextlib.asynccontextmanager
async def open_env(
    options: SandboxOptions | None = None,
    *,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    **config: Any,
) -> AsyncIterator[Env]:
    """Start a sandbox (fast options) and a client for it; `config` overrides `ClientConfig`."""
    async with run_sandbox(options or FAST) as running, make_http_client() as http:
        settings = fast_config(running.url, **config)
        client = NemoClient(http, settings, sleep=sleep or asyncio.sleep)
        yield Env(running, http, client)


@contextlib.asynccontextmanager
async def open_client(base_url: str, **config: Any) -> AsyncIterator[NemoClient]:
    """A client (with its own shared HTTP client) for a server that is not the sandbox."""
    async with make_http_client() as http:
        yield NemoClient(http, fast_config(base_url, **config))


EnvFactory = Callable[..., contextlib.AbstractAsyncContextManager[Env]]


def options(**overrides: Any) -> SandboxOptions:
    """The fast sandbox options with some fields changed."""
    return replace(FAST, **overrides)


def write_image(path: Path, size: tuple[int, int] = (64, 48), *, noise: bool = False) -> Path:
    """A real image file (format from the suffix); `noise` makes it hard to compress."""
    if noise:
        pixels = random.Random(7).randbytes(size[0] * size[1] * 3)
        image = Image.frombytes("RGB", size, pixels)
    else:
        image = Image.new("RGB", size, (200, 80, 40))
    image.save(path)
    return path


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Turn:
    """The events of one agent turn."""

    events: list[Event] = field(default_factory=list)

    def of(self, kind: type[Any]) -> list[Any]:
        """Events of one type, in order."""
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def news(self) -> list[Event]:
        """Everything but keep-alives."""
        return [e for e in self.events if not isinstance(e, KeepAlive)]

    @property
    def deltas_text(self) -> str:
        """The streamed chunks joined."""
        return "".join(e.text for e in self.of(TextDelta))

    @property
    def texts(self) -> list[str]:
        """The final texts."""
        return [e.text for e in self.of(Text)]


async def run_turn(
    env: Env, auth: Auth, session_id: str, text: str, turn: Turn | None = None
) -> Turn:
    """Send one message and collect every event (pass `turn` to keep events on errors)."""
    turn = turn if turn is not None else Turn()
    async with env.client.stream(auth, session_id, text) as stream:
        async for event in stream:
            turn.events.append(event)
    return turn


async def wait_render(
    env: Env, auth: Auth, render_id: str, *, polls: int = 150, every: float = 0.2
) -> RenderStatus:
    """Poll until the render finishes (the sleep only paces the polls)."""
    for _ in range(polls):
        status = await env.client.render_status(auth, render_id)
        if status.finished:
            return status
        await asyncio.sleep(every)
    raise AssertionError(f"render {render_id} did not finish after {polls} polls")


Reply = tuple[int, str, bytes]


@dataclass
class OddServer:
    """A loopback server answering each path with a fixed, possibly contract-breaking reply."""

    url: str
    replies: dict[str, Reply]


@contextlib.asynccontextmanager
async def odd_server(replies: Mapping[str, Reply]) -> AsyncIterator[OddServer]:
    """Serve `replies` (path → status, content type, body); `cut` bodies end the connection,
    `chunked` ones come without a Content-Length."""
    table = dict(replies)

    async def handle(request: web.Request) -> web.StreamResponse:
        status, content_type, body = table.get(request.path, (404, "text/plain", b"nothing"))
        if content_type == "cut":
            # Promise more bytes than are sent, then drop the connection mid-body.
            response = web.StreamResponse(
                status=status, headers={"Content-Type": "application/json"}
            )
            response.content_length = len(body) + 100
            await response.prepare(request)
            await response.write(body)
            assert request.transport is not None
            request.transport.close()
            return response
        if content_type == "chunked":  # no Content-Length: the size shows only as it comes
            response = web.StreamResponse(status=status)
            response.enable_chunked_encoding()
            await response.prepare(request)
            await response.write(body)
            await response.write_eof()
            return response
        return web.Response(status=status, body=body, content_type=content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield OddServer(f"http://127.0.0.1:{runner.addresses[0][1]}", table)
    finally:
        await runner.cleanup()
