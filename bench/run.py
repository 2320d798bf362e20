"""`python -m bench.run`: every benchmark in fresh processes, then bench/RESULTS.md.

Each benchmark is a `python -m bench.<module>` child (its own memory and caches); the
crowd benchmarks start two more processes of their own, the sandbox and the bot.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import Metric, busy_seconds, machine, metrics_from_json, metrics_to_json
from bench.limits import limits
from bench.report import MARKER, markdown, table

__all__ = ["main"]

RESULTS = Path(__file__).with_name("RESULTS.md")
RAW = Path(__file__).with_name("results.json")  # the last run's metrics, for --rewrite


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
            "crowd",
            "bench.crowd",
            (*crowd, "--users", str(args.users), "--bench", f"crowd {args.users}"),
            300,
        ),
        Bench("crowd_big", "bench.crowd", (*big, "--bench", f"crowd {args.big_users}"), 420),
        Bench("telegram", "bench.telegram_crowd", ("--users", str(args.telegram_users)), 240),
        Bench("render", "bench.render", (), 120),
        Bench("export_memory", "bench.export_memory", (), 120),
        Bench("storyboard", "bench.storyboard", (), 120),
        Bench("scale", "bench.scale", ("--users", str(args.scale_users)), 480),
        Bench("render_delay", "bench.render_delay", ("--users", "8"), 900),
        Bench("soak", "bench.soak", ("--seeds", args.soak_seeds), 1800),
    ]


def _ours_seconds() -> float:
    """CPU time of this process and of every benchmark process it (or they) reaped."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime


class Load:
    """CPU the rest of the machine used while a benchmark ran: busy time minus ours."""

    def __enter__(self) -> Load:
        self._busy, self._ours = busy_seconds(), _ours_seconds()
        self.other = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        busy, ours = busy_seconds() - self._busy, _ours_seconds() - self._ours
        self.other = max(0.0, busy - ours)


def run_one(bench: Bench) -> tuple[list[Metric], float, float]:
    """Run one benchmark child and read its metrics (a crash becomes a failed metric);
    also the seconds it took and the CPU seconds other processes used meanwhile."""
    command = [sys.executable, "-m", bench.module, *bench.args]
    print(f"\n== {bench.name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    with Load() as load:
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=bench.timeout, check=False
            )
        except subprocess.TimeoutExpired:
            done = None
    took = time.perf_counter() - started
    if done is None:
        failed = Metric(bench.name, "finished", 0, "", "yes", False, f"over {bench.timeout:g} s")
        return [failed], took, load.other
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            metrics = metrics_from_json(line[len(MARKER) :])
            print(table(metrics), flush=True)
            print(f"({took:.0f} s; other processes {load.other:.1f} CPU-s)", flush=True)
            return metrics, took, load.other
    tail = " / ".join(done.stderr.strip().splitlines()[-3:])[:300]
    print(done.stderr, file=sys.stderr)
    failed = Metric(bench.name, "finished", 0, "", "yes", False, f"crashed: {tail}")
    return [failed], took, load.other


def _load_note(took: dict[str, float], other: dict[str, float]) -> str:
    if not other:
        return "Other load on the machine: not recorded."
    parts = ", ".join(
        f"{name} {other.get(name, 0.0):.0f} CPU-s in {seconds:.0f} s "
        f"({other.get(name, 0.0) / (seconds * (os.cpu_count() or 1)):.0%})"
        for name, seconds in took.items()
    )
    return (
        "Other load on the machine (CPU time outside the benchmark's processes, kernel work "
        "such as writeback included: /proc/stat's busy time minus this run's own, as a share "
        f"of all {os.cpu_count()} cores): {parts}."
    )


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout if done.returncode == 0 else ""


def tree(since: float) -> str:
    """Which code was measured: the commit, and files changed outside bench/ (those edited
    after `since`, a time.time() stamp, marked: someone changed them during the run)."""
    root = Path(__file__).resolve().parent.parent
    commit = _git("-C", str(root), "rev-parse", "--short", "HEAD").strip()
    if not commit:
        return ""
    changed: list[str] = []
    for line in _git("-C", str(root), "status", "--porcelain", "--", ".", ":!bench").splitlines():
        path = line[3:].strip()
        try:
            during = (root / path).stat().st_mtime >= since
        except OSError:
            during = False
        changed.append(f"{path} (edited during the run)" if during else path)
    if not changed:
        return f"commit {commit}, no uncommitted changes outside bench/"
    return f"commit {commit}; uncommitted outside bench/ at the end: " + ", ".join(changed)


