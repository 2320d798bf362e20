"""Benchmark 4: peak RSS growth while `NemoClient.download` streams a large MP4 to a file.

A tiny aiohttp handler on 127.0.0.1 serves a file of random bytes named `.mp4` (sendfile:
the server side copies nothing into Python). RSS is read from /proc/self/statm every 10 ms
on a thread, so C buffers count too (tracemalloc would miss them).

Then the platform side of a relay: the real `TelegramOutbox` (PTB) sends a 45 MB MP4 (under
the cloud API's 50 MB upload limit) to the Bot API emulator running in another process.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web
from telegram import Bot

from adapters.tg.outbox import TelegramOutbox
from bench.common import Metric, RssSampler, rss_mb
from bench.procs import child
from bench.report import emit
from bot.app_tuning import tune_interpreter
from bot.core.messages import ChatRef
from bot.core.outbox import VideoFile
from bot.nemo import ClientConfig, NemoClient, make_http_client

__all__ = ["measure"]

BENCH = "export relay"
TARGET_MB = 30.0
_MB = 1024 * 1024


def write_random(path: Path, megabytes: int) -> None:
    """A file of random bytes, written a megabyte at a time."""
    with path.open("wb") as out:
        for _ in range(megabytes):
            out.write(os.urandom(_MB))


@asynccontextmanager
async def serve_folder(folder: Path) -> AsyncIterator[str]:
    """Serve `folder/<name>.mp4` on a free loopback port; yields the base URL."""

    async def video(request: web.Request) -> web.FileResponse:
        path = folder / f"{request.match_info['name']}.mp4"
        if not path.is_file():
            raise web.HTTPNotFound
        return web.FileResponse(path, headers={"Content-Type": "video/mp4"})

    app = web.Application()
    app.router.add_get("/renders/{name}.mp4", video)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def telegram_upload(root: Path, megabytes: int) -> tuple[float, float, float]:
    """Peak RSS growth (and RSS before, peak) while `TelegramOutbox.send_video` uploads a
    `megabytes` MP4 to the Bot API emulator (cloud mode: the file is uploaded), the
    emulator in a process of its own."""
    small, big = root / "up-warm.mp4", root / "up-big.mp4"
    write_random(small, 1)
    write_random(big, megabytes)
    chat = ChatRef("telegram", "1", private=True)
    async with child("emulator", "bench.emulator_proc") as emulator:
        url, token = emulator.info["url"], emulator.info["token"]
        async with Bot(token, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot") as bot:
            outbox = TelegramOutbox(bot, local_mode=False)
            await outbox.send_video(chat, VideoFile(small, 1920, 1080, 3.0))
            gc.collect()
            await asyncio.sleep(0.05)
            before = rss_mb()
            with RssSampler(0.01) as sampler:
                await outbox.send_video(chat, VideoFile(big, 1920, 1080, 3.0))
    return sampler.peak - before, before, sampler.peak


async def measure(megabytes: int = 150, upload_megabytes: int = 45) -> list[Metric]:
    """Download a `megabytes` MP4 and report the peak RSS growth."""
    with tempfile.TemporaryDirectory(prefix="nemobot-relay-") as folder:
        root = Path(folder)
        write_random(root / "warmup.mp4", 4)
        write_random(root / "big.mp4", megabytes)
        async with serve_folder(root) as url, make_http_client() as http:
            nemo = NemoClient(http, ClientConfig(base_url=url))
            # Warm the connection pool and code paths, then start from a settled heap.
            await nemo.download(f"{url}/renders/warmup.mp4", root / "warm.out")
            gc.collect()
            await asyncio.sleep(0.05)
            before = rss_mb()
            with RssSampler(0.01) as sampler:
                started = time.perf_counter()
                dest = await nemo.download(f"{url}/renders/big.mp4", root / "big.out")
                took = time.perf_counter() - started
            size = dest.stat().st_size
        growth = sampler.peak - before
        uploaded = await telegram_upload(root, upload_megabytes)
    return [
        Metric(
            BENCH,
            f"peak RSS growth, {megabytes} MB MP4 download",
            round(growth, 1),
            "MB",
            f"< {TARGET_MB:.0f} MB",
            growth < TARGET_MB and size == megabytes * _MB,
            f"RSS {before:.0f} → {sampler.peak:.0f} MB, {sampler.samples} samples",
        ),
        Metric(
            BENCH,
            "download throughput (loopback)",
            round(size / _MB / took),
            "MB/s",
            note=f"{size / _MB:.0f} MB in {took:.2f} s",
        ),
        Metric(
            BENCH,
            f"peak RSS growth, {upload_megabytes} MB MP4 sent by TelegramOutbox (cloud mode)",
            round(uploaded[0], 1),
            "MB",
            note=f"RSS {uploaded[1]:.0f} → {uploaded[2]:.0f} MB; streamed from disk "
            "(`TelegramOutbox._upload`: an open file in PTB's `InputFile`); over 50 MB a link "
            "is sent instead",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.export_memory [--megabytes N]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=150)
    args = parser.parse_args(argv)
    tune_interpreter()  # the client and outbox run in this process: tuned as `nemobot run` is
    emit(asyncio.run(measure(args.megabytes)))


if __name__ == "__main__":
    main()
