"""Benchmark: /status as a picture, the storyboard of a 20-segment draft.

Twenty 1024-pixel images (the sandbox's placeholder art), music over them and a title. The
bot's own `Storyboard` draws it, with the fonts this machine has: first cold (the twenty
thumbnails downloaded from a local sandbox, decoded and shrunk), then warm, as every later
/status of the session is (thumbnails kept). The PNG's size is measured for that art and
for thumbnails of random noise, the worst case for PNG.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from bench.common import Metric, percentile
from bench.report import emit
from bot.app_tuning import tune_interpreter
from bot.core.scratch import Scratch
from bot.core.storyboard import Storyboard
from bot.core.storyboard.draw import THUMB_HEIGHT, render
from bot.core.storyboard.fonts import system_fonts
from bot.core.storyboard.layout import Board, plan
from bot.nemo import ClientConfig, GeneratedMedia, NemoClient, SessionState, make_http_client
from sandbox import SandboxOptions, run_sandbox
from sandbox.images import generate_image

__all__ = ["measure"]

BENCH = "storyboard"
SEGMENTS = 20
TIME_TARGET_MS, SIZE_TARGET_KB = 150.0, 300.0


def twenty(base_url: str, media_dir: Path) -> SessionState:
    """A draft of twenty generated images (files made in `media_dir`), music and a title."""
    segments, media = [], []
    for n in range(SEGMENTS):
        name = f"bench_{n}.png"
        generate_image(f"picture {n} of a harbour at dawn", "1:1", media_dir / name, n)
        url = f"{base_url}/media/{name}"
        meta = {"name": f"picture {n} of a harbour at dawn", "src": f"/mnt/userdata/s/{name}"}
        segments.append({"id": f"s{n}", "st": n * 3000, "d": 3000, "m": meta})
        media.append(GeneratedMedia(f"g{n}", "image", url, meta["name"]))
    music = {"id": "m", "st": 0, "d": SEGMENTS * 3000, "m": {"name": "Lo-fi", "volume": 0.35}}
    title = {"id": "t", "st": 0, "d": 3000, "m": {"text": "Harbour at dawn"}}
    tracks = [{"tt": 0, "sg": segments}, {"tt": 1, "sg": [music]}, {"tt": 7, "sg": [title]}]
    draft = {"t": tracks, "d": SEGMENTS * 3000, "m": {"title": "Harbour at dawn"}}
    return SessionState(draft, tuple(media))


async def _draw_times(board: Storyboard, plan_of: Board, runs: int) -> tuple[list[float], int]:
    """Milliseconds of each warm draw (thumbnails kept), and the PNG's size in bytes."""
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        png = await board.draw("bench-session", plan_of, "en")
        times.append((time.perf_counter() - started) * 1000)
        size = len(png or b"")
    return times, size


def _noise_size(plan_of: Board) -> int:
    """The PNG's size when every thumbnail is random noise (PNG cannot compress it)."""
    width = THUMB_HEIGHT * 16 // 9
    thumbs = {
        m.key: Image.frombytes("RGB", (width, THUMB_HEIGHT), os.urandom(width * THUMB_HEIGHT * 3))
        for m in plan_of.media()
    }
    return len(render(plan_of, thumbs, system_fonts(), "en"))


async def measure(runs: int = 30) -> list[Metric]:
    """Draw the 20-segment storyboard cold once, then `runs` times warm."""
    with tempfile.TemporaryDirectory(prefix="bench-board-") as work:
        options = SandboxOptions(data_dir=Path(work) / "sandbox")
        async with run_sandbox(options) as running, make_http_client() as http:
            state = twenty(running.url, running.sandbox.media_dir)
            nemo = NemoClient(http, ClientConfig(base_url=running.url))
            board = Storyboard(nemo, Scratch(Path(work)))
            plan_of = plan(state, "en")
            assert plan_of is not None
            started = time.perf_counter()
            cold = await board.draw("bench-session", plan_of, "en")
            cold_ms = (time.perf_counter() - started) * 1000
            times, size = await _draw_times(board, plan_of, runs)
    assert cold is not None
    with Image.open(io.BytesIO(cold)) as image:
        shape = f"{image.width}x{image.height} PNG"
    return _metrics(times, size, _noise_size(plan_of), cold_ms, shape)


def _metrics(times: list[float], size: int, noise: int, cold_ms: float, shape: str) -> list[Metric]:
    median, p95 = statistics.median(times), percentile(times, 95)
    found = ", ".join(Path(font.path).name for font in system_fonts().fallbacks)
    fonts = f"fonts: Pillow's own, then {found}" if found else "fonts: Pillow's own only"
    return [
        Metric(
            BENCH,
            f"{SEGMENTS}-segment storyboard drawn (thumbnails kept), p95",
            round(p95, 1),
            "ms",
            f"< {TIME_TARGET_MS:g} ms",
            p95 < TIME_TARGET_MS,
            f"p50 {median:.1f} ms, max {max(times):.1f} ms over {len(times)} draws; {shape}; "
            f"{fonts}",
        ),
        Metric(
            BENCH,
            f"{SEGMENTS}-segment storyboard PNG, placeholder art",
            round(size / 1000, 1),
            "KB",
            f"< {SIZE_TARGET_KB:g} KB",
            size / 1000 < SIZE_TARGET_KB,
        ),
        Metric(
            BENCH,
            f"{SEGMENTS}-segment storyboard PNG, noise thumbnails (worst case)",
            round(noise / 1000, 1),
            "KB",
            f"< {SIZE_TARGET_KB:g} KB",
            noise / 1000 < SIZE_TARGET_KB,
        ),
        Metric(
            BENCH,
            "first /status of a session: 20 thumbnails fetched, then drawn",
            round(cold_ms, 1),
            "ms",
            note="1024 px PNGs from a sandbox on loopback, 4 at a time",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.storyboard [--runs N]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    tune_interpreter()  # drawn in this process, tuned as `nemobot run` is
    emit(asyncio.run(measure(args.runs)))


if __name__ == "__main__":
    main()
