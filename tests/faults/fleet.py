"""Several `nemobot run` workers on one PostgreSQL database, as one bot (the test world).

Each worker is a real process in Telegram webhook mode. The Bot API emulator POSTs every
update to one URL, a round-robin load balancer in this process, which hands each POST
(headers and all) to the next worker's webhook listener and answers with its status. NemoVideo
is the sandbox in this process. Whichever worker stores a message, any of them may run it;
a worker killed with `kill -9` leaves its leases to run out, and the others finish its work.
"""

from __future__ import annotations

import itertools
import os
import re
import signal
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

from sandbox import RunningSandbox, SandboxOptions, run_sandbox
from tests.console.cli_support import clean_env
from tests.postgres import PostgresServer, fresh_database
from tests.telegram.emulator import BotApiEmulator, running_emulator
from tests.telegram.emulator.models import BotMessage
from tests.telegram.test_telegram_process import BotProcess, _start

HOOK_PATH = "/telegram/hook"
_HOP_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
KILL_LEASE = "3"  # a dead worker's work is free 3 s after its last renewal
CALM_LEASE = "30"  # nobody dies: a loaded machine's slow renewal must not look like a death
INTERRUPTED = "restarted while working"


class Balancer:
    """Round-robin over the workers' webhook listeners: one try per POST, its status back.

    A worker that is down answers 502 here, so the emulator delivers the update again (as
    Telegram does after a failed delivery) and the next try goes to the next worker. Every
    `echo_every`-th update is also POSTed again to the next worker once the first answered,
    as Telegram does when it never saw that 200.
    """

    def __init__(self, echo_every: int = 0) -> None:
        self.ports: list[int] = []
        self.statuses: Counter[int] = Counter()  # what the workers answered (0: unreachable)
        self.echoes: Counter[int] = Counter()  # what they answered to an update sent again
        self.failures: Counter[str] = Counter()  # why a worker could not be reached
        self.url = ""
        self._echo_every = echo_every
        self._turn = itertools.count()
        self._http: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        # A fresh connection per POST: a kept-alive one the worker just closed is no refusal.
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post(HOOK_PATH, self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}{HOOK_PATH}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def _forward(self, request: web.Request) -> web.Response:
        turn = next(self._turn)
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        status, payload = await self._post(turn, request.path_qs, body, headers)
        self.statuses[status] += 1
        if status == 200 and self._echo_every and turn % self._echo_every == 0:
            again, _ = await self._post(turn + 1, request.path_qs, body, headers)
            self.echoes[again] += 1
        return web.Response(status=status or 502, body=payload)

    async def _post(
        self, turn: int, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        assert self._http is not None
        port = self.ports[turn % len(self.ports)]
        try:
            async with self._http.post(
                f"http://127.0.0.1:{port}{path}", data=body, headers=headers
            ) as answer:
                return answer.status, await answer.read()
        except aiohttp.ClientError as exc:
            self.failures[type(exc).__name__] += 1
            return 0, b""


@dataclass
class Worker:
    """One `nemobot run` process and the port its webhook listens on."""

    bot: BotProcess
    port: int

    @property
    def worker_id(self) -> str:
        """The id it holds leases under, from its first log lines."""
        found = re.search(r"worker (\S+) starting on a shared store", self.bot.log)
        assert found is not None, self.bot.log[-2000:]
        return found.group(1)


@dataclass
class World:
    """The emulator, the sandbox, the database, the balancer and the workers."""

    emu: BotApiEmulator
    sandbox: RunningSandbox
    database: str
    balancer: Balancer
    folder: Path
    env: dict[str, str]
    workers: list[Worker] = field(default_factory=list)

    async def start_worker(self, port: int) -> Worker:
        """A new worker listening on `port`, in the balancer's rotation once it listens."""
        folder = self.folder / f"worker-{port}-{len(self.workers)}"
        folder.mkdir()
        hooked = len(self.emu.calls_to("setWebhook"))
        env = {**self.env, "TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}"}
        worker = Worker(await _start(folder, env), port)
        self.workers.append(worker)
        # It listens before it sets the webhook: from then on it may be sent updates.
        await self.emu.wait_for(lambda e: len(e.calls_to("setWebhook")) > hooked, 60)
        if port not in self.balancer.ports:
            self.balancer.ports.append(port)
        return worker

    async def restart(self, worker: Worker) -> Worker:
        """A fresh process in a dead worker's place (same port, a new worker id)."""
        return await self.start_worker(worker.port)

    async def stop_all(self) -> None:
        """SIGTERM every live worker: each must exit 0; no log shows a traceback or the token."""
        alive = [w for w in self.workers if w.bot.process.returncode is None]
        for worker in alive:
            worker.bot.process.send_signal(signal.SIGTERM)
        for worker in alive:
            assert await worker.bot.wait(timeout=30) == 0, worker.bot.log[-2000:]
        secret = self.emu.token.split(":", 1)[1]
        for worker in self.workers:
            assert "Traceback" not in worker.bot.log, worker.bot.log[-3000:]
            assert secret not in worker.bot.log

    async def kill(self, worker_id: str) -> Worker:
        """`kill -9` the worker holding `worker_id`'s leases."""
        worker = next(w for w in self.workers if w.worker_id == worker_id)
        os.kill(worker.bot.process.pid, signal.SIGKILL)
        assert await worker.bot.wait() == -signal.SIGKILL
        return worker

    async def query(self, sql: str) -> list[asyncpg.Record]:
        """Rows of one query on the workers' database."""
        conn = await asyncpg.connect(self.database)
        try:
            return list(await conn.fetch(sql))
        finally:
            await conn.close()

    async def holder(self, table: str, condition: str) -> str | None:
        """The worker holding a lease on a row of `table` matching `condition`, if any."""
        rows = await self.query(
            f"SELECT owner FROM {table} WHERE owner IS NOT NULL AND {condition}"
        )
        return rows[0]["owner"] if rows else None

    def shown(self, chat: int, kind: str | None = None) -> list[BotMessage]:
        """The bot's messages in `chat` as they are now (of one kind, if given)."""
        return [
            m for m in self.emu.messages(chat) if not m.deleted and (kind is None or m.kind == kind)
        ]

    def count(self, chat: int, words: str) -> int:
        """How many of the bot's messages in `chat` show `words`."""
        return sum(words in (m.text or m.caption or "") for m in self.shown(chat))


def fast_sandbox_options(**changes: float) -> SandboxOptions:
    """A quick sandbox: instant text, 1-second images, small fast renders."""
    options = SandboxOptions(
        chunk_delay_seconds=0,
        image_seconds=1,
        render_preset="ultrafast",
        render_fps=5,
        crossfade_seconds=0,
    )
    for name, value in changes.items():
        setattr(options, name, value)
    return options


@asynccontextmanager
async def fleet(
    tmp_path: Path,
    server: PostgresServer,
    ports: list[int],
    options: SandboxOptions,
    balancer: Balancer,
    lease: str = KILL_LEASE,
) -> AsyncIterator[World]:
    """A world with one worker per port, all started; every process is gone afterwards."""
    database = await fresh_database(server)
    async with AsyncExitStack() as stack:
        sandbox = await stack.enter_async_context(run_sandbox(options))
        emu = await stack.enter_async_context(running_emulator())
        await balancer.start()
        stack.push_async_callback(balancer.close)
        base = clean_env(
            NEMO_API_BASE=sandbox.url,
            TELEGRAM_BOT_TOKEN=emu.token,
            TELEGRAM_API_BASE_URL=emu.url,
            TELEGRAM_WEBHOOK_URL=balancer.url,
            NEMOBOT_DB=database,
            NEMOBOT_RENDER_POLL_SECONDS="0.3",
            NEMOBOT_LEASE_SECONDS=lease,
            NEMOBOT_RETRY_AFTER_SECONDS="0",
            NEMOBOT_LOG_LEVEL="INFO",
        )
        world = World(emu, sandbox, database, balancer, tmp_path, base)
        try:
            for port in ports:  # one by one: each is known to listen once it set the webhook
                await world.start_worker(port)
            yield world
        finally:
            for worker in world.workers:
                if worker.bot.process.returncode is None:
                    worker.bot.process.kill()
                    await worker.bot.wait()


Ports = Callable[[], int]
