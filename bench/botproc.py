"""`python -m bench.botproc --api URL [--telegram URL] [--db URL]`: the bot alone in a process.

The bot as shipped: `tune_interpreter()` before the loop starts (as `nemobot run` does),
a SQLite store in a temporary folder (or the database `--db` names: several of these
processes on one PostgreSQL database are the workers of the scale benchmark), the one
shared HTTP client of `make_http_client()` with its default transport (`CappedTransport`:
150 agent turns + 50 other requests in flight), the NemoVideo client from
`bot.app.open_runtime` (the composition root `nemobot run` uses), with one of two front doors:

- **ingress** (default): a tiny aiohttp server on 127.0.0.1 stands in for a platform's
  webhook and runs where the Telegram webhook runs, at the accepting edge
  (`bot.core.acceptance`): `POST /submit` on `submit_port` takes an `IncomingMessage` as
  JSON and answers once `engine.submit` returned (what a webhook acknowledgement waits on).
  Replies go to a `BenchOutbox` that streams one line per reply on `GET /events` (on
  `port`, the serving loop's control server) to the load generator.
- **telegram**: the real `TelegramAdapter` long-polls the Bot API emulator at URL (the
  emulator lives in the load generator's process); the control routes below still serve.

Either way `GET /report` says what this process measured itself: the time inside
`engine.submit` and inside `store.accept` per message, the event loop's lag, its peak RSS
(VmHWM) and CPU; `POST /idle` answers once the engine has no work left (renders included).
It prints `READY {"port": …}` and stops on SIGTERM like the real bot.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import logging
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.common import LoopLag, cpu_seconds, percentile, status_mb
from bench.outbox import BenchOutbox
from bench.procs import ready, wait_for_stop
from bot.app import open_runtime
from bot.app_tuning import tune_interpreter
from bot.config import Settings
from bot.core.engine import Accepted, Engine
from bot.core.messages import IncomingMessage
from storage import Store, open_store

__all__ = ["main"]

log = logging.getLogger(__name__)


class EventStream:
    """Reply lines waiting for the load generator; written in batches as the loop allows."""

    def __init__(self) -> None:
        self.count = 0
        self._lines: list[str] = []
        self._wake = asyncio.Event()

    def push(self, line: str) -> None:
        self._lines.append(line)
        self.count += 1
        self._wake.set()

    async def serve(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._lines = self._lines, []
            await response.write("".join(batch).encode())


def _timed(samples: array[float], call: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    @functools.wraps(call)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await call(*args, **kwargs)
        finally:
            samples.append(time.perf_counter() - started)

    return timed


class Probe:
    """What this process measures about itself."""

    def __init__(self, store: Store) -> None:
        self.submit: array[float] = array("d")
        self.enqueue: array[float] = array("d")
        self.statuses: Counter[str] = Counter()
        self.rss_ready = 0.0
        self.edge_lag = LoopLag()  # the accepting loop's, started there by `_serve`
        # The instances' public methods, wrapped: whoever calls them (the ingress or the
        # Telegram adapter, on whichever loop) is timed. The store's writes of accepted
        # messages go through its twin, on the accepting thread.
        twin = store.twin

        async def timed_twin() -> Store:
            opened = await twin()
            opened.accept = _timed(self.enqueue, opened.accept)  # type: ignore[method-assign]
            return opened

        store.twin = timed_twin  # type: ignore[method-assign]

    def time_submit(self, engine: Engine) -> None:
        """Time (and count the outcomes of) each `engine.submit`."""
        engine.submit = _timed(self.submit, self._count(engine.submit))  # type: ignore[method-assign]

    def _count(self, submit: Callable[[IncomingMessage], Awaitable[Accepted]]) -> Any:
        async def counted(msg: IncomingMessage) -> Accepted:
            accepted = await submit(msg)
            self.statuses[accepted.status] += 1
            return accepted

        return counted

    def report(self, lag: LoopLag, events: int) -> dict[str, Any]:
        lags = lag.lags or [0.0]
        return {
            "submit": list(self.submit),
            "enqueue": list(self.enqueue),
            "statuses": dict(self.statuses),
            "lag_p50": percentile(lags, 50),
            "lag_p99": percentile(lags, 99),
            "lag_max": max(lags),
            "edge_lag_p99": percentile(self.edge_lag.lags or [0.0], 99),
            "rss_ready_mb": self.rss_ready,
            "rss_mb": status_mb("VmRSS"),
            "hwm_mb": status_mb("VmHWM"),
            "cpu": cpu_seconds(),
            "events": events,
        }


def _settings(args: argparse.Namespace, folder: Path) -> Settings:
    env = {
        "NEMO_API_BASE": args.api,
        "NEMOBOT_DB": args.db or str(folder / "bench.db"),
        "NEMOBOT_RENDER_POLL_SECONDS": f"{args.render_poll:g}",
        "NEMOBOT_QUEUE_LIMIT": str(args.queue_limit),
    }
    if args.telegram:
        env |= {"TELEGRAM_BOT_TOKEN": args.telegram_token, "TELEGRAM_API_BASE_URL": args.telegram}
    return Settings.from_env(env)


async def _run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="nemobot-botproc-") as folder:
        settings = _settings(args, Path(folder))
        store = await open_store(settings.database)
        probe = Probe(store)
        try:
            async with (
                open_runtime(settings, store=store, worker_id=args.worker_id or "") as runtime,
                LoopLag() as lag,
            ):
                probe.time_submit(runtime.engine)
                await _serve(args, settings, runtime.engine, probe, lag)
        finally:
            await store.close()


async def _serve(
    args: argparse.Namespace, settings: Settings, engine: Engine, probe: Probe, lag: LoopLag
) -> None:
    events = EventStream()
    adapter_task: asyncio.Task[None] | None = None
    stop = asyncio.Event()
    if settings.telegram is not None:
        from adapters.telegram_adapter import TelegramAdapter

        await engine.start()
        adapter_task = asyncio.create_task(TelegramAdapter(settings.telegram).run(engine, stop))
    else:
        engine.connect(BenchOutbox(sink=events.push))
        await engine.start()

    async def idle(request: web.Request) -> web.Response:
        await engine.wait_idle(renders=True)
        return web.json_response({"idle": True})

    async def report(request: web.Request) -> web.Response:
        return web.json_response(probe.report(lag, events.count))

    async def tasks(request: web.Request) -> web.Response:
        """Where every task waits, counted (for finding a stuck benchmark)."""
        places: Counter[str] = Counter()
        for task in asyncio.all_tasks():
            stack = task.get_stack()
            frame = stack[-1] if stack else None
            where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame else "?"
            places[where] += 1
        return web.json_response(dict(places.most_common(30)))

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_get("/tasks", tasks)
    app.router.add_get("/events", events.serve)
    app.router.add_post("/idle", idle)
    app.router.add_get("/report", report)
    runner = await _started(app)
    front = _front_door(engine)
    edge = engine.acceptance.at_edge
    await edge(front.setup())
    await edge(_started_lag(probe.edge_lag))
    try:
        await edge(web.TCPSite(front, "127.0.0.1", 0, backlog=1024).start())
        probe.rss_ready = status_mb("VmRSS")
        ready(port=runner.addresses[0][1], submit_port=front.addresses[0][1])
        await wait_for_stop()
    finally:
        stop.set()
        if adapter_task is not None:
            await asyncio.wait_for(asyncio.gather(adapter_task, return_exceptions=True), 15)
        await edge(front.cleanup())
        await engine.stop()
        await runner.cleanup()


async def _started_lag(lag: LoopLag) -> None:
    await lag.__aenter__()  # stopped with the accepting loop


async def _started(app: web.Application) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, backlog=1024).start()
    return runner


def _front_door(engine: Engine) -> web.AppRunner:
    """`POST /submit`, answered once the message is stored: set up at the accepting edge."""

    async def submit(request: web.Request) -> web.Response:
        accepted = await engine.submit(IncomingMessage.from_json(await request.text()))
        return web.json_response({"status": accepted.status, "position": accepted.position})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/submit", submit)
    return web.AppRunner(app, access_log=None, shutdown_timeout=1.0)


def main(argv: list[str] | None = None) -> None:
    """Parse the options and run until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", required=True, help="NemoVideo API root (the sandbox)")
    parser.add_argument("--render-poll", type=float, default=1.0)
    parser.add_argument("--queue-limit", type=int, default=5)
    parser.add_argument("--telegram", default="", help="Bot API root: run the Telegram adapter")
    parser.add_argument("--telegram-token", default="")
    parser.add_argument("--db", default="", help="NEMOBOT_DB (default: SQLite, a temporary file)")
    parser.add_argument("--worker-id", default="", help="the engine's id for its leases")
    parser.add_argument("--profile", default="", help="write the serving thread's cProfile here")
    args = parser.parse_args(argv)
    tune_interpreter()  # as `nemobot run` does before its loop starts (bot/cli.py)
    logging.basicConfig(level=logging.WARNING, format="bot: %(levelname)s %(name)s: %(message)s")
    if not args.profile:
        asyncio.run(_run(args))
        return
    profile = cProfile.Profile()
    try:
        profile.runcall(asyncio.run, _run(args))
    finally:
        profile.dump_stats(args.profile)


if __name__ == "__main__":
    main()
