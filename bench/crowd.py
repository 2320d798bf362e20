"""Benchmarks 2-4: crowds of simulated users against the bot in its own process.

`python -m bench.crowd --users N [--turns K] [--exports SHARE] [--ramp S] [--kind K]`

N users arrive at random within `ramp` seconds. Each says "hello", asks for an image, adds
a title (the first `turns` of those), waiting for every answer and reading it for a moment
before the next; a share then exports (real ffmpeg renders in the sandbox). Three
processes: this load generator, the bot (`bench.botproc`: engine, SQLite, HTTP client,
an ingress standing in for the platform) and the sandbox (`bench.sandbox_proc`).

Afterwards every chat must hold exactly one finished answer per turn sent, one image per
image turn and, for exporters, one video: anything else is a lost or duplicated reply.

`--kind arrival` reports the acknowledgement side (1,000 users × one message is the
issue's figure); `--kind crowd` the conversation side.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from bench.common import Metric, monotonic, percentile
from bench.loadgen import Replies, running_bot
from bench.report import emit
from bench.sandbox_proc import options_args

__all__ = ["Client", "Outcome", "conversation", "play_user", "run_crowd", "tally"]


class Client(Protocol):
    """What a simulated user talks to: one bot, or several workers behind a balancer."""

    replies: Replies

    async def submit(self, user: str, text: str) -> float: ...


TURN_TIMEOUT = 120.0
EXPORT_TIMEOUT = 300.0


def conversation(i: int) -> list[tuple[str, int]]:
    """User `i`'s messages and how many images each one should bring."""
    return [
        ("hello", 0),
        (f"generate an image of a red kite over hill number {i}", 1),
        (f"add a title: Day {i}", 0),
    ]


@dataclass
class Outcome:
    """What the users saw and what the processes measured."""

    users: int
    turns: int
    ramp: float
    exporters: int
    wall: float = 0.0
    turn_seconds: dict[str, list[float]] = field(default_factory=dict)  # by turn kind
    export_seconds: list[float] = field(default_factory=list)
    timeouts: int = 0
    expected: dict[str, int] = field(default_factory=dict)  # per "user:code"
    lost: int = 0
    duplicated: int = 0
    trouble: int = 0
    queued: int = 0
    acks: list[float] = field(default_factory=list)
    ack_errors: int = 0
    report: dict[str, Any] = field(default_factory=dict)
    receive_lag: list[float] = field(default_factory=list)
    events: int = 0
    warnings: Counter[str] = field(default_factory=Counter)  # the bot's log, digits masked

    @property
    def all_turns(self) -> list[float]:
        return [s for values in self.turn_seconds.values() for s in values]

    @property
    def answers(self) -> int:
        return len(self.all_turns) + len(self.export_seconds)


_KINDS = ("text", "image", "title")


async def play_user(
    bot: Client,
    out: Outcome,
    i: int,
    arrive: float,
    exports: bool,
    think: float,
    rng: random.Random,
) -> None:
    chat = f"user-{i}"
    pauses = [rng.uniform(0, 2 * think) for _ in range(out.turns)]
    await asyncio.sleep(max(0.0, arrive - monotonic()))
    images = 0
    for k, (text, new_images) in enumerate(conversation(i)[: out.turns]):
        images += new_images
        try:
            started = await bot.submit(chat, text)
        except (aiohttp.ClientError, TimeoutError):
            return
        out.expected[f"{chat}:F"] = k + 1
        out.expected[f"{chat}:I"] = images
        try:
            async with asyncio.timeout(TURN_TIMEOUT):
                answered = await bot.replies.wait_for(chat, finals=k + 1, images=images)
        except TimeoutError:
            out.timeouts += 1
            return
        out.turn_seconds.setdefault(_KINDS[k], []).append(answered - started)
        await asyncio.sleep(pauses[k])  # reading the answer
    if exports:
        try:
            started = await bot.submit(chat, "export")
        except (aiohttp.ClientError, TimeoutError):
            return
        out.expected[f"{chat}:V"] = 1
        try:
            async with asyncio.timeout(EXPORT_TIMEOUT):
                delivered = await bot.replies.wait_for(chat, videos=1)
        except TimeoutError:
            out.timeouts += 1
            return
        out.export_seconds.append(delivered - started)


def tally(bot: Client, out: Outcome) -> None:
    """Lost and duplicated finished answers, images and videos; stray texts."""
    for i in range(out.users):
        chat = f"user-{i}"
        for code in "FIV":
            want = out.expected.get(f"{chat}:{code}", 0)
            got = bot.replies.count(chat, code)
            out.lost += max(0, want - got)
            out.duplicated += max(0, got - want)
    out.trouble = bot.replies.total("X")
    out.queued = bot.replies.total("Q")


