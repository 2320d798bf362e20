"""How long a finished video waits at the backend before it reaches the chat.

The sandbox runs in its own process with renders of 20-60 s each (every render its own
time), whose progress moves steadily, or in lumps (long stalls, then jumps). Eight users
export at once. For each render: the moment the backend marked it completed (the sandbox's
clock) to the moment the video reached the chat (the bot's), and the status checks it took.
Measured with the poll policy as shipped, and with the fixed 30 s interval it replaced.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import statistics
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import httpx

from bench.common import Metric, monotonic
from bench.report import emit
from bench.sandbox_proc import options_args
from bench.wiring import BenchBot, bench_bot
from bot.app_tuning import tune_interpreter
from bot.core.context import Timing

__all__ = ["measure"]

BENCH = "render delay"
POLL = 30.0  # NEMOBOT_RENDER_POLL_SECONDS against the real API: the longest wait
SHIPPED = Timing(render_poll_seconds=POLL)
BEFORE = replace(SHIPPED, render_poll_floor=POLL)  # a fixed interval: what it replaced


async def _one_round(bot: BenchBot, users: list[str]) -> list[float]:
    """Every user makes an image, then they all export at once; each render's delay."""
    for user in users:
        await bot.engine.submit(bot.message(user, "generate an image of a harbour at dawn"))
    for user in users:
        await bot.outbox.wait_until(user, images=1)
    await bot.engine.wait_idle(renders=False)
    for user in users:
        await bot.engine.submit(bot.message(user, "export"))
    async with asyncio.timeout(300):
        for user in users:
            await bot.outbox.wait_until(user, videos=1)
    wall = time.time() - monotonic()  # the outbox records on the monotonic clock
    arrived = {
        user: next(r.at for r in bot.outbox.chats[user] if r.code == "V") + wall for user in users
    }
    async with httpx.AsyncClient(base_url=bot.sandbox.info["url"]) as client:
        completed = (await client.get("/_sandbox/stats")).json()["data"]["completed_at"]
    owners = _owners(bot.workdir / "bench.db")
    return [arrived[owners[rid]] - at for rid, at in completed.items()]


def _owners(database: Path) -> dict[str, str]:
    """Which user each render was made for, from the bot's own database."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        rows = conn.execute(
            "SELECT r.render_id, u.platform_user_id FROM renders r JOIN users u ON u.id = r.user_id"
        ).fetchall()
    return {render_id: user for render_id, user in rows}


async def _scenario(shape: str, timing: Timing, users: int) -> tuple[list[float], list[int]]:
    """The delays and the checks per render of one round."""
    polls: Counter[str] = Counter()

    async def count(request: httpx.Request) -> None:
        path = request.url.path
        if path.startswith("/api/render/proxy/lambda/") and request.method == "GET":
            polls[path.rsplit("/", 1)[-1]] += 1

    sandbox = options_args(image_seconds=1.0, render_seconds=(20.0, 60.0), render_progress=shape)
    http = {"event_hooks": {"request": [count]}}
    async with bench_bot(
        sandbox, render_poll_seconds=POLL, http_options=http, timing=timing
    ) as bot:
        delays = await _one_round(bot, [f"u{n}" for n in range(users)])
    return delays, list(polls.values())


def _metrics(label: str, shape: str, delays: list[float], polls: list[int]) -> list[Metric]:
    p50 = statistics.median(delays)
    return [
        Metric(
            BENCH,
            f"{shape}, {label}: backend done → video in chat, p50",
            round(p50, 2),
            "s",
            "≤ 3 s" if label == "policy" else "—",
            p50 <= 3.0 if label == "policy" else None,
            f"max {max(delays):.1f} s, n={len(delays)}",
        ),
        Metric(
            BENCH,
            f"{shape}, {label}: max",
            round(max(delays), 2),
            "s",
            "≤ 8 s" if label == "policy" else "—",
            max(delays) <= 8.0 if label == "policy" else None,
        ),
        Metric(
            BENCH,
            f"{shape}, {label}: status checks per render",
            round(statistics.mean(polls), 1),
            "",
            note=f"max {max(polls)}; a fixed 5 s interval makes 4-12 on 20-60 s renders",
        ),
    ]


async def measure(users: int) -> list[Metric]:
    """Both progress shapes, with the shipped policy and the fixed interval before it."""
    metrics: list[Metric] = []
    for shape in ("steady", "lumpy"):
        for label, timing in (("policy", SHIPPED), ("fixed 30 s (before)", BEFORE)):
            delays, polls = await _scenario(shape, timing, users)
            metrics += _metrics(label, shape, delays, polls)
    return metrics


def main() -> None:
    """`python -m bench.render_delay [--users 8]`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=8)
    args = parser.parse_args()
    tune_interpreter()
    emit(asyncio.run(measure(args.users)))


if __name__ == "__main__":
    main()
