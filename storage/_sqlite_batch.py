"""Writers taking turns on one SQLite file, and a twin's writes gathered into one turn.

SQLite has one writer. A store's twin (the accepting thread's, `SqliteCore.twin`) takes
the file in turn with the store's own writer (`TurnLock`). Taking the turn costs a wait
for the transaction in progress and a hand-over between threads, so the twin takes it
once for all the writes that have gathered meanwhile: one transaction, each write in its
own savepoint (one that fails is undone alone and raises to its caller). Only one batch
waits for the turn at a time, so the serving writer waits for at most one batch; the
waiting is done on a worker thread, so the accepting loop goes on reading requests.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["TurnLock", "WriteBatches", "transaction"]

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], Any]


class TurnLock:
    """A lock taken in arrival order, by the writer threads of one file in this process.

    A store and its twins write through connections of their own. Left to SQLite, a writer
    that finds the file locked sleeps and retries with growing pauses (its busy handler),
    so under a stream of one connection's writes the other's wait for tens of milliseconds
    each; queued here in turn, each waits only for the transactions ahead of it.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._issued = 0
        self._serving = 0

    def __enter__(self) -> None:
        with self._changed:
            ticket = self._issued
            self._issued += 1
            self._changed.wait_for(lambda: self._serving == ticket)

    def __exit__(self, *exc: object) -> None:
        with self._changed:
            self._serving += 1
            self._changed.notify_all()


def transaction(
    work: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection, turn: TurnLock
) -> T:
    """Run `work` as one write transaction, in the file's turn."""
    with turn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result


class WriteBatches:
    """Runs a connection's writes in batches, one batch in the file's turn at a time."""

    def __init__(self, conn: sqlite3.Connection, turn: TurnLock) -> None:
        self._conn = conn
        self._turn = turn
        self._waiting: list[tuple[Work, asyncio.Future[Any]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` as part of the next batch; its result, or what it raised."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append((work, done))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                outcomes = await asyncio.to_thread(self._run, [work for work, _ in batch])
            except Exception as exc:  # noqa: BLE001 - the commit failed: none of it stands
                outcomes = [(False, exc)] * len(batch)
            except BaseException:  # the store is closing
                for _, done in batch:
                    done.cancel()
                raise
            _settle(batch, outcomes)

    def _run(self, works: list[Work]) -> list[tuple[bool, Any]]:
        return transaction(
            lambda conn: [_one(conn, work) for work in works], self._conn, self._turn
        )


def _one(conn: sqlite3.Connection, work: Work) -> tuple[bool, Any]:
    conn.execute("SAVEPOINT one_write")
    try:
        result = work(conn)
    except Exception as exc:  # noqa: BLE001 - undone alone, raised to its caller
        conn.execute("ROLLBACK TO one_write")
        conn.execute("RELEASE one_write")
        return False, exc
    conn.execute("RELEASE one_write")
    return True, result


def _settle(
    batch: list[tuple[Work, asyncio.Future[Any]]], outcomes: list[tuple[bool, Any]]
) -> None:
    for (_, done), (ok, value) in zip(batch, outcomes, strict=True):
        if done.done():  # its caller was cancelled; the write stands or not all the same
            continue
        if ok:
            done.set_result(value)
        else:
            done.set_exception(value)
