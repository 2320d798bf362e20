"""Printing one benchmark's metrics, and the Markdown of bench/RESULTS.md."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from bench.common import Metric, metrics_to_json

__all__ = ["MARKER", "emit", "markdown", "table"]

MARKER = "BENCH-METRICS "


def _verdict(metric: Metric) -> str:
    if metric.passed is None:
        return "—"
    return "✅ pass" if metric.passed else "❌ fail"


def _value(metric: Metric) -> str:
    value = f"{metric.value:g}" if abs(metric.value) < 1e6 else f"{metric.value:,.0f}"
    return f"{value} {metric.unit}".strip()


def table(metrics: Sequence[Metric]) -> str:
    """A Markdown table of the metrics."""
    rows = [
        "| benchmark | metric | value | target | result | note |",
        "|---|---|---:|---|---|---|",
    ]
    for m in metrics:
        note = m.note.replace("|", "\\|")
        rows.append(f"| {m.bench} | {m.name} | {_value(m)} | {m.target} | {_verdict(m)} | {note} |")
    return "\n".join(rows)


def emit(metrics: Sequence[Metric]) -> None:
    """Print the table for a person and one marked JSON line for `bench.run`."""
    print(table(metrics))
    print(MARKER + metrics_to_json(metrics))
    sys.stdout.flush()


def markdown(
    info: dict[str, Any],
    metrics: Sequence[Metric],
    notes: Sequence[str],
    limits: Sequence[str],
    command: str,
) -> str:
    """The whole RESULTS.md."""
    failed = [m for m in metrics if m.passed is False]
    summary = (
        "All targets met."
        if not failed
        else "Missed: " + "; ".join(f"{m.bench} — {m.name}" for m in failed) + "."
    )
    lines = [
        "# Benchmark results",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['cpu']}, {info['nproc']} cores, {info['ram_gb']:g} GB RAM, "
        f"{info['platform']}",
        f"- Python {info['python']}",
        f"- command: `{command}` (total {info['elapsed']:.0f} s)",
        "",
        summary,
        "",
        table(metrics),
        "",
        "## How it was run",
        "",
        *[f"- {note}" for note in notes],
        "",
        "## What limits each figure",
        "",
        *[f"{paragraph}\n" for paragraph in limits],
        "See bench/README.md for what each number measures.",
        "",
    ]
    return "\n".join(lines)
