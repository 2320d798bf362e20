"""The load generator's side of the three-process layout: start the sandbox and the bot,
submit messages through the bot's ingress, follow its replies.

    generator (this process) ──POST /submit──▶ bot (bench.botproc) ──HTTP/SSE──▶ sandbox
              ◀──GET /events (one line per reply)──┘                 (bench.sandbox_proc)

The generator stamps each submit before sending it and measures the acknowledgement (the
HTTP answer, sent once `engine.submit` returned). Reply lines carry the bot's own
CLOCK_MONOTONIC stamp, so a turn's latency (submit → the bot sent the answer) does not
include the trip of the line back to us.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.common import cpu_seconds, monotonic, private_message
from bench.procs import Child, child
from bench.sandbox_proc import options_args

__all__ = ["Bot", "Replies", "running_bot", "running_workers"]


@dataclass
class _Chat:
    stamps: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    changed: asyncio.Event | None = None


class Replies:
    """Per chat, the stamps of every reply the bot sent, by code (see bench.outbox.CODES)."""

    def __init__(self) -> None:
        self.chats: dict[str, _Chat] = defaultdict(_Chat)
        self.lines = 0
        self.receive_lag: list[float] = []  # bot's stamp → line parsed here

    def feed(self, data: bytes) -> None:
        now = monotonic()
        for line in data.decode().splitlines():
            chat_id, code, at = line.split("\t")
            chat = self.chats[chat_id]
            chat.stamps[code].append(float(at))
            self.lines += 1
            if self.lines % 16 == 0:
                self.receive_lag.append(now - float(at))
            if chat.changed is not None:
                chat.changed.set()

    def count(self, chat_id: str, code: str) -> int:
        chat = self.chats.get(chat_id)
        return len(chat.stamps.get(code, ())) if chat is not None else 0

    def total(self, code: str) -> int:
        return sum(len(c.stamps.get(code, ())) for c in self.chats.values())

    async def wait_for(
        self, chat_id: str, *, finals: int = 0, images: int = 0, videos: int = 0
    ) -> float:
        """Wait until the chat has these many finals, images, videos; when the last came."""
        chat = self.chats[chat_id]
        want = {"F": finals, "I": images, "V": videos}
        if chat.changed is None:
            chat.changed = asyncio.Event()
        while True:
            chat.changed.clear()
            if all(len(chat.stamps.get(code, ())) >= n for code, n in want.items()):
                return max(chat.stamps[code][n - 1] for code, n in want.items() if n > 0)
            await chat.changed.wait()


@dataclass
class Bot:
    """The running bot and sandbox processes, as the generator sees them."""

    sandbox: Child
    bot: Child
    http: aiohttp.ClientSession
    base: str
    front: str  # where messages are posted: the bot's accepting edge
    replies: Replies
    acks: list[float] = field(default_factory=list)
    ack_errors: int = 0
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def message(self, user: str, text: str) -> str:
        """A private-chat message from `user` (chat id = user id), as the ingress takes it."""
        number = next(self._numbers)
        return private_message(user, text, f"g-{number}", number).to_json()

    async def submit(self, user: str, text: str) -> float:
        """Send one message; returns when it was sent (the turn's start). Records the ack."""
        body = self.message(user, text)
        started = monotonic()
        try:
            async with self.http.post(f"{self.front}/submit", data=body) as response:
                response.raise_for_status()
                await response.read()
        except aiohttp.ClientError:
            self.ack_errors += 1
            raise
        self.acks.append(monotonic() - started)
        return started

    async def idle(self) -> None:
        """Until the engine has no work left (renders included)."""
        timeout = aiohttp.ClientTimeout(total=None)
        async with self.http.post(f"{self.base}/idle", timeout=timeout) as response:
            response.raise_for_status()

    async def report(self) -> dict[str, Any]:
        """The bot's own measurements (see bench.botproc), plus the sandbox's CPU and RSS."""
        async with self.http.get(f"{self.base}/report") as response:
            response.raise_for_status()
            found: dict[str, Any] = await response.json()
        found["sandbox_cpu"] = self.sandbox.cpu()
        found["sandbox_hwm_mb"] = self.sandbox.peak_rss_mb()
        found["generator_cpu"] = cpu_seconds()
        return found

    def cpu(self) -> tuple[float, float, float]:
        """CPU seconds so far of the bot, the sandbox and this generator."""
        return self.bot.cpu(), self.sandbox.cpu(), cpu_seconds()


async def _follow(response: aiohttp.ClientResponse, replies: Replies) -> None:
    pending = b""
    async for data in response.content.iter_any():
        pending += data
        cut = pending.rfind(b"\n")
        if cut >= 0:
            replies.feed(pending[: cut + 1])
            pending = pending[cut + 1 :]


@asynccontextmanager
async def running_bot(
    *,
    sandbox_args: list[str] | None = None,
    render_poll: float = 1.0,
    connections: int = 100,
    bot_args: list[str] | None = None,
) -> AsyncIterator[Bot]:
    """Sandbox and bot processes, the ingress session and the reply stream; all stopped."""
    async with running_workers(
        [bot_args or []],
        sandbox_args=sandbox_args,
        render_poll=render_poll,
        connections=connections,
    ) as (bot,):
        yield bot


@asynccontextmanager
async def running_workers(
    worker_args: list[list[str]],
    *,
    sandbox_args: list[str] | None = None,
    render_poll: float = 1.0,
    connections: int = 100,
) -> AsyncIterator[list[Bot]]:
    """One sandbox and a bot process per entry of `worker_args` (its extra options; the same
    `--db` makes them workers of one bot), started one after the other; one reply stream
    and one message numbering for all of them."""
    sandbox_args = sandbox_args if sandbox_args is not None else options_args()
    async with (
        child("sandbox", "bench.sandbox_proc", *sandbox_args) as sandbox,
        AsyncExitStack() as stack,
    ):
        api = ["--api", sandbox.info["url"], "--render-poll", f"{render_poll:g}"]
        names = ["bot"] if len(worker_args) == 1 else [f"bot{n}" for n in range(len(worker_args))]
        children = [
            await stack.enter_async_context(child(name, "bench.botproc", *api, *extra))
            for name, extra in zip(names, worker_args, strict=True)
        ]
        connector = aiohttp.TCPConnector(limit=connections)
        timeout = aiohttp.ClientTimeout(total=60)
        http = await stack.enter_async_context(
            aiohttp.ClientSession(connector=connector, timeout=timeout)
        )
        replies, numbers = Replies(), itertools.count(1)
        bots = []
        for bot in children:
            base = f"http://127.0.0.1:{bot.info['port']}"
            events = await http.get(f"{base}/events", timeout=aiohttp.ClientTimeout())
            stack.callback(events.close)
            follower = asyncio.create_task(_follow(events, replies))
            stack.push_async_callback(_stopped, follower)
            front = f"http://127.0.0.1:{bot.info['submit_port']}"
            bots.append(Bot(sandbox, bot, http, base, front, replies, _numbers=numbers))
        yield bots


async def _stopped(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
