"""Telegram Stars end to end (real PTB, the Bot API emulator, the sandbox): an allowance runs
out, a pack is offered, invoiced in XTR, pre-checked in time, paid, credited once however
often its payment arrives, drawn on, and refunded by an operator."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.allowances import utc_day
from bot.core.texts import t
from sandbox import RunningSandbox
from storage import Counts
from tests.engine.harness import fast_sandbox
from tests.telegram.emulator import BotApiEmulator, running_emulator
from tests.telegram.emulator.models import BotMessage
from tests.telegram.emulator.payments import Checkout
from tests.telegram.harness import TelegramBot, telegram_bot

ALICE = 1001
BOSS = 1003
PACK = "turns:3:50"  # 3 more turns for 50 Stars


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with fast_sandbox() as running:
        yield running


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with running_emulator() as emulator:
        emulator.private_chat(ALICE, first_name="Alice")
        emulator.private_chat(BOSS, first_name="Boss")
        yield emulator


def texts(emu: BotApiEmulator, chat: int) -> list[str]:
    return [m.text or "" for m in emu.messages(chat) if m.kind == "text"]


async def said(emu: BotApiEmulator, chat: int, start: str) -> BotMessage:
    return await emu.wait_for_message(chat, lambda m: (m.text or "").startswith(start), 30)


async def extras(bot: TelegramBot) -> Counts:
    user = await bot.store.upsert_user("telegram", str(ALICE))
    return (await bot.store.spending(utc_day(time.time()), user.id)).extras


async def answered(emu: BotApiEmulator, title: str) -> None:
    emu.send_message(ALICE, ALICE, f'add a title "{title}"')
    await emu.wait_for_message(ALICE, lambda m: title in (m.text or "") and bool(m.buttons), 30)


async def buy(emu: BotApiEmulator, offer: BotMessage) -> Checkout:
    """Press the pack's button, check its invoice, pay it; the pre-checkout once answered."""
    (button,) = offer.buttons
    assert button["text"] == "⭐ 3 agent turns · 50 Stars"
    emu.press_button(ALICE, ALICE, offer.message_id, button["callback_data"])
    invoice = await emu.wait_for_message(ALICE, lambda m: m.kind == "invoice")
    assert invoice.extra["invoice"]["currency"] == "XTR"
    assert invoice.extra["invoice"]["total_amount"] == 50
    checkout = emu.pay_invoice(ALICE, ALICE, invoice.message_id)
    await emu.wait_for(lambda e: checkout.answered)
    return checkout


