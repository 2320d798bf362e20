"""The aiohttp application, an in-process runner for tests, and a blocking `serve()`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from . import admin, render_routes, routes
from .common import SANDBOX
from .errors import ApiError
from .options import SandboxOptions
from .state import SELECTED_HEADERS, Sandbox

STREAMS: web.AppKey[set[asyncio.Task[object]]] = web.AppKey("streams", set)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FILE_PREFIXES = ("/media/", "/renders/")


@web.middleware
async def sandbox_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record the request, inject faults, and render errors in the vendor's JSON shapes."""
    sandbox = request.app[SANDBOX]
    path = request.path
    if not path.startswith("/_sandbox/"):
        headers = {h: request.headers[h] for h in SELECTED_HEADERS if h in request.headers}
        sandbox.requests.append((request.method, path, headers))
        if sandbox.faults.delay_path and path.startswith(sandbox.faults.delay_path):
            await asyncio.sleep(sandbox.faults.delay_path_seconds)
        if not path.startswith(FILE_PREFIXES):
            sandbox.apply_fault_actions()
            if sandbox.faults.down:
                return web.Response(status=503, text="503 Service Unavailable: backend down")
            if sandbox.faults.delay_seconds > 0:
                await asyncio.sleep(sandbox.faults.delay_seconds)
            if sandbox.faults.rate_limit_always or sandbox.faults.take("rate_limit_once"):
                body = {"code": 429, "message": "rate limited"}
                return web.json_response(body, status=429, headers={"Retry-After": "1"})
    task = asyncio.current_task()
    streams = request.app[STREAMS]
    if task is not None and path == "/run_sse":
        streams.add(task)
    try:
        return await handler(request)
    except ApiError as exc:
        return web.json_response(exc.body, status=exc.status, headers=exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return web.json_response({"code": exc.status, "message": exc.reason}, status=exc.status)
    finally:
        streams.discard(task)  # type: ignore[arg-type]


def create_app(sandbox: Sandbox) -> web.Application:
    """An aiohttp application serving the NemoVideo contract from this sandbox's state."""
    app = web.Application(middlewares=[sandbox_middleware], client_max_size=16 * 1024 * 1024)
    app[SANDBOX] = sandbox
    app[STREAMS] = set()
    routes.add_routes(app)
    render_routes.add_routes(app)
    admin.add_routes(app)

    async def stop_streams(app: web.Application) -> None:
        for task in list(app[STREAMS]):
            task.cancel()

    async def stop_work(app: web.Application) -> None:
        sandbox.cancel_tasks()

    app.on_shutdown.append(stop_streams)
    app.on_cleanup.append(stop_work)
    return app


@dataclass(frozen=True)
class RunningSandbox:
    """A started sandbox: its base URL and its state."""

    url: str
    sandbox: Sandbox


@contextlib.asynccontextmanager
async def run_sandbox(
    options: SandboxOptions | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    access_log: bool = False,
) -> AsyncIterator[RunningSandbox]:
    """Serve a fresh sandbox on host:port (0: any free port) for the duration of the block."""
    sandbox = Sandbox(options)
    runner = web.AppRunner(
        create_app(sandbox),
        access_log=logging.getLogger("aiohttp.access") if access_log else None,
        shutdown_timeout=2.0,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        yield RunningSandbox(f"http://{_display_host(host)}:{bound_port}", sandbox)
    finally:
        await runner.cleanup()
        await sandbox.close()


def _display_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def serve(host: str, port: int, options: SandboxOptions | None = None) -> None:
    """Run a sandbox until Ctrl-C or SIGTERM, printing one line with its URL.

    Either signal ends it the same way: renders are stopped and its data folder removed.
    """

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with run_sandbox(options, host, port, access_log=True) as running:
            print(f"NemoVideo sandbox running at {running.url} (Ctrl-C to stop)", flush=True)
            await stop.wait()

    asyncio.run(main())
