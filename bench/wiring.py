"""An engine on a real SQLite store and a real in-process sandbox, for the benchmarks."""

from __future__ import annotations

import itertools
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.outbox import BenchOutbox
from bot.config import Settings
from bot.core.context import Timing
from bot.core.engine import Engine
from bot.core.messages import ChatRef, IncomingMessage, User
from bot.nemo import ClientConfig, NemoClient, make_http_client
from sandbox import RunningSandbox, SandboxOptions, run_sandbox
from storage import SqliteStore

__all__ = ["BenchBot", "bench_bot", "realistic_options"]

PLATFORM = "console"


def realistic_options(**overrides: object) -> SandboxOptions:
    """Sandbox options with the default streaming pace and a short image-generation wait."""
    base: dict[str, object] = {
        "chunk_delay_seconds": 0.02,
        "generation_delay_seconds": 0.2,
        "initial_credits": 100_000,
    }
    return SandboxOptions(**{**base, **overrides})  # type: ignore[arg-type]


@dataclass
class BenchBot:
    """A started engine, its outbox and store, and the sandbox it talks to."""

    engine: Engine
    outbox: BenchOutbox
    store: SqliteStore
    nemo: NemoClient
    sandbox: RunningSandbox
    workdir: Path
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))
    _run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def message(self, user: str, text: str) -> IncomingMessage:
        """A private-chat message from `user` (chat id = user id)."""
        number = next(self._numbers)
        return IncomingMessage(
            update_id=f"b-{self._run}-{number}",
            user=User(PLATFORM, user),
            chat=ChatRef(PLATFORM, user, private=True),
            text=text,
            message_id=f"m{number}",
        )


@asynccontextmanager
async def bench_bot(
    options: SandboxOptions,
    *,
    render_poll_seconds: float = 0.2,
    queue_limit: int = 5,
) -> AsyncIterator[BenchBot]:
    """Sandbox, store (in a temporary folder), HTTP client, client and engine; all closed."""
    with tempfile.TemporaryDirectory(prefix="nemobot-bench-") as folder:
        workdir = Path(folder)
        async with run_sandbox(options) as running:
            settings = Settings.from_env(
                {"NEMO_API_BASE": running.url, "NEMOBOT_QUEUE_LIMIT": str(queue_limit)}
            )
            timing = Timing(render_poll_seconds=render_poll_seconds)
            store = await SqliteStore.open(workdir / "bench.db")
            try:
                async with make_http_client() as http:
                    nemo = NemoClient(http, ClientConfig(base_url=settings.api_base))
                    engine = Engine(store, nemo, settings, timing=timing)
                    outbox = BenchOutbox()
                    engine.connect(outbox)
                    await engine.start()
                    try:
                        yield BenchBot(engine, outbox, store, nemo, running, workdir)
                    finally:
                        await engine.stop()
            finally:
                await store.close()
