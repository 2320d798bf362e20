"""Ingress and turn workers apart: one receives Telegram updates, the other answers them."""

from __future__ import annotations

from pathlib import Path

from tests.engine.harness import eventually, fast_sandbox
from tests.postgres import PostgresServer, fresh_database
from tests.telegram.emulator import running_emulator
from tests.telegram.harness import telegram_bot

ALICE = 5001


async def test_the_ingress_worker_stores_and_the_turn_worker_answers(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = await fresh_database(postgres_server)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with (
        fast_sandbox() as sandbox,
        running_emulator() as emu,
        telegram_bot(tmp_path / "a", emu, sandbox, database=url, NEMOBOT_ROLE="ingress") as ingress,
        telegram_bot(
            tmp_path / "b", emu, sandbox, database=url, ready="getMe", NEMOBOT_ROLE="worker"
        ) as worker,
    ):
        emu.private_chat(ALICE)
        await eventually(lambda: "telegram" in worker.engine.platforms.names, 10)
        emu.send_message(ALICE, ALICE, 'add a title "Two roles"')
        await emu.wait_for_message(ALICE, lambda m: "Two roles" in (m.text or ""), 30)
        emu.send_message(ALICE, ALICE, "/help")
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("What I"), 30)
        user = await ingress.store.upsert_user("telegram", str(ALICE))
        item = await ingress.store.running_item(user.id)
        assert item is None
        owners = {
            row.owner
            for row in [await ingress.store.get_item(n) for n in range(1, 3)]
            if row is not None
        }
        assert owners == {worker.engine.worker_id}  # the turn worker ran both
        assert sandbox.sandbox.sse_calls == 1
