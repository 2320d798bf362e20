"""Ingress and turn workers apart: one receives Telegram updates, the other answers them."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

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

        async def answered() -> bool:  # the row is finished just after the answer is sent
            rows = [await ingress.store.get_item(n) for n in range(1, 3)]
            return [row.status for row in rows if row is not None] == ["done", "done"]

        await eventually(answered, 10)
        rows = [await ingress.store.get_item(n) for n in range(1, 3)]
        owners = {row.owner for row in rows if row is not None}
        assert owners == {worker.engine.worker_id}  # the turn worker ran both
        assert sandbox.sandbox.sse_calls == 1


async def test_a_queued_login_is_served_by_the_turn_worker_and_never_echoed(
    tmp_path: Path, postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: the token was never stored, so a /login served from the queue was empty."""
    caplog.set_level(logging.INFO)  # (DEBUG has the raw updates; the log formatter masks them)
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
        token = sandbox.sandbox.create_user_token("user_registered", credits=42)
        emu.private_chat(ALICE)
        await eventually(lambda: "telegram" in worker.engine.platforms.names, 10)
        emu.send_message(ALICE, ALICE, f"/login {token}")
        answer = await emu.wait_for_message(ALICE, lambda m: "42 credits" in (m.text or ""), 30)
        assert "own NemoVideo account" in (answer.text or "")

        async def answered() -> bool:
            row = await ingress.store.get_item(1)
            return row is not None and row.status == "done"

        await eventually(answered, 10)
        login = await ingress.store.get_item(1)
        assert login is not None and login.owner == worker.engine.worker_id
        assert token not in login.payload and token not in (
            login.intent or ""
        )  # erased once served
        shown = [m.text or m.caption or "" for m in emu.messages(ALICE)]
        assert all(token not in text for text in shown)
        assert token not in caplog.text
