"""An update python-telegram-bot cannot read is skipped, never fatal: polling and webhook.

Real PTB against the Bot API emulator. The update is a `poll` as a Bot API server older
than 9.6 words it (no `persistent_id`), which PTB 22.8 refuses with a TypeError.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from sandbox import RunningSandbox
from tests.engine.harness import fast_sandbox
from tests.telegram.emulator import BotApiEmulator, running_emulator
from tests.telegram.harness import telegram_bot

ALICE = 1001
BOB = 1002
OLD_POLL: dict[str, Any] = {
    "poll": {
        "id": "5123456789",
        "question": "Lunch at Alice's secret place?",
        "options": [{"text": "pizza", "voter_count": 0}, {"text": "ramen", "voter_count": 0}],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    }
}


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with fast_sandbox() as running:
        yield running


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with running_emulator() as emulator:
        emulator.private_chat(ALICE, first_name="Alice")
        emulator.private_chat(BOB, first_name="Bob")
        yield emulator


def _skipped(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "cannot read" in r.getMessage()]


def _private(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing the user wrote or is called, and no traceback, in the log."""
    for word in ("Lunch", "secret", "pizza", "Alice"):
        assert word not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]


async def test_polling_skips_the_update_and_serves_the_rest_of_its_batch(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    async with telegram_bot(tmp_path, emu, sandbox):
        poll = emu.send_raw_message(ALICE, ALICE, OLD_POLL)
        emu.send_message(BOB, BOB, "/credits")  # queued together: one batch
        await emu.wait_for_message(BOB, lambda m: (m.text or "").startswith("💳"))
        await emu.wait_for(lambda e: e.pending_updates() == 0)  # the poll is confirmed too
        emu.send_message(ALICE, ALICE, "/credits")  # and the bot goes on polling
        await emu.wait_for_message(ALICE, lambda m: (m.text or "").startswith("💳"))
    update_id = poll["update_id"]
    assert _skipped(caplog) == [
        f"skipped Telegram update {update_id} (message): "
        "python-telegram-bot cannot read it (TypeError)"
    ]
    _private(caplog)


async def test_the_webhook_skips_the_update_with_200_and_serves_the_next(
    tmp_path: Path,
    emu: BotApiEmulator,
    sandbox: RunningSandbox,
    unused_tcp_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO")
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram/hook"
    env = {"TELEGRAM_WEBHOOK_URL": url, "TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{unused_tcp_port}"}
    async with telegram_bot(tmp_path, emu, sandbox, ready="setWebhook", **env):
        poll = emu.send_raw_message(ALICE, ALICE, OLD_POLL)
        emu.send_message(BOB, BOB, "/credits")
        await emu.wait_for_message(BOB, lambda m: (m.text or "").startswith("💳"))
        attempts = [
            status for update_id, status in emu.webhook_attempts if update_id == poll["update_id"]
        ]
        assert attempts == [200]  # answered once, so Telegram does not send it again
    assert len(_skipped(caplog)) == 1
    _private(caplog)


@pytest.mark.parametrize(
    "body",
    [[{"update_id": 1}], [], 7, 2.5, "an update", None, True, {"message": {}}, {"update_id": "1"}],
    ids=["list", "empty-list", "int", "float", "string", "null", "bool", "no-id", "text-id"],
)
async def test_a_webhook_body_that_is_not_an_update_gets_400_without_a_traceback(
    tmp_path: Path,
    emu: BotApiEmulator,
    sandbox: RunningSandbox,
    unused_tcp_port: int,
    caplog: pytest.LogCaptureFixture,
    body: Any,
) -> None:
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram/hook"
    env = {"TELEGRAM_WEBHOOK_URL": url, "TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{unused_tcp_port}"}
    async with telegram_bot(tmp_path, emu, sandbox, ready="setWebhook", **env):
        assert await emu.post_to_webhook(body) == 400
        assert await emu.post_to_webhook(b"{not json") == 400
        emu.send_message(BOB, BOB, "/credits")  # and the bot still serves
        await emu.wait_for_message(BOB, lambda m: (m.text or "").startswith("💳"))
    assert not [r for r in caplog.records if r.exc_info or r.levelname in ("ERROR", "CRITICAL")]
