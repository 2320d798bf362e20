"""Benchmark 1: relay overhead of the bot over a bare `NemoClient` on the same sandbox turn.

Bot: `engine.submit` → the last reply recorded by the outbox (the finished answer, or the
posted image for an image turn). Bare: `NemoClient.stream` read to the end, plus, for an
image turn, downloading the generated images (what any client must do to show them).
Bot and bare turns alternate in random order, on sessions of their own, so both see the
same sandbox load and the same growth of the project. The sandbox runs in its own
process; the bot and the bare client share this one, one turn at a time.

An httpx request hook stamps when each `/run_sse` request leaves: for the bot, submit →
that stamp is the work before the agent sees the message (inbox write, claim, account and
session look-ups, marking the item); the rest of the difference comes after the stream.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import inspect
import random
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.common import Metric, monotonic, percentile
from bench.report import emit
from bench.sandbox_proc import options_args
from bench.wiring import BenchBot, bench_bot
from bot.app_tuning import tune_interpreter
from bot.nemo import Auth, NemoClient, ToolResult

__all__ = ["measure"]

BENCH = "relay"
TURNS = {
    "text": lambda i: "hello",
    "image": lambda i: f"generate an image of a lighthouse at dusk, take {i}",
}
TARGET_RATIO = 1.02


class AgentStamps:
    """When the latest `/run_sse` request was sent (an httpx request hook)."""

    def __init__(self) -> None:
        self.last = 0.0

    async def __call__(self, request: httpx.Request) -> None:
        if request.url.path.endswith("/run_sse"):
            self.last = monotonic()


class StoreCalls:
    """Every public coroutine method of the store instance, wrapped to log (name, start, end)."""

    def __init__(self, store: object) -> None:
        self.calls: list[tuple[str, float, float]] = []
        for name in dir(store):
            method = getattr(store, name)
            if not name.startswith("_") and inspect.iscoroutinefunction(method):
                setattr(store, name, self._wrap(name, method))

    def _wrap(self, name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
        @functools.wraps(method)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = monotonic()
            try:
                return await method(*args, **kwargs)
            finally:
                self.calls.append((name, started, monotonic()))

        return timed

    def before(self, start: float, end: float) -> tuple[int, float, str]:
        """How many calls ran between the two stamps, their summed seconds and their names
        in order ("get_user, enqueue, …")."""
        inside = [(name, b - a) for name, a, b in self.calls if a >= start and b <= end]
        return len(inside), sum(took for _, took in inside), ", ".join(n for n, _ in inside)


async def _bot_turn(
    bot: BenchBot, user: str, text: str, kind: str, calls: StoreCalls | None = None
) -> tuple[float, float, int, float, str]:
    """Submit one message; seconds until the turn's last reply and until the agent call, and
    the store calls (count, seconds, names) made before the agent call."""
    outbox = bot.outbox
    want = (outbox.count(user, "final") + 1, outbox.count(user, "image") + (kind == "image"))
    stamps: AgentStamps = bot.http.event_hooks["request"][0]
    started = monotonic()
    await bot.engine.submit(bot.message(user, text))
    await bot.engine.wait_idle(renders=False)
    if (outbox.count(user, "final"), outbox.count(user, "image")) != want:
        got = [(r.code, r.text[:40]) for r in outbox.chats[user][-4:]]
        raise RuntimeError(f"bot turn {text!r} did not produce exactly one answer: {got}")
    count, seconds, names = calls.before(started, stamps.last) if calls else (0, 0.0, "")
    return outbox.last_at(user) - started, stamps.last - started, count, seconds, names


async def _bare_turn(nemo: NemoClient, auth: Auth, session_id: str, text: str, dest: Path) -> float:
    """The same turn straight through the client (and the image downloads)."""
    started = monotonic()
    urls: list[str] = []
    async with nemo.stream(auth, session_id, text) as events:
        async for event in events:
            if isinstance(event, ToolResult) and isinstance(event.response, dict):
                urls += [img["url"] for img in event.response.get("images", [])]
    for k, url in enumerate(urls):
        await nemo.download(url, dest / f"bare-{k}.png")
    return monotonic() - started


async def measure(turns: int = 30, seed: int = 7) -> list[Metric]:
    """Run `turns` bot and bare turns of each kind; p50/p90 and the p50 ratio per kind."""
    rng = random.Random(seed)
    timings: dict[tuple[str, str], list[float]] = {}
    sequences: dict[str, Counter[str]] = {kind: Counter() for kind in TURNS}
    hooks = {"event_hooks": {"request": [AgentStamps()]}}
    async with bench_bot(options_args(), http_options=hooks) as bot:
        nemo = bot.nemo
        token = await nemo.anonymous_token("bench-bare-client")
        auth = Auth(token.token)
        session = await nemo.create_session(auth)
        calls = StoreCalls(bot.store)
        with tempfile.TemporaryDirectory(prefix="nemobot-bare-") as folder:
            dest = Path(folder)
            # Warm up both paths: token, session, connection pool, caches.
            for _ in range(2):
                await _bot_turn(bot, "relay-user", "hello", "text")
                await _bare_turn(nemo, auth, session.session_id, "hello", dest)
            for i in range(turns):
                for kind, make in TURNS.items():
                    text = make(i)
                    sides = ["bot", "bare"]
                    rng.shuffle(sides)
                    for side in sides:
                        if side == "bot":
                            took, before, count, store_s, names = await _bot_turn(
                                bot, "relay-user", text, kind, calls
                            )
                            sequences[kind][names] += 1
                            timings.setdefault((kind, "before agent"), []).append(before)
                            timings.setdefault((kind, "store calls"), []).append(count)
                            timings.setdefault((kind, "store seconds"), []).append(store_s)
                        else:
                            took = await _bare_turn(nemo, auth, session.session_id, text, dest)
                        timings.setdefault((kind, side), []).append(took)
    return _metrics(timings, sequences, turns)


def _ms(values: list[float], q: float) -> float:
    return round(percentile(values, q) * 1000, 1)


def _metrics(
    timings: dict[tuple[str, str], list[float]], sequences: dict[str, Counter[str]], turns: int
) -> list[Metric]:
    metrics: list[Metric] = []
    for kind in TURNS:
        bot, bare = timings[(kind, "bot")], timings[(kind, "bare")]
        before = timings[(kind, "before agent")]
        for side, values in (("bot", bot), ("bare client", bare)):
            metrics.append(
                Metric(
                    BENCH,
                    f"{kind} turn, {side}, p50",
                    _ms(values, 50),
                    "ms",
                    note=f"p90 {_ms(values, 90)} ms, n={turns}",
                )
            )
        ratio = percentile(bot, 50) / percentile(bare, 50)
        extra = (percentile(bot, 50) - percentile(bare, 50)) * 1000
        ahead = percentile(before, 50) * 1000
        store_calls = percentile(timings[(kind, "store calls")], 50)
        store_ms = percentile(timings[(kind, "store seconds")], 50) * 1000
        metrics.append(
            Metric(
                BENCH,
                f"{kind} turn, bot/bare at p50",
                round(ratio, 3),
                "×",
                f"≤ {TARGET_RATIO:.2f}",
                ratio <= TARGET_RATIO,
                f"bot adds {extra:.1f} ms: {ahead:.1f} ms before the agent call "
                f"(submit → /run_sse sent; of which {store_calls:.0f} store calls, "
                f"{store_ms:.1f} ms), {extra - ahead:.1f} ms after",
            )
        )
        names, seen = sequences[kind].most_common(1)[0]
        metrics.append(
            Metric(
                BENCH,
                f"{kind} turn, store calls before the agent call",
                store_calls,
                "",
                note=f"in order: {names} ({seen} of {turns} turns; median {store_ms:.2f} ms)",
            )
        )
    return metrics


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.relay [--turns N]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=30, help="turns of each kind per side")
    args = parser.parse_args(argv)
    tune_interpreter()  # the engine runs in this process: tuned as `nemobot run` is
    emit(asyncio.run(measure(args.turns)))


if __name__ == "__main__":
    main()