async def run_crowd(
    users: int,
    *,
    turns: int = 3,
    export_share: float = 0.05,
    ramp: float = 10.0,
    think: float = 0.5,
    sandbox_args: list[str] | None = None,
    bot_args: list[str] | None = None,
    seed: int = 11,
) -> Outcome:
    """Run the crowd against fresh sandbox and bot processes."""
    rng = random.Random(seed)
    exporters = set(rng.sample(range(users), round(users * export_share)))
    out = Outcome(users, turns, ramp, len(exporters))
    async with running_bot(sandbox_args=sandbox_args, bot_args=bot_args) as bot:
        await asyncio.sleep(0.2)  # let both settle after start
        cpu_before = bot.cpu()
        start = monotonic() + 0.1
        arrivals = sorted(rng.uniform(0, ramp) for _ in range(users))
        await asyncio.gather(
            *(
                play_user(bot, out, i, start + arrivals[i], i in exporters, think, rng)
                for i in range(users)
            )
        )
        await bot.idle()
        out.wall = monotonic() - start
        await asyncio.sleep(0.3)  # the last reply lines in flight
        out.report = await bot.report()
        cpu_after = bot.cpu()
        tally(bot, out)
        out.acks, out.ack_errors = bot.acks, bot.ack_errors
        out.receive_lag = bot.replies.receive_lag
        out.events = bot.replies.lines
        out.warnings = Counter(re.sub(r"\d+", "N", w)[:160] for w in bot.bot.warnings())
    out.report["cpu_delta"] = [a - b for a, b in zip(cpu_after, cpu_before, strict=True)]
    return out


def _ms(values: list[float], q: float) -> float:
    return round(percentile(values, q) * 1000, 1)


def _cpu_note(out: Outcome) -> str:
    bot, sandbox, generator = out.report["cpu_delta"]
    cores = 2 * out.wall
    return (
        f"bot {bot:.0f} s, sandbox+ffmpeg {sandbox:.0f} s, generator {generator:.0f} s "
        f"of {cores:.0f} core-s ({(bot + sandbox + generator) / cores:.0%} of 2 cores)"
    )


def _warnings(out: Outcome, bench: str) -> Metric:
    total = sum(out.warnings.values())
    top = "; ".join(f"{n}× {text}" for text, n in out.warnings.most_common(2))
    return Metric(bench, "bot warnings logged", total, "", note=top.replace("bot: ", ""))


def arrival_metrics(out: Outcome, bench: str, target_ms: float) -> list[Metric]:
    """Benchmark 2: what a platform's acknowledgement waits on while a crowd arrives."""
    report = out.report
    submit = report["submit"]
    enqueue = report["enqueue"]
    p99 = _ms(submit, 99)
    turns = out.all_turns
    return [
        Metric(
            bench,
            "users arriving",
            out.users,
            "",
            note=f"within {out.ramp:g} s, one 'hello' each ({out.users / out.ramp:.0f}/s)",
        ),
        Metric(
            bench,
            "acknowledgement at the edge p99",
            p99,
            "ms",
            f"< {target_ms:g} ms",
            p99 < target_ms,
            f"p50 {_ms(submit, 50)} ms, max {_ms(submit, 100)} ms, n={len(submit)}; in the bot: "
            "the webhook-like front door's engine.submit, on the accepting thread (its loop's "
            f"lag p99 {report.get('edge_lag_p99', 0.0) * 1000:.0f} ms)",
        ),
        Metric(
            bench,
            "store.accept p99 (in the bot)",
            _ms(enqueue, 99),
            "ms",
            note=f"p50 {_ms(enqueue, 50)} ms; the write itself, inside submit",
        ),
        Metric(
            bench,
            "acknowledgement p99, seen by the generator",
            _ms(out.acks, 99),
            "ms",
            note=f"p50 {_ms(out.acks, 50)} ms, max {_ms(out.acks, 100)} ms, n={len(out.acks)}, "
            f"{out.ack_errors} errors; POST /submit sent → answered (the generator's own loop "
            "lag included)",
        ),
        Metric(
            bench,
            "lost / duplicated answers",
            out.lost + out.duplicated,
            "",
            "= 0",
            out.lost + out.duplicated == 0,
            f"{out.lost} lost, {out.duplicated} duplicated, {out.trouble} error texts",
        ),
        Metric(
            bench,
            "turn latency p50 / p95",
            _ms(turns, 50),
            "ms",
            note=f"p95 {_ms(turns, 95)} ms; submit → finished answer sent",
        ),
        Metric(
            bench,
            "bot event loop lag p99",
            round(report["lag_p99"] * 1000, 1),
            "ms",
            note=f"max {report['lag_max'] * 1000:.0f} ms (10 ms timer in the bot process)",
        ),
        Metric(bench, "CPU", round(out.report["cpu_delta"][0], 1), "s (bot)", note=_cpu_note(out)),
        _warnings(out, bench),
    ]


