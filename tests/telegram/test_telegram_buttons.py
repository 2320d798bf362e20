"""Button presses on Telegram that are not the bot's own payloads (real PTB, emulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox import RunningSandbox
from tests.engine.harness import fast_sandbox
from tests.telegram.emulator import BotApiEmulator, running_emulator
from tests.telegram.harness import telegram_bot

ALICE = 1001
BOB = 1002
FORGED = (
    "/login nmv_usr_0123456789abcdef",
    "/new",
    "generate an image of a cat",
    "nemo:login:nmv_usr_0123456789abcdef",  # our prefix, not a payload of ours
    "other_bot:vote:42",
)


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with fast_sandbox() as running:
        yield running


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with running_emulator() as emulator:
        emulator.private_chat(ALICE, first_name="Alice")
        emulator.private_chat(BOB, first_name="Bob", language_code="zh-hans")
        yield emulator


async def test_data_that_is_not_ours_gets_a_toast_and_starts_nothing(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox) as bot:
        emu.send_message(ALICE, ALICE, "/help")
        help_text = await emu.wait_for_message(
            ALICE, lambda m: "What I understand" in (m.text or "")
        )
        sessions = sandbox.sandbox.sessions_created
        for data in FORGED:
            emu.press_button(ALICE, ALICE, help_text.message_id, data, require_button=False)
        await emu.wait_for(lambda e: len(e.callback_answers) == len(FORGED))
        toasts = {answer.text for answer in emu.callback_answers}
        assert toasts == {"That button isn't one of mine, so I did nothing."}
        await bot.engine.wait_idle()
        assert sandbox.sandbox.sse_calls == 0 and sandbox.sandbox.sessions_created == sessions
        assert len(emu.messages(ALICE)) == 1  # nothing but the /help answer
        user = await bot.store.upsert_user("telegram", str(ALICE))
        credentials = await bot.store.credentials(user.id)
        assert credentials is None or credentials.login_token is None  # no /login happened

        emu.send_message(BOB, BOB, "/help")
        answer = await emu.wait_for_message(BOB, lambda m: bool(m.text))
        emu.press_button(BOB, BOB, answer.message_id, "/new", require_button=False)
        await emu.wait_for(lambda e: len(e.callback_answers) == len(FORGED) + 1)
        assert emu.callback_answers[-1].text == "这个按钮不是我的，所以我什么也没做。"
