"""Send budgets: in one process (SQLite) and for every worker together (PostgreSQL).

Each "worker" reserving on PostgreSQL has its own store (its own pool) on one database, as
separate processes would; on SQLite the bot is one process and its reservers share one
`LocalBudget`. Both keep the same contract: a send is granted at once or not taken at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import asyncpg
import pytest
from store_fakes import Reopen

from bot.core.budget import LocalBudget, SendBudget, SharedBudget, shared_budget
from bot.core.outbox import Rate
from storage import Store
from storage.postgres import PostgresStore
from tests.engine.harness import eventually
from tests.postgres import PostgresServer, fresh_database

WORKERS = 3


@pytest.fixture
async def budgets(reopen: Reopen) -> AsyncIterator[list[SendBudget]]:
    """One budget per worker, as the app builds it: the database's on PostgreSQL, the
    process's own on SQLite (which serves one process)."""
    stores: list[Store] = [await reopen()]
    try:
        if shared_budget(stores[0]) is None:
            yield [LocalBudget()] * WORKERS
            return
        stores += [await reopen() for _ in range(WORKERS - 1)]
        yield [budget for s in stores if (budget := shared_budget(s)) is not None]
    finally:
        for store in stores:
            await store.close()


def _most_in_any_window(times: Sequence[float], per: float) -> int:
    times = sorted(times)
    return max(
        (sum(1 for t in times[i:] if t - start < per) for i, start in enumerate(times)), default=0
    )


async def _flood(budget: SendBudget, keys: list[tuple[str, Rate]], until: float) -> list[float]:
    """Send as often as granted until `until`; when each send was seen (here, at once)."""
    loop = asyncio.get_running_loop()
    seen: list[float] = []
    while loop.time() < until:
        wait = await budget.reserve(keys, 1)
        if wait <= 0:
            seen.append(loop.time())
            await budget.sent(keys, 1)
        else:
            await asyncio.sleep(max(0.0, min(wait, until - loop.time())))
    return seen


async def test_concurrent_reservers_together_keep_every_window(budgets: list[SendBudget]) -> None:
    bot, chat = Rate(6, 0.5), Rate(4, 0.5)
    until = asyncio.get_running_loop().time() + 2.0
    # Every worker sends in two chats: each chat's window binds, and both together the bot's.
    chats = ("chat-a@4/0.5", "chat-b@4/0.5")
    floods = [
        _flood(budget, [("bot@6/0.5", bot), (key, chat)], until)
        for budget in budgets
        for key in chats
    ]
    per_reserver = await asyncio.gather(*floods)
    everyone = [t for times in per_reserver for t in times]
    assert _most_in_any_window(everyone, bot.per) <= bot.count, sorted(everyone)
    for n in range(len(chats)):
        in_chat = [t for times in per_reserver[n :: len(chats)] for t in times]
        assert _most_in_any_window(in_chat, chat.per) <= chat.count, sorted(in_chat)
    assert len(everyone) >= 12  # the budget is used, not only kept: 6 per window and a bit


async def test_a_refused_send_takes_nothing(budgets: list[SendBudget]) -> None:
    budget = budgets[0]
    one, three = ("one", Rate(1, 30.0)), ("three", Rate(3, 30.0))
    assert await budget.reserve([one], 1) == 0
    assert 25 < await budget.reserve([one, three], 1) <= 31  # "one" is spent for 30 s
    assert [await budget.reserve([three], 1) for _ in range(3)] == [0, 0, 0]
    assert await budgets[-1].reserve([three], 1) > 0  # spent for every worker


async def test_live_previews_leave_a_quarter_of_a_window_to_results(
    budgets: list[SendBudget],
) -> None:
    """A group's 20 a minute: previews stop at 15, answers, images and videos get the rest."""
    group = ("group", Rate(20, 60.0))
    granted = [await budgets[n % WORKERS].reserve([group], 1, live=True) for n in range(16)]
    assert granted[:15] == [0] * 15 and granted[15] > 0  # the 16th preview waits
    finals = [await budgets[n % WORKERS].reserve([group], 1) for n in range(6)]
    assert finals == [0] * 5 + [finals[5]] and finals[5] > 0  # results had 5 of their own


async def test_an_album_counts_as_its_images(budgets: list[SendBudget]) -> None:
    group = ("group", Rate(3, 30.0))
    assert await budgets[0].reserve([group], 2) == 0
    assert await budgets[1].reserve([group], 2) > 0  # 2 + 2 > 3
    assert await budgets[1].reserve([group], 1) == 0


async def test_idle_windows_are_pruned(postgres_server: PostgresServer) -> None:
    url = await fresh_database(postgres_server)
    async with await PostgresStore.open(url) as store:
        for n in range(40):
            assert await store.reserve_sends([(f"chat-{n}", Rate(1, 0.05))], 1, hold=0.0) == 0
        conn = await asyncpg.connect(url)
        try:

            async def pruned() -> bool:
                await store.reserve_sends([("busy", Rate(1000, 60.0))], 1, hold=0.0)
                return await conn.fetchval("SELECT count(*) FROM send_budgets") <= 2

            await eventually(pruned, 10)
            assert await conn.fetchval("SELECT stamps FROM send_budgets WHERE key = 'busy'")
        finally:
            await conn.close()


async def test_without_its_database_a_worker_counts_its_own_sends(
    postgres_server: PostgresServer,
) -> None:
    store = await PostgresStore.open(await fresh_database(postgres_server))
    budget = SharedBudget(store)
    await store.close()
    chat = ("chat", Rate(1, 30.0))
    assert await budget.reserve([chat], 1) == 0  # the send goes
    assert await budget.reserve([chat], 1) > 25  # and is counted here meanwhile


async def test_a_shared_send_counts_from_when_it_is_done(postgres_server: PostgresServer) -> None:
    """A worker's send may reach the platform late: until it is done, it keeps its slot."""
    async with await PostgresStore.open(await fresh_database(postgres_server)) as store:
        budget, chat = SharedBudget(store), [("chat", Rate(1, 0.5))]
        assert await budget.reserve(chat, 1) == 0
        await asyncio.sleep(0.6)  # a window passes: the time is what is tested here
        assert await budget.reserve(chat, 1) > 0  # still in flight, still counted
        await budget.sent(chat, 1)
        assert 0 < await budget.reserve(chat, 1) <= 0.5  # a window from its end, not before


async def test_one_process_counts_a_send_from_when_it_is_done() -> None:
    """A send that took a while to go frees its slot a window after it went, not after its
    grant: two sends a window apart at the grants may arrive closer at the platform."""
    budget, loop = LocalBudget(), asyncio.get_running_loop()
    chat = [("chat", Rate(1, 10.0))]
    assert await budget.reserve(chat, 1) == 0
    await asyncio.sleep(0.3)  # the send itself, on its way to the platform
    done_from = loop.time()
    await budget.sent(chat, 1)
    wait = await budget.reserve(chat, 1)
    assert wait + loop.time() >= done_from + 10.0
    assert await budget.reserve(chat, 1) > 9.0  # and nothing was taken by asking
