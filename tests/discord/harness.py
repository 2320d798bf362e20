"""The real Discord adapter (discord.py) on a real engine, against the fake and the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from adapters.discord_adapter import DiscordAdapter
from bot.app import open_runtime
from bot.config import Settings
from bot.core.context import Timing
from bot.core.engine import Engine
from bot.core.registry import Registry
from sandbox import RunningSandbox
from storage import SqliteStore
from tests.discord.fake import FakeDiscord
from tests.engine.harness import FAST, eventually


@dataclass
class DiscordBot:
    """A running Discord bot and what it talks to."""

    fake: FakeDiscord
    sandbox: RunningSandbox
    engine: Engine
    store: SqliteStore


def settings_for(
    fake: FakeDiscord, sandbox: RunningSandbox, tmp_path: Path, **env: str
) -> Settings:
    base = {
        "NEMO_API_BASE": sandbox.url,
        "NEMOBOT_RETRY_AFTER_SECONDS": "0",
        "NEMOBOT_DB": str(tmp_path / "bot.db"),
        "DISCORD_BOT_TOKEN": fake.options.token,
        "DISCORD_API_BASE_URL": fake.url,
    }
    return Settings.from_env({**base, **env})


@asynccontextmanager
async def discord_bot(
    tmp_path: Path,
    fake: FakeDiscord,
    sandbox: RunningSandbox,
    *,
    timing: Timing = FAST,
    connected: bool = True,
    registry: Registry | None = None,
    **env: str,
) -> AsyncIterator[DiscordBot]:
    """Engine and adapter running until the block ends (then stopped as on SIGTERM).

    With `connected` (the default) the block starts once the adapter is connected.
    """
    settings = settings_for(fake, sandbox, tmp_path, **env)
    assert settings.discord is not None
    store = await SqliteStore.open(settings.sqlite_file)
    try:
        async with open_runtime(settings, store=store, timing=timing, registry=registry) as runtime:
            engine = runtime.engine
            await engine.start()
            stop = asyncio.Event()
            adapter = DiscordAdapter(settings.discord, ready_timeout=0.05)
            running = asyncio.create_task(adapter.run(engine, stop))
            try:
                if connected:
                    await eventually(
                        lambda: "discord" in engine.platforms.names or running.done(), 10
                    )
                if running.done():
                    running.result()
                yield DiscordBot(fake, sandbox, engine, store)
            finally:
                stop.set()
                await asyncio.wait_for(asyncio.gather(running, return_exceptions=True), 10)
    finally:
        await store.close()
