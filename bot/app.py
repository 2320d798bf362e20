"""Wiring: every long-lived resource is created here, under `async with`, and passed down."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path

from adapters.console_adapter import PLATFORM, ConsoleChat, ConsoleOutbox
from bot.config import Settings
from bot.core.engine import Engine
from bot.nemo import ClientConfig, NemoClient, make_http_client
from storage import SqliteStore

__all__ = ["client_config", "open_engine", "run_console"]

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


@asynccontextmanager
async def open_engine(settings: Settings) -> AsyncIterator[Engine]:
    """Store, HTTP client, NemoVideo client and engine; the sandbox too when no backend is set."""
    async with AsyncExitStack() as stack:
        if settings.wants_sandbox:
            from sandbox import run_sandbox  # only the offline mode needs the sandbox

            running = await stack.enter_async_context(run_sandbox())
            poll = settings.render_poll_seconds
            if poll == Settings().render_poll_seconds:
                poll = _SANDBOX_POLL_SECONDS
            db_path = settings.db_path
            if db_path == Settings().db_path:
                # Sandbox accounts are meaningless to the real API: keep them apart.
                db_path = db_path.with_name("nemobot-sandbox.db")
            settings = replace(
                settings, nemo_api_base=running.url, render_poll_seconds=poll, db_path=db_path
            )
            log.info(
                "no NEMO_TOKEN or NEMO_API_BASE: using the built-in sandbox at %s", running.url
            )
        store = await SqliteStore.open(settings.db_path)
        stack.push_async_callback(store.close)
        http = await stack.enter_async_context(make_http_client())
        nemo = NemoClient(http, client_config(settings))
        engine = Engine(store, nemo, settings)
        stack.push_async_callback(engine.stop)
        yield engine


async def run_console(settings: Settings, user_id: str, out_dir: Path) -> int:
    """The console chat until EOF; returns the exit code."""
    async with open_engine(settings) as engine:
        engine.connect(PLATFORM, ConsoleOutbox(out_dir))
        await engine.start()
        interactive = sys.stdin.isatty()
        if interactive:
            print("nemobot console — type a message, /help, or Ctrl-D to quit.", flush=True)
        return await ConsoleChat(engine, user_id).run(interactive=interactive)
