"""WAL checkpoints apart from the writers.

Left to itself, SQLite copies the write-ahead log back into the database file (a
checkpoint) inside the COMMIT that takes the log past 1,000 pages, and the copy ends in an
fsync: tens of milliseconds in which that writer holds the file's turn (`TurnLock`) while
every message being accepted waits behind it (the slowest acknowledgements in
bench/RESULTS.md were single writes of 80-95 ms, each one such COMMIT). So the writers never
checkpoint (`wal_autocheckpoint = 0`), and a connection of its own does, every second on a
worker thread: a PASSIVE checkpoint waits for no reader or writer and holds no turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from pathlib import Path

__all__ = ["CHECKPOINT_SECONDS", "NO_AUTOCHECKPOINT", "Checkpoints"]

log = logging.getLogger(__name__)

NO_AUTOCHECKPOINT = "PRAGMA wal_autocheckpoint = 0"  # run on every writer connection
CHECKPOINT_SECONDS = 1.0


class Checkpoints:
    """Checkpoints a database file's WAL every `every` seconds until closed."""

    def __init__(self, conn: sqlite3.Connection, every: float) -> None:
        self._conn = conn
        self._using = threading.Lock()  # a checkpoint outlives its cancelled waiter
        self._every = every
        self._task = asyncio.create_task(self._run(), name="sqlite-checkpoints")

    @classmethod
    def start(cls, path: Path, every: float = CHECKPOINT_SECONDS) -> Checkpoints:
        """Open a connection for checkpoints on `path` and start them (on a running loop)."""
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        return cls(conn, every)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await asyncio.to_thread(self._checkpoint)
            except sqlite3.Error as exc:  # the next one may succeed; writes never depend on it
                log.warning("database checkpoint failed (%s)", type(exc).__name__)

    def _checkpoint(self) -> None:
        with self._using:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def close(self) -> None:
        """Stop, and close the connection once no checkpoint is running."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        with self._using:
            self._conn.close()
