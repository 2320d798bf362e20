"""Benchmark 3: one 3-image 1080p export through the engine, "export" → video delivered.

The sandbox renders with real ffmpeg (3 s per image, crossfades); the engine polls every
0.2 s, downloads the MP4, probes it, makes a thumbnail and sends it. The sandbox runs in
its own process; a watcher polls its `/_sandbox/stats` every 10 ms to note when the backend
finished, to split backend from bot time.
"""

from __future__ import annotations

import argparse
import asyncio

import httpx

from bench.common import Metric, monotonic
from bench.report import emit
from bench.sandbox_proc import options_args
from bench.wiring import BenchBot, bench_bot
from bot.app_tuning import tune_interpreter

__all__ = ["measure"]

BENCH = "render"
USER = "render-user"


async def _backend_done(bot: BenchBot) -> float:
    """When the sandbox marked its (only) render completed (within the 10 ms poll)."""
    async with httpx.AsyncClient(base_url=bot.sandbox.info["url"]) as client:
        while True:
            stats = (await client.get("/_sandbox/stats")).json()["data"]
            if "completed" in stats["renders"].values():
                return monotonic()
            await asyncio.sleep(0.01)


async def measure(image_seconds: float = 3.0, poll_seconds: float = 0.2) -> list[Metric]:
    """Time one export of a three-image project."""
    options = options_args(image_seconds=image_seconds)
    async with bench_bot(options, render_poll_seconds=poll_seconds) as bot:
        await bot.engine.submit(bot.message(USER, "generate three images of a harbour at sunrise"))
        await bot.outbox.wait_until(USER, finals=1, images=3)
        await bot.engine.wait_idle(renders=False)
        watcher = asyncio.create_task(_backend_done(bot))
        started = monotonic()
        await bot.engine.submit(bot.message(USER, "export"))
        async with asyncio.timeout(300):
            await bot.outbox.wait_until(USER, videos=1)
        delivered = monotonic()
        backend = await watcher
        await bot.engine.wait_idle()
        video = next(r for r in bot.outbox.chats[USER] if r.code == "V")
    total = delivered - started
    return [
        Metric(
            BENCH,
            "3-image 1080p export, submit → video delivered",
            round(total, 2),
            "s",
            note=f"{image_seconds:g} s per image, poll {poll_seconds:g} s, "
            f"{video.size / 1e6:.1f} MB MP4",
        ),
        Metric(
            BENCH,
            "of which backend render (ffmpeg)",
            round(backend - started, 2),
            "s",
            note="submit → sandbox job completed",
        ),
        Metric(
            BENCH,
            "of which bot delivery",
            round(delivered - backend, 2),
            "s",
            note="poll wait + download + probe + thumbnail + send",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.render [--image-seconds S] [--poll S]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-seconds", type=float, default=3.0)
    parser.add_argument("--poll", type=float, default=0.2)
    args = parser.parse_args(argv)
    tune_interpreter()  # the engine runs in this process: tuned as `nemobot run` is
    emit(asyncio.run(measure(args.image_seconds, args.poll)))


if __name__ == "__main__":
    main()