def notes(
    args: argparse.Namespace,
    took: dict[str, float],
    other: dict[str, float],
    code: str = "",
) -> list[str]:
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
        "0.005 s per chunk and 0.05 s per image (memory and CPU per user at about the pace "
        "one core of this machine serves).",
        "The bot is the one shipped: `bench.botproc` calls `bot.app_tuning.tune_interpreter()` "
        "(0.1 ms GIL switch interval, rare full collections) before its loop, as "
        "`nemobot run` does, and uses "
        "`make_http_client()` with its default `CappedTransport` (150 agent turns + 50 other "
        "requests in flight); sniffio is installed. relay, render and export relay call "
        "`tune_interpreter()` too.",
        f"telegram: {args.telegram_users} users, 2 turns, through the real TelegramAdapter "
        "long-polling the Bot API emulator of the tests (in the generator's process).",
        f"scale: {getattr(args, 'scale_users', 400)} users arriving within 5 s, hello → image "
        "→ title with 0-1 s pauses, no exports, the crowds' sandbox pace; one bot on SQLite, "
        "then 1, 2 and 4 `bench.botproc` workers on one PostgreSQL database (a throwaway "
        "cluster from Debian's binaries with its default durability: fsync and synchronous "
        "commits on), each message sent to the next worker in turn.",
        f"Time per benchmark: {seconds}.",
        _load_note(took, other),
        *([f"Code measured: {code}."] if code else []),
    ]


@dataclass
class _Earlier:
    """The figures of the last run (bench/results.json), for the benchmarks not re-run."""

    metrics: list[Metric]
    took: dict[str, float]
    other: dict[str, float]

    def of(self, bench: Bench) -> list[Metric]:
        """The figures `bench` wrote last time (a crowd's group is named by its --bench)."""
        group = _GROUPS.get(bench.name, bench.name)
        if "--bench" in bench.args:
            group = bench.args[bench.args.index("--bench") + 1]
        many = group in _SEVERAL  # the scale benchmark writes "scale SQLite ×1", …
        return [m for m in self.metrics if m.bench == group or (many and m.bench.startswith(group))]


_GROUPS = {"export_memory": "export relay", "render_delay": "render delay"}
_SEVERAL = {"scale"}


def _earlier(chosen: set[str] | None) -> _Earlier:
    if chosen is None or not RAW.is_file():
        return _Earlier([], {}, {})
    saved = json.loads(RAW.read_text(encoding="utf-8"))
    metrics = metrics_from_json(json.dumps(saved["metrics"]))
    return _Earlier(metrics, saved.get("took", {}), saved.get("other_cpu", {}))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks, write bench/RESULTS.md and print it."""
    parser = argparse.ArgumentParser(description="Run nemobot's benchmarks.")
    parser.add_argument("--users", type=int, default=1000, help="arrival and crowd users")
    parser.add_argument("--big-users", type=int, default=10_000, help="the large crowd")
    parser.add_argument("--big-rate", type=float, default=80.0, help="its arrivals per second")
    parser.add_argument("--telegram-users", type=int, default=100)
    parser.add_argument("--scale-users", type=int, default=400, help="the scale crowd's users")
    parser.add_argument("--soak-seeds", default="1-20", help="the long soak's seeds")
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
        code = saved["info"].get("tree", "")
        notes_saved = notes(args, saved["took"], saved.get("other_cpu", {}), code)
        paragraphs = limits(metrics_saved, saved["took"], saved.get("other_cpu"))
        text = markdown(saved["info"], metrics_saved, notes_saved, paragraphs, saved["command"])
        args.out.write_text(text, encoding="utf-8")
        print(text)
        return
    started, wall_start = time.perf_counter(), time.time()
    chosen = set(args.only.split(",")) if args.only else None
    metrics: list[Metric] = []
    took: dict[str, float] = {}
    other: dict[str, float] = {}
    kept = _earlier(chosen)  # with --only, the other benchmarks' last figures stay
    for bench in plan(args):
        if chosen is None or bench.name in chosen:
            found, took[bench.name], other[bench.name] = run_one(bench)
            metrics += found
        elif bench.name in kept.took:
            metrics += kept.of(bench)
            took[bench.name] = kept.took[bench.name]
            other[bench.name] = kept.other.get(bench.name, 0.0)
    info = {**machine(), "elapsed": time.perf_counter() - started, "tree": tree(wall_start)}
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    paragraphs = limits(metrics, took, other)
    text = markdown(
        info, metrics, notes(args, took, other, info["tree"]), paragraphs, command.strip()
    )
    args.out.write_text(text, encoding="utf-8")
    kept = {k: v for k, v in vars(args).items() if k not in ("out", "rewrite", "strict")}
    raw = {
        "info": info,
        "args": kept,
        "took": took,
        "other_cpu": other,
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
