"""Benchmark 8: several workers on one PostgreSQL database, and SQLite against PostgreSQL.

`python -m bench.scale [--users N] [--workers 1,2,4] [--ramp S]`

The same crowd (N users arriving within `ramp` seconds; hello → image → title, each waiting
for its answer and pausing 0-1 s) runs against the same sandbox pace four times: one bot
on SQLite, then 1, 2 and 4 worker processes (`bench.botproc --db URL`) on one PostgreSQL
database, each message sent to the next worker in turn as a load balancer would. Measured:
answers per second over the run, the 95th percentile of a turn's latency (submit → the
answer sent, whichever worker sent it), lost or doubled answers, and where the CPU went.

PostgreSQL is a throwaway cluster from the local binaries with its default durability
(fsync and synchronous commits on, as an operator runs it); without the binaries the
PostgreSQL rows say so and only SQLite runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from bench.common import (
    Metric,
    busy_seconds,
    cpu_seconds,
    family_cpu_seconds,
    monotonic,
    percentile,
)
from bench.crowd import Outcome, play_user, tally
from bench.loadgen import Bot, Replies, running_workers
from bench.report import emit
from bench.sandbox_proc import options_args
from tests.pg_cluster import Cluster, PostgresUnavailable, binaries, cluster
from tests.postgres import PostgresServer, fresh_database

__all__ = ["main"]

TURNS = 3


class Fleet:
    """The workers as the users see them: each message goes to the next one in turn."""

    def __init__(self, bots: list[Bot]) -> None:
        self.bots = bots
        self.replies: Replies = bots[0].replies  # one stream for all of them
        self._next = itertools.cycle(bots)

    async def submit(self, user: str, text: str) -> float:
        return await next(self._next).submit(user, text)


@dataclass
class Run:
    """One configuration's outcome and the CPU seconds each part used meanwhile."""

    label: str
    outcome: Outcome
    bots_cpu: float
    sandbox_cpu: float
    generator_cpu: float
    database_cpu: float  # PostgreSQL's server processes (0 on SQLite: it is the workers')
    rest_cpu: float  # the kernel and anything else on the machine


async def run_one(
    label: str,
    server: Cluster | None,
    workers: int,
    users: int,
    ramp: float,
    seed: int = 17,
) -> Run:
    """The crowd against `workers` bot processes on a fresh database of `server` (None:
    SQLite, a temporary file)."""
    database = await fresh_database(PostgresServer(server.url)) if server is not None else ""

    def database_cpu() -> float:
        return family_cpu_seconds(server.pid) if server is not None else 0.0

    rng = random.Random(seed)
    out = Outcome(users, TURNS, ramp, 0)
    args = [["--db", database, "--worker-id", f"w{n}"] if database else [] for n in range(workers)]
    async with running_workers(args, sandbox_args=options_args()) as bots:
        fleet = Fleet(bots)
        await asyncio.sleep(0.2)  # let them settle after start
        before = (
            sum(b.bot.cpu() for b in bots),
            bots[0].sandbox.cpu(),
            cpu_seconds(),
            database_cpu(),
            busy_seconds(),
        )
        start = monotonic() + 0.1
        arrivals = sorted(rng.uniform(0, ramp) for _ in range(users))
        await asyncio.gather(
            *(play_user(fleet, out, i, start + arrivals[i], False, 0.5, rng) for i in range(users))
        )
        out.wall = monotonic() - start
        bots_cpu = sum(b.bot.cpu() for b in bots) - before[0]
        sandbox_cpu = bots[0].sandbox.cpu() - before[1]
        generator_cpu = cpu_seconds() - before[2]
        db_cpu = database_cpu() - before[3]
        busy = busy_seconds() - before[4]
        await asyncio.sleep(0.3)  # the last reply lines in flight
        tally(fleet, out)
        out.acks = [a for b in bots for a in b.acks]
        out.ack_errors = sum(b.ack_errors for b in bots)
    rest = max(0.0, busy - bots_cpu - sandbox_cpu - generator_cpu - db_cpu)
    return Run(label, out, bots_cpu, sandbox_cpu, generator_cpu, db_cpu, rest)


def _metrics(run: Run) -> list[Metric]:
    out = run.outcome
    turns = out.all_turns
    bench = f"scale {run.label}"
    cores = 2 * out.wall
    split = (
        f"CPU of 2 cores: workers {run.bots_cpu / cores:.0%}, sandbox {run.sandbox_cpu / cores:.0%}"
        f", generator {run.generator_cpu / cores:.0%}, PostgreSQL {run.database_cpu / cores:.0%}"
        f", the rest of the machine {run.rest_cpu / cores:.0%}"
    )
    wrong = out.lost + out.duplicated + out.timeouts
    answers = max(1, out.answers)
    return [
        Metric(bench, "answers per second", round(out.answers / out.wall, 1), "/s", note=split),
        Metric(bench, "worker CPU per answer", round(run.bots_cpu / answers * 1000, 1), "ms"),
        Metric(bench, "database CPU per answer", round(run.database_cpu / answers * 1000, 1), "ms"),
        Metric(bench, "sandbox CPU per answer", round(run.sandbox_cpu / answers * 1000, 1), "ms"),
        Metric(
            bench,
            "turn p95",
            round(percentile(turns, 95) * 1000) if turns else 0,
            "ms",
            note=f"p50 {percentile(turns, 50) * 1000:.0f} ms" if turns else "",
        ),
        Metric(
            bench,
            "lost + doubled + timed out",
            wrong,
            "",
            "0",
            wrong == 0,
            f"{out.answers} answers to {out.users} users in {out.wall:.0f} s",
        ),
    ]


@contextlib.contextmanager
def _postgres() -> Iterator[Cluster | None]:
    """A durable throwaway cluster, or None (with the reason printed) when impossible."""
    found = binaries()
    if found is None:
        print("no PostgreSQL binaries here: the PostgreSQL runs are skipped", flush=True)
        yield None
        return
    try:
        with cluster(found, durable=True) as running:
            yield running
    except PostgresUnavailable as exc:
        print(f"PostgreSQL could not start ({exc}): the PostgreSQL runs are skipped", flush=True)
        yield None


async def _run(users: int, ramp: float, worker_counts: list[int]) -> list[Metric]:
    metrics = _metrics(await run_one("SQLite ×1", None, 1, users, ramp))
    with _postgres() as server:
        for workers in worker_counts:
            label = f"PostgreSQL ×{workers}"
            if server is None:
                metrics.append(Metric(f"scale {label}", "ran", 0, "", note="no PostgreSQL"))
                continue
            metrics += _metrics(await run_one(label, server, workers, users, ramp))
    return metrics


def main(argv: list[str] | None = None) -> None:
    """Run every configuration and print the metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--ramp", type=float, default=5.0)
    parser.add_argument("--workers", default="1,2,4", help="worker counts on PostgreSQL")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",") if n]
    emit(asyncio.run(_run(args.users, args.ramp, counts)))


if __name__ == "__main__":
    main()
