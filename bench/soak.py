"""The long soak: the three-worker crowd of `tests/faults/test_fleet_soak.py` over many seeds.

Each seed is one run of real `nemobot run` workers on a throwaway PostgreSQL, two of them
killed with `kill -9` mid-turn and mid-render; the test writes each seed's figures (stories
that could not have happened, prompts sent twice, renders submitted twice, reports, Resend
offers) to a JSON-lines file, summed here. `make test` runs two small seeds of the same test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Metric
from bench.report import emit

__all__ = ["measure"]

BENCH = "soak"
TEST = "tests/faults/test_fleet_soak.py"


def _run(seeds: str, users: int, report: Path) -> tuple[int, float]:
    """Run the soak test over `seeds`; its exit code and how long it took."""
    env = {
        **os.environ,
        "NEMOBOT_SOAK_SEEDS": seeds,
        "NEMOBOT_SOAK_USERS": str(users),
        "NEMOBOT_SOAK_REPORT": str(report),
        "NEMOBOT_REQUIRE_POSTGRES": "1",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", TEST, "-q", "-p", "no:cacheprovider", "-o", "timeout=900"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    print(done.stdout[-3000:], file=sys.stderr)
    return done.returncode, time.perf_counter() - started


def measure(seeds: str, users: int) -> list[Metric]:
    """Run the soak and sum the seeds' figures."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "soak.jsonl"
        code, took = _run(seeds, users, report)
        runs = (
            [json.loads(line) for line in report.read_text().splitlines()]
            if report.exists()
            else []
        )

    def total(key: str) -> int:
        return sum(int(run[key]) for run in runs)

    note = f"{len(runs)} seeds ({seeds}) × {users} users, 3 workers, 2 kills each, {took:.0f} s"
    zero = [
        ("stories out of order or lost", "impossible_stories"),
        ("prompts sent to the agent twice", "prompts_twice"),
        ("renders submitted twice", "renders_twice"),
        ("title messages lost", "titles_lost"),
    ]
    passed = len(runs) if code == 0 else 0
    metrics = [Metric(BENCH, "seeds passed", passed, "", f"= {len(runs)}", code == 0, note)]
    metrics += [Metric(BENCH, name, total(key), "", "= 0", total(key) == 0) for name, key in zero]
    metrics += [
        Metric(BENCH, "videos delivered", total("videos"), "", note="one per user unless offered"),
        Metric(BENCH, "reports with Send again", total("reports"), "", note="turns cut by a kill"),
        Metric(BENCH, "Resend offers", total("resend_offers"), "", note="videos cut mid-send"),
    ]
    return metrics


def main() -> None:
    """`python -m bench.soak [--seeds 1-20] [--users 24]`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="1-20")
    parser.add_argument("--users", type=int, default=24)
    args = parser.parse_args()
    emit(measure(args.seeds, args.users))


if __name__ == "__main__":
    main()
