"""Several workers on one PostgreSQL database behave like one bot.

Each worker is a whole engine with its own store pool and its own (recording) outbox, as a
separate process would be; messages are handed to whichever worker a load balancer picks.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from pathlib import Path

from PIL import Image

from bot.core.context import Timing
from bot.core.help import help_text
from bot.core.messages import Attachment, Payment
from bot.core.texts import t, t_count
from sandbox import RunningSandbox
from storage import Counts
from tests.engine.harness import FAST, Bot, eventually, fast_sandbox, running_bot
from tests.postgres import PostgresServer, fresh_database

QUICK_LEASES = replace(FAST, lease_seconds=3)  # a dead worker's work is free after 3 s


@asynccontextmanager
async def workers(
    tmp_path: Path,
    url: str,
    sandbox: RunningSandbox,
    roles: tuple[str, ...],
    timing: Timing = QUICK_LEASES,
    **env: str,
) -> AsyncIterator[list[Bot]]:
    async with AsyncExitStack() as stack:
        bots = []
        for n, role in enumerate(roles):
            folder = tmp_path / f"worker{n}"
            folder.mkdir()
            bots.append(
                await stack.enter_async_context(
                    running_bot(
                        folder,
                        sandbox.url,
                        database=url,
                        worker_id=f"w{n}",
                        timing=timing,
                        NEMOBOT_ROLE=role,
                        **env,
                    )
                )
            )
        yield bots


def answers(bots: list[Bot], chat: str) -> list[str]:
    """Each message the workers sent to `chat`, as it finally read (after its edits)."""
    found: list[str] = []
    for bot in bots:
        latest: dict[str, str] = {}
        for sent in bot.outbox.log:
            if sent.chat == chat and sent.kind in ("text", "edit"):
                latest[sent.message_id] = sent.text
        found += latest.values()
    return found


async def idle(bots: list[Bot]) -> None:
    await asyncio.gather(*(bot.engine.wait_idle(renders=False) for bot in bots))


async def test_every_message_is_answered_once_in_order_whichever_worker_takes_it(
    tmp_path: Path, postgres_server: PostgresServer, sandbox: RunningSandbox
) -> None:
    url = await fresh_database(postgres_server)
    async with workers(tmp_path, url, sandbox, ("all", "all", "all")) as bots:
        pick = itertools.cycle(bots)
        users = [f"u{n}" for n in range(12)]
        for round_ in range(3):
            for user in users:
                bot = next(pick)
                text = f'add a title "{user} round {round_}"'
                await bot.engine.submit(bot.message(text, user=user))

        async def all_answered() -> bool:
            await idle(bots)
            return all(
                sum(f"round {r}" in a for a in answers(bots, f"chat-{u}")) == 1
                for u in users
                for r in range(3)
            )

        await eventually(all_answered, 60)
        for user in users:
            rounds = [a for a in answers(bots, f"chat-{user}") if "round" in a]
            assert [r for r in range(3) for a in rounds if f"round {r}" in a] == [0, 1, 2]
        assert sandbox.sandbox.sse_calls == len(users) * 3  # no turn sent twice
        assert sum(1 for bot in bots if bot.outbox.texts()) >= 2  # the work was shared


async def test_an_ingress_worker_stores_and_a_turn_worker_answers(
    tmp_path: Path, postgres_server: PostgresServer, sandbox: RunningSandbox
) -> None:
    url = await fresh_database(postgres_server)
    async with workers(tmp_path, url, sandbox, ("ingress", "worker")) as (ingress, worker):
        await ingress.engine.submit(ingress.message('add a title "Split"'))
        await ingress.engine.submit(ingress.message("/help"))
        await worker.outbox.wait_for(lambda s: "Split" in s.text, 30)
        help_en = help_text(worker.engine.registry, "en")
        await worker.outbox.wait_for(lambda s: s.text == help_en, 30)
        assert ingress.outbox.texts() == []  # it only stores


async def test_cancel_on_one_worker_stops_a_turn_running_on_another(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = await fresh_database(postgres_server)
    async with (
        fast_sandbox(chunk_delay_seconds=0.5) as sandbox,
        workers(tmp_path, url, sandbox, ("all", "all")) as (first, second),
    ):
        await first.engine.submit(first.message("generate an image of a slow snail"))
        await eventually(lambda: sandbox.sandbox.sse_calls == 1, 10)
        # Both workers hear of the message; whichever claimed it runs the turn.
        running = await first.store.get_item(1)
        assert running is not None and running.status == "sending"
        runner, other = (first, second) if running.owner == "w0" else (second, first)
        await other.engine.submit(other.message("/cancel"))
        await other.outbox.wait_for(
            lambda s: s.text.startswith(t_count("cancelled", "en", 0)[:8]), 10
        )
        item = await first.store.get_item(1)
        assert item is not None and item.status == "cancelled"  # ended in the store at once

        async def stopped() -> bool:
            await runner.engine.wait_idle(renders=False)
            return True

        await asyncio.wait_for(stopped(), 10)  # the running worker noticed and stopped
        assert sandbox.sandbox.sse_calls == 1


async def test_a_flooding_user_is_throttled_across_workers(
    tmp_path: Path, postgres_server: PostgresServer, sandbox: RunningSandbox
) -> None:
    url = await fresh_database(postgres_server)
    env = {"NEMOBOT_USER_MESSAGES_PER_MINUTE": "3", "NEMOBOT_QUEUE_LIMIT": "50"}
    async with workers(tmp_path, url, sandbox, ("all", "all", "all"), **env) as bots:
        # Round robin: each worker alone sees at most 2 of the 6, under its own limit of 3.
        pick = itertools.cycle(bots)
        statuses = []
        for _ in range(6):
            bot = next(pick)
            statuses.append((await bot.engine.submit(bot.message("/help"))).status)
        assert statuses == ["side"] * 3 + ["throttled"] * 3
        await idle(bots)
        told = [a for a in answers(bots, "chat-u1") if a.startswith(t("slow_down")[:20])]
        assert len(told) == 1  # one line, whichever worker refused first
        help_en = help_text(bots[0].engine.registry, "en")
        assert sum(a == help_en for a in answers(bots, "chat-u1")) == 3


async def test_an_album_whose_photos_reach_different_workers_is_one_turn(
    tmp_path: Path, postgres_server: PostgresServer, sandbox: RunningSandbox
) -> None:
    """Regression: the album window was kept in the memory of the worker a part reached."""
    url = await fresh_database(postgres_server)
    # A window well above the gap between parts: a loaded machine's delays stay inside it.
    timing = replace(QUICK_LEASES, album_seconds=1.0)
    async with workers(tmp_path, url, sandbox, ("all", "all", "all"), timing) as bots:
        photos = []
        for n, colour in enumerate(("red", "green", "blue")):
            path = tmp_path / f"p{n}.png"
            Image.new("RGB", (64, 48), colour).save(path)
            for bot in bots:  # any worker may fetch any part
                bot.outbox.files[f"p{n}"] = path
            photos.append(Attachment("image", f"photo{n}.png", f"p{n}", 100, "image/png"))
        gap = 0.4  # each part comes well within the window of the last
        for n, (bot, photo) in enumerate(zip(bots, photos, strict=True)):
            text = 'add a title "Holiday"' if n == 0 else ""
            await bot.engine.submit(bot.message(text, attachments=(photo,), group="album-9"))
            await asyncio.sleep(gap)  # how the parts arrive, not a wait for the bot
        await idle(bots)
        uploads = [p for _, p, _ in sandbox.sandbox.requests if p.startswith("/api/upload-video")]
        assert len(uploads) == 1
        assert sum(a.startswith("📎 Added 3 files") for a in answers(bots, "chat-u1")) == 1
        assert sandbox.sandbox.sse_calls == 1


async def test_workers_count_one_allowance_together(
    tmp_path: Path, postgres_server: PostgresServer, sandbox: RunningSandbox
) -> None:
    url = await fresh_database(postgres_server)
    token = sandbox.sandbox.create_user_token(credits=500)
    env = {"NEMO_TOKEN": token, "NEMOBOT_USER_DAILY_TURNS": "2"}
    async with workers(tmp_path, url, sandbox, ("all", "all"), **env) as bots:
        for n, bot in enumerate(bots * 2):  # each worker alone sees 2, within the allowance
            await bot.engine.submit(bot.message(f'add a title "Shared {n}"'))
        refusal = t("allowance_out_user", limit=2, what=t("allowance_turns"), time="X")[:30]

        async def all_answered() -> bool:
            await idle(bots)
            return sum(a.startswith(refusal) for a in answers(bots, "chat-u1")) == 2

        await eventually(all_answered, 60)
        shown = "\n".join(answers(bots, "chat-u1"))
        assert "Shared 0" in shown and "Shared 1" in shown
        assert "Shared 2" not in shown and "Shared 3" not in shown
        assert sandbox.sandbox.sse_calls == 2


async def test_a_payment_reaching_two_workers_is_credited_and_thanked_once(
    tmp_path: Path, postgres_server: PostgresServer, sandbox: RunningSandbox
) -> None:
    url = await fresh_database(postgres_server)
    async with workers(tmp_path, url, sandbox, ("all", "all")) as (first, second):
        user = await first.user_id()
        paid = Payment("charge-77", f"pack:{user}:images:5:40", "XTR", 40)
        deliveries = [replace(bot.message(""), payment=paid) for bot in (first, second)]
        statuses = await asyncio.gather(
            first.engine.submit(deliveries[0]), second.engine.submit(deliveries[1])
        )
        assert sorted(s.status for s in statuses) == ["duplicate", "side"]
        thanks = t("paid", amount=5, what=t("allowance_images"))
        await eventually(lambda: thanks in answers([first, second], "chat-u1"), 30)
        await idle([first, second])
        assert answers([first, second], "chat-u1") == [thanks]
        spent = await first.store.spending("2026-01-01", user)
        assert spent.extras == Counts(images=5)
