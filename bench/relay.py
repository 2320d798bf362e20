"""Benchmark 1: relay overhead of the bot over a bare `NemoClient` on the same sandbox turn.

Bot: `engine.submit` → the last reply recorded by the outbox (the finished answer, or the
posted image for an image turn). Bare: `NemoClient.stream` read to the end, plus, for an
image turn, downloading the generated images (what any client must do to show them).
Bot and bare turns alternate in random order, on sessions of their own, so both see the
same sandbox load and the same growth of the project.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path

from bench.common import Metric, percentile
from bench.report import emit
from bench.wiring import BenchBot, bench_bot, realistic_options
from bot.nemo import Auth, NemoClient, ToolResult

__all__ = ["measure"]

BENCH = "relay"
TURNS = {
    "text": lambda i: "hello",
    "image": lambda i: f"generate an image of a lighthouse at dusk, take {i}",
}
TARGET_RATIO = 1.10


async def _bot_turn(bot: BenchBot, user: str, text: str, kind: str) -> float:
    """Submit one message; seconds until the outbox recorded the turn's last reply."""
    outbox = bot.outbox
    want = (outbox.count(user, "final") + 1, outbox.count(user, "image") + (kind == "image"))
    started = time.perf_counter()
    await bot.engine.submit(bot.message(user, text))
    await bot.engine.wait_idle(renders=False)
    if (outbox.count(user, "final"), outbox.count(user, "image")) != want:
        raise RuntimeError(f"bot turn {text!r} did not produce exactly one answer")
    return outbox.last_at(user) - started


async def _bare_turn(nemo: NemoClient, auth: Auth, session_id: str, text: str, dest: Path) -> float:
    """The same turn straight through the client (and the image downloads)."""
    started = time.perf_counter()
    urls: list[str] = []
    async with nemo.stream(auth, session_id, text) as events:
        async for event in events:
            if isinstance(event, ToolResult) and isinstance(event.response, dict):
                urls += [img["url"] for img in event.response.get("images", [])]
    for k, url in enumerate(urls):
        await nemo.download(url, dest / f"bare-{k}.png")
    return time.perf_counter() - started


async def measure(turns: int = 30, seed: int = 7) -> list[Metric]:
    """Run `turns` bot and bare turns of each kind; p50/p90 and the p50 ratio per kind."""
    rng = random.Random(seed)
    timings: dict[tuple[str, str], list[float]] = {}
    async with bench_bot(realistic_options()) as bot:
        nemo = bot.nemo
        token = await nemo.anonymous_token("bench-bare-client")
        auth = Auth(token.token)
        session = await nemo.create_session(auth)
        with tempfile.TemporaryDirectory(prefix="nemobot-bare-") as folder:
            dest = Path(folder)
            # Warm up both paths: token, session, connection pool, caches.
            await _bot_turn(bot, "relay-user", "hello", "text")
            await _bare_turn(nemo, auth, session.session_id, "hello", dest)
            for i in range(turns):
                for kind, make in TURNS.items():
                    text = make(i)
                    sides = ["bot", "bare"]
                    rng.shuffle(sides)
                    for side in sides:
                        if side == "bot":
                            took = await _bot_turn(bot, "relay-user", text, kind)
                        else:
                            took = await _bare_turn(nemo, auth, session.session_id, text, dest)
                        timings.setdefault((kind, side), []).append(took)
    return _metrics(timings, turns)


def _metrics(timings: dict[tuple[str, str], list[float]], turns: int) -> list[Metric]:
    metrics: list[Metric] = []
    for kind in TURNS:
        bot, bare = timings[(kind, "bot")], timings[(kind, "bare")]
        for side, values in (("bot", bot), ("bare client", bare)):
            for q in (50, 90):
                metrics.append(
                    Metric(
                        BENCH,
                        f"{kind} turn, {side}, p{q}",
                        round(percentile(values, q) * 1000, 1),
                        "ms",
                        note=f"n={turns}",
                    )
                )
        ratio = percentile(bot, 50) / percentile(bare, 50)
        extra = (percentile(bot, 50) - percentile(bare, 50)) * 1000
        metrics.append(
            Metric(
                BENCH,
                f"{kind} turn, bot/bare at p50",
                round(ratio, 3),
                "×",
                f"≤ {TARGET_RATIO:.2f}",
                ratio <= TARGET_RATIO,
                f"bot adds {extra:.1f} ms",
            )
        )
    return metrics


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.relay [--turns N]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=30, help="turns of each kind per side")
    args = parser.parse_args(argv)
    emit(asyncio.run(measure(args.turns)))


if __name__ == "__main__":
    main()
