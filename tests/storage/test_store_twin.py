"""`Store.twin`: a second handle on the same database, used from another thread's loop.

The accepting thread (`bot.core.acceptance`) stores messages through a twin while the
serving loop uses the store: both write at once, each sees the other's rows, one person
is one user whichever side met them first, and closing the twin leaves the store as it was.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage import Store, StoreOpenError, UserRecord, open_store


async def _on_another_thread(store: Store, people: list[str]) -> list[UserRecord]:
    async def with_twin() -> list[UserRecord]:
        twin = await store.twin()
        try:
            return [await twin.upsert_user("telegram", person) for person in people]
        finally:
            await twin.close()

    return await asyncio.to_thread(asyncio.run, with_twin())


async def test_a_twin_writes_beside_the_store_and_each_sees_the_other(store: Store) -> None:
    people = [f"p{n}" for n in range(15)] + ["both"] * 5
    there, here = await asyncio.gather(
        _on_another_thread(store, people),
        asyncio.gather(*(store.upsert_user("telegram", person) for person in people[::-1])),
    )
    assert {user.id for user in there if user.platform_user_id == "both"} == {
        user.id for user in here if user.platform_user_id == "both"
    }
    assert len({user.id for user in [*there, *here]}) == 16
    for user in there:
        assert await store.get_user(user.id) == user
    assert await store.upsert_user("discord", "after") is not None  # the store is still open


@pytest.mark.sqlite_only
async def test_a_twin_leaves_the_file_to_its_store(store: Store, db_path: Path) -> None:
    await _on_another_thread(store, ["alice"])
    with pytest.raises(StoreOpenError):
        await open_store(db_path)  # still held by `store`, not released by the twin's close
    await store.close()
    with pytest.raises(Exception, match="closed"):
        await store.twin()


@pytest.mark.sqlite_only
async def test_a_twins_writes_gathered_together_stand_or_fail_alone(store: Store) -> None:
    """SQLite's twin runs the writes waiting for the file's turn as one batch: a write
    that fails there (a credential for no user breaks a foreign key) is undone alone."""

    async def with_twin() -> list[object]:
        twin = await store.twin()
        try:
            writes = [twin.upsert_user("telegram", f"b{n}") for n in range(10)]
            writes.insert(5, twin.client_id_for(999_999))
            return await asyncio.gather(*writes, return_exceptions=True)
        finally:
            await twin.close()

    outcomes = await asyncio.to_thread(asyncio.run, with_twin())
    failed = outcomes.pop(5)
    assert isinstance(failed, Exception) and "FOREIGN KEY" in str(failed)
    users = [user for user in outcomes if isinstance(user, UserRecord)]
    assert len(users) == 10
    for user in users:
        assert await store.get_user(user.id) == user
    assert await store.credentials(999_999) is None
