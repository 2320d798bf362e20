"""`python -m bench.run`: every benchmark in a fresh process, then bench/RESULTS.md.

A process per benchmark keeps their memory apart (ru_maxrss is a per-process peak) and
leaves no warm caches from one to the next.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Metric, machine, metrics_from_json
from bench.report import MARKER, markdown, table

__all__ = ["main"]

RESULTS = Path(__file__).with_name("RESULTS.md")
ORDER = ("relay", "concurrency", "render", "export_memory")
TIMEOUT = 900.0


def _child_args(name: str, args: argparse.Namespace) -> list[str]:
    if name == "relay":
        return ["--turns", str(args.turns)]
    if name == "concurrency":
        return ["--users", str(args.users), "--exports", str(args.exports)]
    return []


def run_one(name: str, extra: list[str]) -> list[Metric]:
    """Run `python -m bench.<name>` and read its metrics (a crash becomes a failed metric)."""
    command = [sys.executable, "-m", f"bench.{name}", *extra]
    print(f"\n== {name}: {' '.join(command[1:])}", flush=True)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return [Metric(name, "benchmark finished", 0, "", "yes", False, f"timed out ({TIMEOUT}s)")]
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            metrics = metrics_from_json(line[len(MARKER) :])
            print(table(metrics), flush=True)
            return metrics
    tail = " / ".join(done.stderr.strip().splitlines()[-3:])[:300]
    print(done.stderr, file=sys.stderr)
    return [Metric(name, "benchmark finished", 0, "", "yes", False, f"crashed: {tail}")]


def notes(args: argparse.Namespace) -> list[str]:
    """What the run was set up with, for readers of RESULTS.md."""
    return [
        "Everything runs on 127.0.0.1 against the in-process sandbox (`sandbox/`), with "
        "0.02 s between streamed text chunks and 0.2 s of image generation per request; "
        "the outbox only records (a real platform would add its own network time).",
        f"relay: {args.turns} turns of each kind per side, alternating bot and bare client in "
        "random order. Bot = `engine.submit` → last reply recorded; bare = `NemoClient.stream` "
        "to the end (+ downloading the generated image for image turns).",
        f"concurrency: {args.users} users arriving within 1 s, each hello → image → title, "
        f"waiting for every answer; {args.exports:.0%} then export (real ffmpeg renders). "
        "The sandbox runs in the same process and on the same event loop, so RSS, CPU and "
        "loop lag include it.",
        "concurrency, SQLite: 'lock held' is the share of wall time the store's write lock "
        "was taken (reads use a second connection); the idle-loop line is what the same "
        "calls cost with nobody else running.",
        "render: one 3-image project, image_seconds=3, engine render poll 0.2 s.",
        "export relay: a random-bytes MP4 served by aiohttp (sendfile) on loopback, "
        "downloaded with `NemoClient.download`; RSS sampled every 10 ms from /proc/self/statm.",
        "Each benchmark runs in its own process (`python -m bench.<name>` runs one alone).",
    ]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks, write bench/RESULTS.md and print it."""
    parser = argparse.ArgumentParser(description="Run nemobot's benchmarks.")
    parser.add_argument("--users", type=int, default=200, help="concurrency: simulated users")
    parser.add_argument("--exports", type=float, default=0.05, help="share of users exporting")
    parser.add_argument("--turns", type=int, default=30, help="relay: turns per kind and side")
    parser.add_argument("--only", default=",".join(ORDER), help="comma-separated subset")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    metrics: list[Metric] = []
    for name in ORDER:
        if name in args.only.split(","):
            metrics += run_one(name, _child_args(name, args))
    info = {**machine(), "elapsed": time.perf_counter() - started}
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(info, metrics, notes(args), command.strip())
    args.out.write_text(text, encoding="utf-8")
    print("\n" + text)
    print(f"written to {args.out}")
    if args.strict and any(m.passed is False for m in metrics):
        sys.exit(1)


if __name__ == "__main__":
    main()
