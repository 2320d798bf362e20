"""Shared pieces: metrics, percentiles, machine facts, RSS readings."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.core.messages import ChatRef, IncomingMessage, User

__all__ = [
    "LoopLag",
    "Metric",
    "RssSampler",
    "busy_seconds",
    "cpu_seconds",
    "family_cpu_seconds",
    "machine",
    "metrics_from_json",
    "metrics_to_json",
    "monotonic",
    "peak_rss_mb",
    "percentile",
    "private_message",
    "rss_mb",
    "status_mb",
]

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK = os.sysconf("SC_CLK_TCK")


def monotonic() -> float:
    """CLOCK_MONOTONIC: one clock for every process of the machine, so stamps compare."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def cpu_seconds(pid: int | str = "self", *, children: bool = True) -> float:
    """CPU time (user + system) of a process, from /proc/<pid>/stat.

    With `children`, the CPU of its finished, reaped children too (ffmpeg runs).
    """
    raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    ticks = utime + stime + (cutime + cstime if children else 0)
    return ticks / _TICK


def family_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its live and reaped children (a PostgreSQL postmaster and
    its server processes)."""
    total = cpu_seconds(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text(encoding="ascii")
        except OSError:  # gone meanwhile
            continue
        if int(raw[raw.rindex(")") + 2 :].split()[1]) == pid:
            try:
                total += cpu_seconds(stat.parent.name)
            except OSError:
                continue
    return total


def busy_seconds() -> float:
    """CPU time every core of the machine spent busy since boot (/proc/stat), in seconds."""
    fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICK


def status_mb(field: str, pid: int | str = "self") -> float:
    """A memory line of /proc/<pid>/status in MB: "VmHWM" (peak RSS), "VmRSS" (now)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise LookupError(f"no {field} in /proc/{pid}/status")


@dataclass(frozen=True, slots=True)
class Metric:
    """One measured number, its target (if any) and whether it met it."""

    bench: str
    name: str
    value: float
    unit: str
    target: str = "—"
    passed: bool | None = None  # None: reported only, no target
    note: str = ""


def metrics_to_json(metrics: Sequence[Metric]) -> str:
    """One JSON line, as a benchmark child process prints it."""
    return json.dumps([asdict(m) for m in metrics])


def metrics_from_json(raw: str) -> list[Metric]:
    """Inverse of `metrics_to_json`."""
    return [Metric(**item) for item in json.loads(raw)]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def rss_mb() -> float:
    """Resident set size of this process now, from /proc/self/statm."""
    with Path("/proc/self/statm").open("rb") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * _PAGE / 1024 / 1024


def peak_rss_mb() -> float:
    """Peak RSS of this process so far (getrusage ru_maxrss, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """Samples RSS every `interval` seconds on a thread (independent of the event loop)."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.peak = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb())
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.peak = rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    ram_gb = os.sysconf("SC_PHYS_PAGES") * _PAGE / 1024**3
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": cores,
        "ram_gb": round(ram_gb, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "cpu": cpu,
    }


class LoopLag:
    """How late the event loop runs a timer: a busy loop delays every task, locks included."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.interval
            await asyncio.sleep(self.interval)
            self.lags.append(max(0.0, loop.time() - due))

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def private_message(user: str, text: str, update_id: str, number: int) -> IncomingMessage:
    """A console user's message in their private chat (chat id = user id)."""
    return IncomingMessage(
        update_id=update_id,
        user=User("console", user),
        chat=ChatRef("console", user, private=True),
        text=text,
        message_id=f"m{number}",
    )
