"""An engine in this process on a real SQLite store, talking to a sandbox in another one.

For the benchmarks that time one turn at a time (relay, render): the sandbox runs as its
own process (`bench.sandbox_proc`), so its CPU never delays the bot's event loop; the
engine, store and HTTP client are built as `bot/app.py` builds them.
"""

from __future__ import annotations

import itertools
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import private_message
from bench.outbox import BenchOutbox
from bench.procs import Child, child
from bot.app import open_runtime
from bot.config import Settings
from bot.core.context import Timing
from bot.core.engine import Engine
from bot.core.messages import IncomingMessage
from bot.nemo import NemoClient, make_http_client
from storage import SqliteStore

__all__ = ["BenchBot", "bench_bot"]


@dataclass
class BenchBot:
    """A started engine, its outbox and store, the client, and the sandbox process."""

    engine: Engine
    outbox: BenchOutbox
    store: SqliteStore
    nemo: NemoClient
    http: httpx.AsyncClient
    sandbox: Child
    workdir: Path
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))
    _run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def message(self, user: str, text: str) -> IncomingMessage:
        """A private-chat message from `user` (chat id = user id)."""
        number = next(self._numbers)
        return private_message(user, text, f"b-{self._run}-{number}", number)


@asynccontextmanager
async def bench_bot(
    sandbox_args: list[str],
    *,
    render_poll_seconds: float = 0.2,
    http_options: dict[str, Any] | None = None,
    timing: Timing | None = None,
) -> AsyncIterator[BenchBot]:
    """Sandbox process; store (temporary folder), HTTP client and engine here; all closed."""
    with tempfile.TemporaryDirectory(prefix="nemobot-bench-") as folder:
        workdir = Path(folder)
        async with child("sandbox", "bench.sandbox_proc", *sandbox_args) as sandbox:
            settings = Settings.from_env(
                {
                    "NEMO_API_BASE": sandbox.info["url"],
                    "NEMOBOT_DB": str(workdir / "bench.db"),
                    "NEMOBOT_RENDER_POLL_SECONDS": f"{render_poll_seconds:g}",
                    # One simulated user sends turn after turn: lift the per-user flood limit.
                    "NEMOBOT_USER_MESSAGES_PER_MINUTE": "100000",
                }
            )
            store = await SqliteStore.open(settings.sqlite_file)
            try:
                async with (
                    make_http_client(**(http_options or {})) as http,
                    open_runtime(settings, store=store, http=http, timing=timing) as runtime,
                ):
                    outbox = BenchOutbox()
                    runtime.engine.connect(outbox)
                    await runtime.engine.start()
                    yield BenchBot(
                        runtime.engine, outbox, store, runtime.nemo, http, sandbox, workdir
                    )
            finally:
                await store.close()
