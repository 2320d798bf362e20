"""`python -m bench.sandbox_proc [options]`: the NemoVideo sandbox in a process of its own.

Like `python -m sandbox --port N`, with the knobs the benchmarks set (streaming pace,
image-generation wait, render cost) and a free port; prints `READY {"url": …}` once it
serves and stops on SIGTERM. Its CPU (Pillow, aiohttp, ffmpeg renders as its children) is
then its own, not the bot's.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from bench.procs import ready, wait_for_stop
from sandbox import SandboxOptions, run_sandbox

__all__ = ["main", "options_args"]

# The pace of the benchmarks' sandbox: 0.02 s between text chunks (the sandbox default) and
# 0.2 s of image generation per request.
CHUNK_DELAY = 0.02
GENERATION_DELAY = 0.2


def options_args(
    *,
    chunk_delay: float = CHUNK_DELAY,
    generation_delay: float = GENERATION_DELAY,
    image_seconds: float = 3.0,
    preset: str = "veryfast",
    fps: int = 25,
    render_seconds: tuple[float, float] = (0.0, 0.0),
    render_progress: str = "ffmpeg",
) -> list[str]:
    """The command line for these options (for `bench.procs.child`)."""
    low, high = render_seconds
    return [
        *("--chunk-delay", f"{chunk_delay:g}", "--generation-delay", f"{generation_delay:g}"),
        *("--image-seconds", f"{image_seconds:g}", "--preset", preset, "--fps", str(fps)),
        *("--render-min", f"{low:g}", "--render-max", f"{high:g}"),
        *("--render-progress", render_progress),
    ]


async def _serve(options: SandboxOptions) -> None:
    async with run_sandbox(options) as running:
        ready(url=running.url)
        await wait_for_stop()


def main(argv: list[str] | None = None) -> None:
    """Parse the options and serve until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk-delay", type=float, default=CHUNK_DELAY)
    parser.add_argument("--generation-delay", type=float, default=GENERATION_DELAY)
    parser.add_argument("--image-seconds", type=float, default=3.0)
    parser.add_argument("--preset", default="veryfast", help="x264 preset of renders")
    parser.add_argument("--fps", type=int, default=25, help="frame rate of renders")
    parser.add_argument("--render-min", type=float, default=0.0, help="seconds a render takes")
    parser.add_argument("--render-max", type=float, default=0.0, help="…up to (per render)")
    parser.add_argument("--render-progress", default="ffmpeg", help="steady, lumpy or ffmpeg")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    options = SandboxOptions(
        chunk_delay_seconds=args.chunk_delay,
        generation_delay_seconds=args.generation_delay,
        image_seconds=args.image_seconds,
        render_preset=args.preset,
        render_fps=args.fps,
        render_min_seconds=args.render_min,
        render_max_seconds=args.render_max,
        render_progress=args.render_progress,
        max_concurrent_renders=16,
        initial_credits=1_000_000,
    )
    asyncio.run(_serve(options))


if __name__ == "__main__":
    main()
