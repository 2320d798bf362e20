"""Child processes of a benchmark: the sandbox and the bot, each a Python process of its own.

A child prints one line `READY <json>` on stdout once it serves (its URL or port), and
nothing else there; its stderr goes to ours. It stops on SIGTERM. The parent reads each
child's CPU time and memory from /proc/<pid> while it still runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import cpu_seconds, status_mb

__all__ = ["Child", "child", "ready", "wait_for_stop"]

_READY = "READY "


@dataclass
class Child:
    """A started child process and what it said when ready."""

    name: str
    process: asyncio.subprocess.Process
    info: dict[str, Any]
    log: Path

    def warnings(self) -> list[str]:
        """The WARNING and ERROR lines it logged so far (its stderr goes to `log`)."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines() if " WARNING " in line or " ERROR " in line]

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        """CPU seconds so far, its reaped children (ffmpeg) included."""
        return cpu_seconds(self.pid)

    def peak_rss_mb(self) -> float:
        """VmHWM: the most resident memory it ever had."""
        return status_mb("VmHWM", self.pid)

    def rss_mb(self) -> float:
        """VmRSS: resident memory now."""
        return status_mb("VmRSS", self.pid)

    async def stop(self, grace: float = 20.0) -> int:
        """SIGTERM, then SIGKILL if it has not exited within `grace` seconds; its exit code."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        return self.process.returncode if self.process.returncode is not None else -1


@asynccontextmanager
async def child(
    name: str, module: str, *args: str, start_seconds: float = 60.0
) -> AsyncIterator[Child]:
    """Run `python -m <module> <args>` until the block ends; wait for its READY line.

    With BENCH_PROFILE=<name> in the environment, that child runs under cProfile and writes
    /tmp/bench-<name>.prof when it stops (for finding where its time goes).
    """
    profile: list[str] = []
    if os.environ.get("BENCH_PROFILE") == name:
        profile = ["-m", "cProfile", "-o", f"/tmp/bench-{name}.prof"]
    log = Path(tempfile.gettempdir()) / f"nemobot-bench-{name}-{os.getpid()}.log"
    with log.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *profile,
            "-m",
            module,
            *args,
            stdin=asyncio.subprocess.PIPE,  # closed when we go: the child then stops too
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    started = Child(name, process, {}, log)
    try:
        assert process.stdout is not None
        async with asyncio.timeout(start_seconds):
            line = await process.stdout.readline()
        text = line.decode("utf-8", "replace").strip()
        if not text.startswith(_READY):
            code = await process.wait()
            tail = log.read_text(encoding="utf-8", errors="replace")[-1500:]
            raise RuntimeError(f"{name} did not start (exit {code}): {text[:200]!r}\n{tail}")
        started.info = json.loads(text[len(_READY) :])
        yield started
    finally:
        await started.stop()
        log.unlink(missing_ok=True)


def ready(**info: Any) -> None:
    """In a child: tell the parent it serves."""
    print(_READY + json.dumps(info), flush=True)


async def wait_for_stop() -> None:
    """In a child: return on SIGTERM or SIGINT, or once the parent is gone (stdin closed)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def parent_gone() -> None:
        if not os.read(sys.stdin.fileno(), 4096):
            loop.remove_reader(sys.stdin.fileno())
            stop.set()

    loop.add_reader(sys.stdin.fileno(), parent_gone)
    await stop.wait()
