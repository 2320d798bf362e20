"""Benchmark 2: many simulated users through one engine, each doing a 3-turn conversation.

Every user sends "hello", asks for an image, adds a title (waiting for each answer, as a
person would); a fraction then exports. Afterwards every chat must hold exactly one finished
answer per turn, one image and, for exporters, one video: anything else is a lost or
duplicated reply. The sandbox runs in this process, so the RSS includes it.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

from bench.common import LoopLag, Metric, RssSampler, peak_rss_mb, percentile, rss_mb
from bench.crowd import QUEUE_NOTICE, Tally, check_replies, stray_texts, user
from bench.report import emit
from bench.store_probe import StoreProbe, store_call_seconds
from bench.wiring import bench_bot, realistic_options

__all__ = ["measure"]

BENCH = "concurrency"
RSS_TARGET_MB = 250.0
# The store is the bottleneck when its own work (the same calls, timed on an idle loop) fills
# half the wall time. Time the write lock is merely held includes waiting for the busy event
# loop between aiosqlite's thread hops: CPU load elsewhere (the in-process sandbox), not SQLite.
BUSY_TARGET = 0.5
WRITES = ("upsert_user", "enqueue", "claim_next", "finish", "mark_reached_agent", "bump_usage")


async def measure(users: int = 200, export_share: float = 0.05, ramp: float = 1.0) -> list[Metric]:
    """Run the crowd; correctness, time, throughput, RSS and the SQLite write path."""
    rng = random.Random(11)
    exporters = set(rng.sample(range(users), round(users * export_share)))
    tally = Tally()
    # Users arrive within `ramp` seconds; they each talk for a while, so all overlap.
    async with bench_bot(realistic_options(), render_poll_seconds=1.0) as bot:
        probe = StoreProbe(bot.store, WRITES)
        rss_before = rss_mb()
        async with LoopLag() as lag:
            with RssSampler(0.05) as sampler:
                started = time.perf_counter()
                await asyncio.gather(
                    *(
                        user(bot, i, i in exporters, rng.uniform(0, ramp), tally)
                        for i in range(users)
                    )
                )
                await bot.engine.wait_idle(renders=True)
                wall = time.perf_counter() - started
        held, waits = probe.lock.held, list(probe.lock.waits)
        lost, duplicated = check_replies(bot, users, exporters)
        wrong = stray_texts(bot, users)
        queued = stray_texts(bot, users, (QUEUE_NOTICE,))
        per_call = await store_call_seconds(bot.store)
    answers = len(tally.turn_seconds) + len(tally.export_seconds)
    enqueue = probe.latencies["enqueue"]
    writes = [s for name in WRITES for s in probe.latencies[name]]
    turn_p50 = percentile(tally.turn_seconds, 50) * 1000
    peak = max(peak_rss_mb(), sampler.peak)
    transactions = len(waits)
    idle_share = per_call * transactions / wall
    return [
        Metric(BENCH, "users (3 turns each)", users, "", note=f"{len(exporters)} also export"),
        Metric(BENCH, "lost replies", lost, "", "= 0", lost == 0, f"{tally.timeouts} timed out"),
        Metric(BENCH, "duplicated replies", duplicated, "", "= 0", duplicated == 0),
        Metric(BENCH, "error or stray texts", wrong, "", "= 0", wrong == 0),
        Metric(BENCH, "queue-place notices", queued, "", note="next message sent mid wrap-up"),
        Metric(BENCH, "total time", round(wall, 1), "s", note=f"arrivals over {ramp:g} s"),
        Metric(BENCH, "throughput", round(answers / wall, 1), "answers/s", note="turns+exports"),
        Metric(BENCH, "turn latency p50", round(turn_p50), "ms"),
        Metric(BENCH, "turn latency p99", round(percentile(tally.turn_seconds, 99) * 1000), "ms"),
        Metric(
            BENCH,
            "export latency p50",
            round(percentile(tally.export_seconds or [0.0], 50), 1),
            "s",
            note=f"n={len(tally.export_seconds)}, submit → video, while the crowd talks",
        ),
        Metric(
            BENCH,
            "peak RSS (bot + in-process sandbox)",
            round(peak, 1),
            "MB",
            f"< {RSS_TARGET_MB:.0f} MB",
            peak < RSS_TARGET_MB,
            f"{rss_before:.0f} MB before the crowd; ru_maxrss of the process",
        ),
        Metric(
            BENCH,
            "event loop lag p99",
            round(percentile(lag.lags, 99) * 1000, 1),
            "ms",
            note=f"p50 {percentile(lag.lags, 50) * 1000:.1f} ms (10 ms timer)",
        ),
        Metric(
            BENCH,
            "store.enqueue p99",
            round(percentile(enqueue, 99) * 1000, 1),
            "ms",
            note=f"p50 {percentile(enqueue, 50) * 1000:.1f} ms; includes lock and loop waits",
        ),
        Metric(
            BENCH,
            "store writes p99 (all kinds)",
            round(percentile(writes, 99) * 1000, 1),
            "ms",
            note=f"{len(writes)} calls: " + ", ".join(WRITES),
        ),
        Metric(
            BENCH,
            "store lock wait, mean per transaction",
            round(sum(waits) / transactions * 1000, 1),
            "ms",
            note=f"p99 {percentile(waits, 99) * 1000:.0f} ms; "
            f"{transactions / answers:.0f} transactions per answer, turn p50 {turn_p50:.0f} ms",
        ),
        Metric(
            BENCH,
            "SQLite lock held (single connection)",
            round(held / wall * 100, 1),
            "% of wall",
            note=f"{transactions} transactions in {wall:.0f} s; includes waits for the busy loop",
        ),
        Metric(
            BENCH,
            "store's own work (the same calls on an idle loop)",
            round(idle_share * 100, 1),
            "% of wall",
            f"< {BUSY_TARGET * 100:.0f} %",
            idle_share < BUSY_TARGET,
            f"{per_call * 1000:.2f} ms per call alone; the rest of the lock time is waiting "
            "for the busy event loop between aiosqlite hops",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.concurrency [--users N] [--exports SHARE] [--ramp S]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--exports", type=float, default=0.05, help="share of users exporting")
    parser.add_argument("--ramp", type=float, default=1.0, help="seconds over which users arrive")
    args = parser.parse_args(argv)
    emit(asyncio.run(measure(args.users, args.exports, args.ramp)))


if __name__ == "__main__":
    main()
