"""The composition root: every long-lived resource is created here, under `async with`."""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from adapters.console_adapter import ConsoleChat, ConsoleOutbox
from bot.config import Settings
from bot.core.assembly import assemble
from bot.core.budget import shared_budget
from bot.core.context import Timing
from bot.core.engine import Engine
from bot.core.ports import Adapter
from bot.core.registry import Registry
from bot.lifecycle import serve_adapters, stop_on_signals
from bot.logs import log_to_file
from bot.nemo import ClientConfig, NemoClient, make_http_client
from bot.nemo.errors import NemoError
from bot.ops.metrics import Metrics
from bot.ops.server import serving_ops
from bot.wiring import client_config, engine_options, with_sandbox
from storage import Store, open_store

__all__ = ["PLATFORMS", "Platform", "Runtime", "open_runtime", "run_console", "run_platforms"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Platform:
    """A chat platform the root can start: its adapter, given its config from the settings."""

    name: str
    config: Callable[[Settings], object | None]  # None: not configured
    adapter: str  # "module:Class", imported only when configured


# Adding a platform: an adapter package, a config class in bot/config.py, one line here.
PLATFORMS: tuple[Platform, ...] = (
    Platform("telegram", lambda s: s.telegram, "adapters.telegram_adapter:TelegramAdapter"),
    Platform("discord", lambda s: s.discord, "adapters.discord_adapter:DiscordAdapter"),
)


@dataclass(frozen=True, slots=True)
class Runtime:
    """What one bot process shares: settings as used, the HTTP client, the engine, metrics."""

    settings: Settings
    http: httpx.AsyncClient
    nemo: NemoClient
    engine: Engine
    metrics: Metrics


# long: the composition root, one straight sequence: each part opened in turn, closed in reverse
@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    store: Store | None = None,
    http: httpx.AsyncClient | None = None,
    timing: Timing | None = None,
    worker_id: str = "",
    render_ids: Callable[[], str] | None = None,
    client: ClientConfig | None = None,
    registry: Registry | None = None,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[Runtime]:
    """Store, HTTP client, NemoVideo client and engine, each made here unless given (tests
    and benchmarks give some: a store they opened, a quicker timing, the day's clock); the
    sandbox too when no backend is set. A given store is the caller's to close."""
    async with AsyncExitStack() as stack:
        if settings.wants_sandbox:
            from sandbox import run_sandbox  # only the offline mode needs the sandbox

            running = await stack.enter_async_context(run_sandbox())
            settings = with_sandbox(settings, running.url)
            log.info(
                "no NEMO_TOKEN or NEMO_API_BASE: using the built-in sandbox at %s", running.url
            )
        if store is None:
            store = await open_store(settings.database)
            stack.push_async_callback(store.close)
        if http is None:
            http = await stack.enter_async_context(make_http_client())
        metrics = Metrics()
        config = client or client_config(settings)
        nemo = NemoClient(http, config, on_error=_counted(metrics))
        options = engine_options(settings, timing=timing, worker_id=worker_id)
        budget = shared_budget(store)
        engine = assemble(
            *(store, nemo, options),
            observer=metrics,
            render_ids=render_ids,
            budget=budget,
            registry=registry,
            clock=clock,
        )
        stack.push_async_callback(engine.stop)
        await engine.accept_apart()
        yield Runtime(settings, http, nemo, engine, metrics)


def _counted(metrics: Metrics) -> Callable[[NemoError], None]:
    def count(error: NemoError) -> None:
        metrics.backend_error(error.label)

    return count


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
    """An adapter for every configured platform."""
    found: list[Adapter] = []
    for platform in PLATFORMS:
        config = platform.config(runtime.settings)
        if config is not None:
            module, _, name = platform.adapter.partition(":")
            adapter_class = getattr(importlib.import_module(module), name)
            found.append(adapter_class(config))
    return found
