"""The composition root: every long-lived resource is created here, under `async with`."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from adapters.console_adapter import ConsoleChat, ConsoleOutbox
from bot.config import Settings
from bot.core.budget import shared_budget
from bot.core.engine import Engine
from bot.lifecycle import Adapter, serve_adapters, stop_on_signals
from bot.logs import log_to_file
from bot.nemo import ClientConfig, NemoClient, make_http_client
from bot.nemo.errors import NemoError
from bot.ops.metrics import Metrics
from bot.ops.server import serving_ops
from storage import open_store

__all__ = [
    "Runtime",
    "client_config",
    "database_path",
    "open_runtime",
    "run_console",
    "run_platforms",
]

log = logging.getLogger(__name__)

# With the built-in sandbox a newcomer should see the MP4 within a minute.
_SANDBOX_POLL_SECONDS = 2.0


def client_config(settings: Settings) -> ClientConfig:
    """How the NemoVideo client reaches and paces the backend, from the settings."""
    return ClientConfig(
        base_url=settings.api_base,
        skill_version=settings.skill_version,
        skill_platform=settings.skill_platform,
        retry_after_seconds=settings.retry_after_seconds,
        sse_timeout_seconds=settings.sse_timeout_seconds,
        sse_idle_seconds=settings.sse_idle_seconds,
    )


@dataclass(frozen=True, slots=True)
class Runtime:
    """What one bot process shares: settings as used, the HTTP client, the engine, metrics."""

    settings: Settings
    http: httpx.AsyncClient
    engine: Engine
    metrics: Metrics


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Store, HTTP client, NemoVideo client and engine; the sandbox too when no backend is set."""
    async with AsyncExitStack() as stack:
        if settings.wants_sandbox:
            from sandbox import run_sandbox  # only the offline mode needs the sandbox

            running = await stack.enter_async_context(run_sandbox())
            settings = _with_sandbox(settings, running.url)
            log.info(
                "no NEMO_TOKEN or NEMO_API_BASE: using the built-in sandbox at %s", running.url
            )
        store = await open_store(settings.database)
        stack.push_async_callback(store.close)
        http = await stack.enter_async_context(make_http_client())
        metrics = Metrics()

        def count(error: NemoError) -> None:
            metrics.backend_error(error.label)

        nemo = NemoClient(http, client_config(settings), on_error=count)
        engine = Engine(store, nemo, settings, observer=metrics, budget=shared_budget(store))
        stack.push_async_callback(engine.stop)
        yield Runtime(settings, http, engine, metrics)


def _serving_ops(
    runtime: Runtime, platforms: tuple[str, ...]
) -> AbstractAsyncContextManager[str | None]:
    settings = runtime.settings
    return serving_ops(
        runtime.engine,
        runtime.metrics,
        platforms,
        host=settings.metrics_host,
        port=settings.metrics_port,
    )


def database_path(settings: Settings) -> Path:
    """The SQLite file the bot uses with these settings (unused with PostgreSQL)."""
    if settings.wants_sandbox and settings.db_path == Settings().db_path:
        # Sandbox accounts are meaningless to the real API: keep them apart.
        return settings.db_path.with_name("nemobot-sandbox.db")
    return settings.db_path


def _with_sandbox(settings: Settings, url: str) -> Settings:
    poll = settings.render_poll_seconds
    if poll == Settings().render_poll_seconds:
        poll = _SANDBOX_POLL_SECONDS
    return replace(
        settings, nemo_api_base=url, render_poll_seconds=poll, db_path=database_path(settings)
    )


async def run_console(settings: Settings, user_id: str, out_dir: Path) -> int:
    """The console chat until EOF; returns the exit code."""
    async with open_runtime(settings) as runtime, _serving_ops(runtime, ("console",)):
        outbox = ConsoleOutbox(out_dir)
        runtime.engine.connect(outbox)
        await runtime.engine.start()
        interactive = sys.stdin.isatty()
        if interactive:
            print("nemobot console — type a message, /help, or Ctrl-D to quit.", flush=True)
        if sys.stderr.isatty():  # the chat's own terminal: keep log lines out of the chat
            log_to_file(out_dir / "nemobot.log")
            print(f"(the log goes to {out_dir / 'nemobot.log'})", file=sys.stderr, flush=True)
        chat = ConsoleChat(runtime.engine, user_id, outbox=outbox)
        return await chat.run(interactive=interactive)


async def run_platforms(settings: Settings) -> int:
    """Every platform whose token is set, in one process, until SIGTERM/SIGINT."""
    stop = asyncio.Event()
    stop_on_signals(stop)
    async with open_runtime(settings) as runtime:
        try:
            adapters = _adapters(runtime)
        except ModuleNotFoundError as exc:
            log.error("this build has no adapter for a configured platform (%s)", exc.name)
            return 2
        async with _serving_ops(runtime, settings.platforms):
            return await serve_adapters(runtime.engine, adapters, stop)


def _adapters(runtime: Runtime) -> list[Adapter]:
    found: list[Adapter] = []
    settings = runtime.settings
    if settings.telegram_token:
        from adapters.telegram_adapter import TelegramAdapter

        found.append(TelegramAdapter(settings))
    if settings.discord_token:
        from adapters.discord_adapter import DiscordAdapter

        found.append(DiscordAdapter(settings))
    return found
