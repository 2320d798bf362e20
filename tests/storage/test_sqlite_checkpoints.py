"""WAL checkpoints on SQLite run apart from the writers (`storage/_sqlite_checkpoint.py`).

A checkpoint copies the write-ahead log back into the database file, so the file grows only
when one runs: the writers (the store's and its twin's) never do it inside a COMMIT, where
it would hold the file's turn through an fsync; the store's own checkpoint connection does.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

from store_fakes import message

from storage.sqlite import SqliteStore
from tests.engine.harness import eventually

_BIG = json.dumps({"text": "x" * 100_000})
_PAST_AUTOCHECKPOINT = 50  # × 100 kB: past the 1,000 pages at which a COMMIT would checkpoint


async def _write_a_lot(store: SqliteStore, start: int = 0) -> int:
    user = await store.upsert_user("telegram", "writer")
    for n in range(start, start + _PAST_AUTOCHECKPOINT):
        await store.accept(replace(message(user.id, str(n)), payload=_BIG))
    return user.id


async def test_writers_never_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    async with await SqliteStore.open(path, checkpoint_every=3600) as store:
        before = path.stat().st_size
        user_id = await _write_a_lot(store)
        twin = await store.twin()
        try:
            await asyncio.to_thread(asyncio.run, _write_a_lot(twin, start=1000))
        finally:
            await twin.close()
        assert path.stat().st_size == before  # everything is still in the log
        assert await store.queued_count(user_id) == 2 * _PAST_AUTOCHECKPOINT


async def test_the_stores_own_connection_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    async with await SqliteStore.open(path, checkpoint_every=0.05) as store:
        before = path.stat().st_size
        await _write_a_lot(store)
        await eventually(lambda: path.stat().st_size > before + 4_000_000)
