"""/settings in Telegram groups (real PTB, the Bot API emulator): only the chat's
administrators, as getChatAdministrators names them, may change them, and a group's quiet
mode is that group's alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.texts import t
from sandbox import RunningSandbox
from tests.engine.harness import fast_sandbox
from tests.telegram.emulator import BotApiEmulator, running_emulator
from tests.telegram.emulator.models import BotMessage
from tests.telegram.harness import telegram_bot

ALICE = 1001  # an administrator of the studio
BOB = 1002  # a member
STUDIO = -100777
CLUB = -100888
ASK = "@nemo_test_bot what can you do for me?"


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with fast_sandbox(chunk_delay_seconds=0.15) as running:
        yield running


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with running_emulator() as emulator:
        emulator.group_chat(STUDIO, title="Studio")
        emulator.group_chat(CLUB, title="Club")
        emulator.set_admins(STUDIO, [ALICE], creator=9999)
        emulator.set_admins(CLUB, [], creator=9999)
        yield emulator


async def said(emu: BotApiEmulator, chat: int, start: str) -> BotMessage:
    return await emu.wait_for_message(chat, lambda m: (m.text or "").startswith(start), 30)


async def answer(emu: BotApiEmulator, chat: int) -> BotMessage:
    """The bot's answer to ASK in `chat`, as it finally reads."""
    emu.send_message(chat, BOB, ASK)
    return await emu.wait_for_message(
        chat, lambda m: "generate images" in (m.text or "") and bool(m.buttons), 30
    )


async def test_a_member_who_is_no_admin_cannot_change_the_settings(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox) as bot:
        emu.send_message(STUDIO, BOB, "/settings@nemo_test_bot quiet on")
        await said(emu, STUDIO, t("settings_admins_only"))
        assert emu.calls_to("getChatAdministrators")  # asked of Telegram, not assumed
        assert await bot.store.chat_settings("telegram", str(STUDIO)) is None
        emu.send_message(STUDIO, BOB, "/settings@nemo_test_bot")
        await emu.wait_for(
            lambda e: sum(m.text == t("settings_admins_only") for m in e.messages(STUDIO)) == 2
        )
        assert not any(m.buttons for m in emu.messages(STUDIO))  # no keyboard for him


async def test_an_admins_quiet_mode_stops_live_edits_in_that_group_only(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox) as bot:
        emu.send_message(STUDIO, ALICE, "/settings@nemo_test_bot")
        shown = await said(emu, STUDIO, "⚙️ My settings here")
        quiet = next(b for b in shown.buttons if b["text"] == t("btn_set_quiet_on"))
        emu.press_button(STUDIO, ALICE, shown.message_id, quiet["callback_data"])
        change = t("settings_change_quiet", value=t("settings_quiet_on"))
        await said(emu, STUDIO, t("settings_changed", change=change))
        here = await bot.store.chat_settings("telegram", str(STUDIO))
        assert here is not None and here.quiet and here.set_by == f"telegram:{ALICE}"

        quiet_answer = await answer(emu, STUDIO)
        live_answer = await answer(emu, CLUB)
        assert live_answer.edits  # the club still sees the answer grow
        assert not quiet_answer.edits  # the studio gets the result only
        edited = {call.params.get("chat_id") for call in emu.calls_to("editMessageText")}
        assert str(STUDIO) not in edited and str(CLUB) in edited
