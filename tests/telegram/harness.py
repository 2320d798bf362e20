"""The real Telegram adapter (PTB) on a real engine, against the emulator and the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.telegram_adapter import TelegramAdapter
from adapters.tg.limits import DRAFT_REFRESH
from bot.app import open_runtime
from bot.config import Settings
from bot.core.context import Timing
from bot.core.engine import Engine
from bot.core.registry import Registry
from sandbox import RunningSandbox
from storage import SqliteStore, open_store
from tests.engine.harness import FAST
from tests.telegram.emulator import BotApiEmulator


@dataclass
class TelegramBot:
    """A running Telegram bot and what it talks to."""

    emu: BotApiEmulator
    sandbox: RunningSandbox
    engine: Engine
    store: SqliteStore
    settings: Settings


def settings_for(emu: BotApiEmulator, sandbox: RunningSandbox, **env: str) -> Settings:
    """Settings pointing the adapter at the emulator and the engine at the sandbox."""
    base = {
        "NEMO_API_BASE": sandbox.url,
        "NEMOBOT_RETRY_AFTER_SECONDS": "0",
        "TELEGRAM_BOT_TOKEN": emu.token,
        "TELEGRAM_API_BASE_URL": emu.url,
    }
    return Settings.from_env({**base, **env})


@asynccontextmanager
async def telegram_bot(
    tmp_path: Path,
    emu: BotApiEmulator,
    sandbox: RunningSandbox,
    *,
    timing: Timing = FAST,
    db_name: str = "bot.db",
    ready: str = "getUpdates",
    database: str | None = None,
    draft_refresh: float = DRAFT_REFRESH,
    registry: Registry | None = None,
    **env: str,
) -> AsyncIterator[TelegramBot]:
    """Engine and adapter running until the block ends (then stopped as on SIGTERM)."""
    settings = settings_for(emu, sandbox, **env)
    store: Any = (
        await open_store(database) if database else await SqliteStore.open(tmp_path / db_name)
    )
    assert settings.telegram is not None
    try:
        async with open_runtime(settings, store=store, timing=timing, registry=registry) as runtime:
            engine = runtime.engine
            await engine.start()
            stop = asyncio.Event()
            adapter = TelegramAdapter(settings.telegram, draft_refresh=draft_refresh)
            running = asyncio.create_task(adapter.run(engine, stop))
            try:

                def started(e: BotApiEmulator) -> bool:
                    polling = ready == "getUpdates" and e.waiting_pollers > 0
                    return polling or bool(e.calls_to(ready)) or running.done()

                await emu.wait_for(started, 10)
                if running.done():
                    running.result()  # a failure to start: raise it here
                yield TelegramBot(emu, sandbox, engine, store, settings)
            finally:
                stop.set()
                await asyncio.wait_for(asyncio.gather(running, return_exceptions=True), 10)
    finally:
        await store.close()