async def test_a_pack_is_bought_credited_once_drawn_on_and_refunded(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    token = sandbox.sandbox.create_user_token(credits=500)
    env = {
        "NEMO_TOKEN": token,
        "NEMOBOT_USER_DAILY_TURNS": "1",
        "NEMOBOT_STARS_PACKS": PACK,
        "NEMOBOT_ADMINS": str(BOSS),
    }
    async with telegram_bot(tmp_path, emu, sandbox, **env) as bot:
        await answered(emu, "First")
        emu.send_message(ALICE, ALICE, 'add a title "Second"')
        refusal = await said(emu, ALICE, "You've used today's 1 agent turns")
        assert sandbox.sandbox.sse_calls == 1  # refused before the agent
        checkout = await buy(emu, refusal)
        assert checkout.ok and checkout.delay is not None and checkout.delay < 10
        await said(emu, ALICE, "⭐ Thank you! 3 agent turns were added")
        assert await extras(bot) == Counts(turns=3)

        # The same payment again, in an update of its own (a redelivery, another worker's).
        (paid,) = [m for m in emu.user_messages(ALICE) if m.kind == "successful_payment"]
        again = {"message": emu.chats.message_json(paid)}
        emu.deliver({**again, "update_id": emu.next_update_id()})
        await emu.wait_for(lambda e: e.pending_updates() == 0)
        await bot.engine.wait_idle()
        assert await extras(bot) == Counts(turns=3)  # credited once
        assert sum(text.startswith("⭐ Thank you!") for text in texts(emu, ALICE)) == 1

        await answered(emu, "Bought")  # past the day's allowance: out of the pack
        await bot.engine.wait_idle()  # counted once the turn is over
        assert sandbox.sandbox.sse_calls == 2
        assert await extras(bot) == Counts(turns=2)

        charge = checkout.charge_id
        emu.send_message(BOSS, BOSS, f"/refund {charge}")
        await said(emu, BOSS, "↩️ Refunded 50 Stars")
        assert emu.star_charges[str(charge)].refunded
        assert await extras(bot) == Counts()  # what was left of the pack is gone
        emu.send_message(BOSS, BOSS, f"/refund {charge}")
        await said(emu, BOSS, t("refund_already", charge=charge))

        emu.send_message(ALICE, ALICE, 'add a title "After the refund"')
        await emu.wait_for(lambda e: len(texts(e, ALICE)) and "today's 1" in texts(e, ALICE)[-1])
        assert sandbox.sandbox.sse_calls == 2
        # Telegram's service message about the refund came before it: nobody answered it.
        assert any(m.kind == "refunded_payment" for m in emu.user_messages(ALICE))
        assert t("empty_message") not in texts(emu, ALICE)


async def test_a_refund_made_outside_the_bot_is_recorded_when_an_operator_asks(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    token = sandbox.sandbox.create_user_token(credits=500)
    env = {"NEMO_TOKEN": token, "NEMOBOT_USER_DAILY_TURNS": "0", "NEMOBOT_STARS_PACKS": PACK}
    async with telegram_bot(tmp_path, emu, sandbox, NEMOBOT_ADMINS=str(BOSS), **env) as bot:
        emu.send_message(ALICE, ALICE, 'add a title "Nothing left"')
        checkout = await buy(emu, await said(emu, ALICE, "You've used today's 0"))
        await said(emu, ALICE, "⭐ Thank you!")
        emu.refund_charge(emu.star_charges[str(checkout.charge_id)])  # Telegram's support did
        emu.send_message(BOSS, BOSS, f"/refund {checkout.charge_id}")
        await said(emu, BOSS, "↩️ Refunded 50 Stars")  # Telegram: already refunded; so noted
        assert await extras(bot) == Counts()


async def test_an_invoice_that_is_not_on_offer_is_refused_at_pre_checkout(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    token = sandbox.sandbox.create_user_token(credits=500)
    env = {"NEMO_TOKEN": token, "NEMOBOT_USER_DAILY_TURNS": "0", "NEMOBOT_STARS_PACKS": PACK}
    async with telegram_bot(tmp_path, emu, sandbox, **env) as bot:
        emu.send_message(ALICE, ALICE, "/credits")
        left = await said(emu, ALICE, "📅 Left for you today: 0 turns")
        emu.press_button(ALICE, ALICE, left.message_id, left.buttons[0]["callback_data"])
        invoice = await emu.wait_for_message(ALICE, lambda m: m.kind == "invoice")
        emu.invoice_payloads[(ALICE, invoice.message_id)] = "pack:1:turns:3:1"  # one Star
        checkout = emu.pay_invoice(ALICE, ALICE, invoice.message_id)
        await emu.wait_for(lambda e: checkout.answered)
        assert checkout.ok is False and checkout.error_message == t("invoice_outdated")
        assert checkout.charge_id is None  # nothing was paid
        await bot.engine.wait_idle()
        assert await extras(bot) == Counts()


async def test_paysupport_answers_while_packs_are_sold(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox, NEMOBOT_STARS_PACKS=PACK):
        emu.send_message(ALICE, ALICE, "/paysupport")
        await said(emu, ALICE, t("paysupport")[:30])
        commands = [command for command, _ in emu.command_sets[('{"type": "default"}', "")]]
        assert commands[-1] == "paysupport"
