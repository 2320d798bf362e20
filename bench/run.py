"""`python -m bench.run`: every benchmark in fresh processes, then bench/RESULTS.md.

Each benchmark is a `python -m bench.<module>` child (its own memory and caches); the
crowd benchmarks start two more processes of their own, the sandbox and the bot.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import Metric, machine, metrics_from_json, metrics_to_json
from bench.limits import limits
from bench.report import MARKER, markdown, table

__all__ = ["FIXES", "main"]

RESULTS = Path(__file__).with_name("RESULTS.md")
RAW = Path(__file__).with_name("results.json")  # the last run's metrics, for --rewrite

# The bot changes recommended in RESULTS.md, applied from bench/botproc.py for the runs
# marked "with fixes" (the bot's code is untouched): A. a 0.5 ms GIL switch interval,
# B. at most 100 backend requests in flight, C. `import sniffio` succeeding.
FIXES = "--switch-interval=0.0005 --backend-cap=100 --sniffio"


@dataclass(frozen=True)
class Bench:
    """One benchmark run: its name (for --only), module, arguments and time limit."""

    name: str
    module: str
    args: tuple[str, ...]
    timeout: float


def plan(args: argparse.Namespace) -> list[Bench]:
    """What `make bench` runs, in order."""
    crowd = ("--kind", "crowd", "--turns", "3", "--exports", f"{args.exports:g}", "--ramp", "10")
    big = (
        *("--kind", "crowd", "--users", str(args.big_users), "--turns", "1", "--exports", "0"),
        *("--ramp", f"{args.big_users / args.big_rate:g}", "--rss-target", "400"),
        *("--chunk-delay", "0.005", "--generation-delay", "0.05"),
    )
    arrival = ("--kind", "arrival", "--users", str(args.users), "--turns", "1", "--exports", "0")
    arrival += ("--ramp", "10")
    return [
        Bench("relay", "bench.relay", ("--turns", str(args.turns)), 180),
        Bench("arrival", "bench.crowd", (*arrival, "--bench", "arrival"), 240),
        Bench(
            "arrival_fixes",
            "bench.crowd",
            (*arrival, "--bench", "arrival, with fixes", f"--bot-args={FIXES}"),
            240,
        ),
        Bench(
            "crowd",
            "bench.crowd",
            (*crowd, "--users", str(args.users), "--bench", f"crowd {args.users}"),
            420,
        ),
        Bench(
            "crowd_fixes",
            "bench.crowd",
            (
                *crowd,
                *("--users", str(args.users), "--bench", f"crowd {args.users}, with fixes"),
                f"--bot-args={FIXES}",
            ),
            300,
        ),
        Bench(
            "crowd_big",
            "bench.crowd",
            (*big, "--bench", f"crowd {args.big_users}, with fixes", f"--bot-args={FIXES}"),
            420,
        ),
        Bench("telegram", "bench.telegram_crowd", ("--users", str(args.telegram_users)), 240),
        Bench("render", "bench.render", (), 120),
        Bench("export_memory", "bench.export_memory", (), 120),
    ]


def run_one(bench: Bench) -> tuple[list[Metric], float]:
    """Run one benchmark child and read its metrics (a crash becomes a failed metric)."""
    command = [sys.executable, "-m", bench.module, *bench.args]
    print(f"\n== {bench.name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=bench.timeout, check=False
        )
    except subprocess.TimeoutExpired:
        failed = Metric(bench.name, "finished", 0, "", "yes", False, f"over {bench.timeout:g} s")
        return [failed], time.perf_counter() - started
    took = time.perf_counter() - started
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            metrics = metrics_from_json(line[len(MARKER) :])
            print(table(metrics), flush=True)
            print(f"({took:.0f} s)", flush=True)
            return metrics, took
    tail = " / ".join(done.stderr.strip().splitlines()[-3:])[:300]
    print(done.stderr, file=sys.stderr)
    return [Metric(bench.name, "finished", 0, "", "yes", False, f"crashed: {tail}")], took


def notes(args: argparse.Namespace, took: dict[str, float]) -> list[str]:
    """How the run was set up, for readers of RESULTS.md."""
    seconds = ", ".join(f"{name} {value:.0f} s" for name, value in took.items())
    return [
        "Processes: the sandbox (`bench.sandbox_proc`) and the bot (`bench.botproc`: engine, "
        "SQLite store, HTTP client and a local ingress standing in for the platform) each "
        "run in their own process; the load generator in a third (see bench/README.md). "
        "relay and render run the engine in the benchmark's process, the sandbox beside it.",
        "Sandbox pace: 0.02 s between streamed text chunks, 0.2 s of image generation. The "
        "crowds render exports with `--image-seconds 1 --preset ultrafast` (1080p, 25 fps) "
        "so the backend's ffmpeg does not take the 2 cores from the bot; the render "
        "benchmark keeps 3 s per image and `veryfast`.",
        f"crowd {args.users}: {args.users} users arriving within 10 s; hello → image → title, "
        f"each waiting for its answer and pausing 0-1 s; {args.exports:.0%} then export.",
        f"crowd {args.big_users}: one turn (hello) per user, no exports, arrivals within "
        f"{args.big_users / args.big_rate:g} s ({args.big_rate:g}/s), sandbox delays lowered to "
        "0.005 s per chunk and 0.05 s per image, and only with fixes: the bot as shipped "
        f"already loses answers at {args.users} users (row 'crowd {args.users}'), and its "
        "backlog would not drain within the ten minutes.",
        f"'with fixes' = `bench.botproc {FIXES}`: the changes A, B, C recommended below, "
        "applied inside the bot process by bench/botproc.py (the bot's code is unchanged).",
        f"telegram: {args.telegram_users} users, 2 turns, through the real TelegramAdapter "
        "long-polling the Bot API emulator of the tests (in the generator's process).",
        f"Time per benchmark: {seconds}.",
    ]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks, write bench/RESULTS.md and print it."""
    parser = argparse.ArgumentParser(description="Run nemobot's benchmarks.")
    parser.add_argument("--users", type=int, default=1000, help="arrival and crowd users")
    parser.add_argument("--big-users", type=int, default=10_000, help="the large crowd")
    parser.add_argument("--big-rate", type=float, default=80.0, help="its arrivals per second")
    parser.add_argument("--telegram-users", type=int, default=100)
    parser.add_argument("--exports", type=float, default=0.05, help="share of users exporting")
    parser.add_argument("--turns", type=int, default=30, help="relay: turns per kind and side")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated subset of: " + ", ".join(b.name for b in plan(parser.parse_args([]))),
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--rewrite", action="store_true", help="re-render RESULTS.md from bench/results.json"
    )
    args = parser.parse_args(argv)
    if args.rewrite:
        saved = json.loads(RAW.read_text(encoding="utf-8"))
        args = argparse.Namespace(**{**vars(args), **saved["args"]})
        metrics_saved = metrics_from_json(json.dumps(saved["metrics"]))
        notes_saved = notes(args, saved["took"])
        text = markdown(
            saved["info"], metrics_saved, notes_saved, limits(metrics_saved), saved["command"]
        )
        args.out.write_text(text, encoding="utf-8")
        print(text)
        return
    started = time.perf_counter()
    chosen = set(args.only.split(",")) if args.only else None
    metrics: list[Metric] = []
    took: dict[str, float] = {}
    for bench in plan(args):
        if chosen is None or bench.name in chosen:
            found, took[bench.name] = run_one(bench)
            metrics += found
    info = {**machine(), "elapsed": time.perf_counter() - started}
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(info, metrics, notes(args, took), limits(metrics), command.strip())
    args.out.write_text(text, encoding="utf-8")
    kept = {k: v for k, v in vars(args).items() if k not in ("out", "rewrite", "strict")}
    raw = {
        "info": info,
        "args": kept,
        "took": took,
        "command": command.strip(),
        "metrics": json.loads(metrics_to_json(metrics)),
    }
    RAW.write_text(json.dumps(raw, indent=1, ensure_ascii=False), encoding="utf-8")
    print("\n" + text)
    print(f"written to {args.out}")
    if args.strict and any(m.passed is False for m in metrics):
        sys.exit(1)


if __name__ == "__main__":
    main()