def crowd_metrics(
    out: Outcome, bench: str, rss_target: float, ack_target: float = 200.0
) -> list[Metric]:
    """Benchmarks 3-4: correctness, throughput, latency and memory of a talking crowd."""
    report = out.report
    turns = out.all_turns
    peak = report["hwm_mb"]
    grown = (peak - report["rss_ready_mb"]) * 1024 / out.users
    kinds = "hello → image → title"[: {1: 5, 2: 13}.get(out.turns, 99)]
    lines = [
        Metric(
            bench,
            "users",
            out.users,
            "",
            note=f"{out.turns} turns each ({kinds}), {out.exporters} also export; "
            f"arrivals within {out.ramp:g} s",
        ),
        Metric(
            bench, "lost replies", out.lost, "", "= 0", out.lost == 0, f"{out.timeouts} timeouts"
        ),
        Metric(bench, "duplicated replies", out.duplicated, "", "= 0", out.duplicated == 0),
        Metric(bench, "error or stray texts", out.trouble, "", "= 0", out.trouble == 0),
        _warnings(out, bench),
        Metric(
            bench,
            "queue-place notices",
            out.queued,
            "",
            note="next message sent while the bot was still closing a turn",
        ),
        Metric(bench, "total time", round(out.wall, 1), "s", note="first arrival → bot idle"),
        Metric(
            bench,
            "throughput",
            round(out.answers / out.wall, 1),
            "answers/s",
            note=f"{out.answers} answers (turns + exports) / total time",
        ),
        Metric(
            bench,
            "turn latency p50",
            _ms(turns, 50),
            "ms",
            note=f"n={len(turns)}; submit → finished answer (+ image) sent",
        ),
        Metric(bench, "turn latency p95", _ms(turns, 95), "ms", note=f"p99 {_ms(turns, 99)} ms"),
    ]
    for kind, values in out.turn_seconds.items():
        lines.append(
            Metric(
                bench,
                f"{kind} turn latency p95",
                _ms(values, 95),
                "ms",
                note=f"p50 {_ms(values, 50)} ms, n={len(values)}",
            )
        )
    if out.export_seconds:
        lines.append(
            Metric(
                bench,
                "export latency p95",
                round(percentile(out.export_seconds, 95), 1),
                "s",
                note=f"p50 {percentile(out.export_seconds, 50):.1f} s, "
                f"n={len(out.export_seconds)}; submit → video sent",
            )
        )
    lines += [
        Metric(
            bench,
            "peak RSS of the bot process",
            round(peak, 1),
            "MB",
            f"< {rss_target:g} MB",
            peak < rss_target,
            f"VmHWM; {report['rss_ready_mb']:.0f} MB at start, {report['rss_mb']:.0f} MB at "
            f"the end; {grown:.0f} kB per user above start",
        ),
        Metric(
            bench,
            "acknowledgement at the edge p99",
            _ms(report["submit"], 99),
            "ms",
            f"< {ack_target:g} ms",
            _ms(report["submit"], 99) < ack_target,
            f"p50 {_ms(report['submit'], 50)} ms; store.accept p99 "
            f"{_ms(report['enqueue'], 99)} ms; the accepting loop's lag p99 "
            f"{report.get('edge_lag_p99', 0.0) * 1000:.0f} ms; seen by the generator: p99 "
            f"{_ms(out.acks, 99)} ms",
        ),
        Metric(
            bench,
            "bot event loop lag p99",
            round(report["lag_p99"] * 1000, 1),
            "ms",
            note=f"p50 {report['lag_p50'] * 1000:.1f} ms, max {report['lag_max'] * 1000:.0f} ms",
        ),
        Metric(
            bench,
            "bot CPU per answer",
            round(out.report["cpu_delta"][0] / max(1, out.answers) * 1000, 1),
            "ms",
            note=_cpu_note(out),
        ),
    ]
    return lines


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run the crowd, print the metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=3, choices=(1, 2, 3))
    parser.add_argument("--exports", type=float, default=0.05, help="share of users exporting")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which users arrive")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between turns")
    parser.add_argument("--kind", choices=("arrival", "crowd"), default="crowd")
    parser.add_argument("--bench", default="", help="name in the results table")
    parser.add_argument("--rss-target", type=float, default=250.0)
    parser.add_argument("--submit-target", type=float, default=50.0, help="ms, arrival only")
    parser.add_argument("--ack-target", type=float, default=200.0, help="ms, crowd only")
    parser.add_argument("--chunk-delay", type=float, default=None)
    parser.add_argument("--generation-delay", type=float, default=None)
    parser.add_argument("--image-seconds", type=float, default=1.0)
    parser.add_argument("--preset", default="ultrafast")
    parser.add_argument("--bot-args", default="", help="extra bench.botproc options")
    args = parser.parse_args(argv)
    pace: dict[str, Any] = {"image_seconds": args.image_seconds, "preset": args.preset}
    if args.chunk_delay is not None:
        pace["chunk_delay"] = args.chunk_delay
    if args.generation_delay is not None:
        pace["generation_delay"] = args.generation_delay
    out = asyncio.run(
        run_crowd(
            args.users,
            turns=args.turns,
            export_share=args.exports,
            ramp=args.ramp,
            think=args.think,
            sandbox_args=options_args(**pace),
            bot_args=args.bot_args.split(),
        )
    )
    name = args.bench or f"{args.kind} {args.users}"
    if args.kind == "arrival":
        emit(arrival_metrics(out, name, args.submit_target))
    else:
        emit(crowd_metrics(out, name, args.rss_target, args.ack_target))


if __name__ == "__main__":
    main()
