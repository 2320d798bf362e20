"""Inline mode end to end: real PTB and the engine against the emulator and the sandbox.

Someone types `@bot <description>` in a chat, picks "🎨 Generate", and the image appears
there as their message, made in their own session through the same inbox as any message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import codec
from bot.core.texts import t
from sandbox import RunningSandbox
from tests.engine.harness import fast_sandbox
from tests.telegram.emulator import BotApiEmulator, BotMessage, EmulatorOptions, running_emulator
from tests.telegram.emulator.inline import InlineChoice
from tests.telegram.harness import TelegramBot, telegram_bot

ALICE = 1001
BOB = 1002
CAROL = 1003  # never opened a private chat with the bot
GROUP = -100555
DEEP_LINK = "https://t.me/nemo_test_bot?start=export"


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with fast_sandbox() as running:
        yield running


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    options = EmulatorOptions(inline_mode=True, inline_feedback=True)
    async with running_emulator(options) as emulator:
        emulator.private_chat(ALICE, first_name="Alice")
        emulator.private_chat(BOB, first_name="Bob")
        emulator.group_chat(GROUP, title="Studio")
        yield emulator


async def _ask(emu: BotApiEmulator, user: int, query: str) -> str:
    """Type `@bot <query>` and wait for the bot's answer; the query's id."""
    query_id = emu.inline_query(user, query)
    await emu.wait_for(lambda e: e.inline_queries[query_id].answer is not None)
    return query_id


async def _generate(emu: BotApiEmulator, user: int, prompt: str) -> InlineChoice:
    """Ask, pick "🎨 Generate" in the group, and wait until the message is the image."""
    choice = await emu.choose_inline_result(await _ask(emu, user, prompt), "generate", GROUP)
    await emu.wait_for(lambda e: choice.message.kind == "photo", timeout=20)
    return choice


def _data(message: BotMessage, action: str) -> str:
    for button in message.buttons:
        found = codec.decode(button.get("callback_data", ""))
        if found is not None and found.action == action:
            return str(button["callback_data"])
    raise LookupError(f"no {action} button; there are {message.buttons}")


async def _settled(bot: TelegramBot) -> None:
    await bot.emu.wait_for(lambda e: e.pending_updates() == 0)
    await bot.engine.wait_idle()


async def test_a_query_is_answered_in_time_and_starts_nothing(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox) as bot:
        sandbox.sandbox.faults.delay_seconds = 30.0  # NemoVideo crawls: no answer waits for it
        query_id = await _ask(emu, ALICE, "a sunset over a mountain lake")
        answer = emu.inline_answer(query_id)
        assert answer.delay < 5 and answer.is_personal and 0 < (answer.cache_time or 0) <= 10
        generate = answer.result("generate")
        assert generate["title"] == "🎨 Generate: a sunset over a mountain lake"
        posted = generate["input_message_content"]["message_text"]
        assert posted == "🎨 Generating: a sunset over a mountain lake…"
        (cancel,) = [
            b["callback_data"] for row in generate["reply_markup"]["inline_keyboard"] for b in row
        ]
        assert codec.decode(cancel) is not None and codec.decode(cancel).action == "cancel"  # type: ignore[union-attr]
        assert [r["id"] for r in answer.results] == ["generate"]  # no images made yet

        empty = emu.inline_answer(await _ask(emu, ALICE, "   "))
        assert [r["id"] for r in empty.results] == ["empty"]
        long = emu.inline_answer(await _ask(emu, ALICE, "a very long lake " * 16))
        assert [r["id"] for r in long.results] == ["too-long"]
        assert all(not r.get("reply_markup") for r in (*empty.results, *long.results))
        await _settled(bot)
        assert sandbox.sandbox.sse_calls == 0
        assert emu.messages(ALICE) == []


async def test_the_latest_images_are_offered_ready_to_send(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox) as bot:
        emu.send_message(ALICE, ALICE, "generate an image of a red fox")
        await emu.wait_for_message(ALICE, lambda m: m.kind == "photo", timeout=20)
        await _settled(bot)
        query_id = await _ask(emu, ALICE, "")
        answer = emu.inline_answer(query_id)
        photos = [r for r in answer.results if r["type"] == "photo"]
        assert len(photos) == 1 and photos[0]["photo_url"].startswith(sandbox.url)
        assert photos[0]["caption"] == "🖼 a red fox"
        choice = await emu.choose_inline_result(query_id, photos[0]["id"], GROUP)
        assert choice.message.kind == "photo" and choice.inline_message_id is None
        bob = emu.inline_answer(await _ask(emu, BOB, ""))
        assert [r["id"] for r in bob.results] == ["empty"]  # Alice's images are hers alone


async def test_a_chosen_result_runs_one_turn_and_ends_as_the_image(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox) as bot:
        choice = await _generate(emu, ALICE, "a lighthouse in a storm")
        message, inline = choice.message, choice.inline_message_id
        assert message.caption == "🖼 a lighthouse in a storm"
        assert message.extra["via_bot"]["username"] == "nemo_test_bot"
        assert [codec.decode(b["callback_data"]).action for b in message.buttons] == [  # type: ignore[union-attr]
            "again",
            "variation",
            "export",
        ]
        edits = [c for c in emu.calls if c.params.get("inline_message_id") == inline and c.ok]
        assert edits[-1].method == "editMessageMedia"
        assert any(c.method == "editMessageText" for c in edits[:-1])  # progress came first
        assert sandbox.sandbox.sse_calls == 1
        assert emu.messages(GROUP) == [] and emu.messages(ALICE) == []  # nothing else posted

        assert choice.update is not None
        emu.deliver(choice.update)  # the same update again
        again = {k: v for k, v in choice.update.items() if k != "update_id"}
        emu.deliver(again)  # and under a new update id
        await _settled(bot)
        assert sandbox.sandbox.sse_calls == 1
        after = [c for c in emu.calls if c.params.get("inline_message_id") == inline]
        assert len(after) == len(edits)


async def test_the_inline_message_buttons_belong_to_their_owner(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox) as bot:
        choice = await _generate(emu, ALICE, "a paper boat")
        assert choice.inline_message_id is not None
        again = _data(choice.message, "again")
        emu.press_inline_button(choice.inline_message_id, BOB, again)
        await emu.wait_for(lambda e: len(e.callback_answers) == 1)
        assert emu.callback_answers[0].text == t("not_yours", "en")
        await _settled(bot)
        assert sandbox.sandbox.sse_calls == 1
        assert choice.message.caption == "🖼 a paper boat"

        emu.press_inline_button(choice.inline_message_id, ALICE, _data(choice.message, "variation"))
        await emu.wait_for(lambda e: len(e.calls_to("editMessageMedia")) == 2, timeout=20)
        assert sandbox.sandbox.sse_calls == 2
        assert choice.message.caption == "🖼 a paper boat"  # a variation of the same prompt


async def test_cancel_stops_the_turn_in_the_inline_message(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    sandbox.sandbox.faults.silent_stream_seconds = 30.0  # the agent keeps us waiting
    async with telegram_bot(tmp_path, emu, sandbox) as bot:
        query_id = await _ask(emu, ALICE, "a slow snail")
        choice = await emu.choose_inline_result(query_id, "generate", GROUP)
        await emu.wait_for(lambda e: sandbox.sandbox.sse_calls == 1)
        assert choice.inline_message_id is not None
        emu.press_inline_button(choice.inline_message_id, ALICE, _data(choice.message, "cancel"))
        await emu.wait_for(lambda e: choice.message.text == "🛑 Stopped.")
        await _settled(bot)
        assert choice.message.kind == "text" and sandbox.sandbox.sse_calls == 1


async def test_an_export_goes_to_the_private_chat_and_the_inline_message_says_so(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        choice = await _generate(emu, ALICE, "a snowy village")
        assert choice.inline_message_id is not None
        emu.press_inline_button(choice.inline_message_id, ALICE, _data(choice.message, "export"))
        await emu.wait_for_message(ALICE, lambda m: m.kind == "video", timeout=30)
        assert "https://t.me/nemo_test_bot" in (choice.message.caption or "")
        assert DEEP_LINK not in (choice.message.caption or "")  # no second export from it
        assert choice.message.kind == "photo"  # still the image, its caption says where
        assert emu.messages(GROUP) == []


async def test_a_user_who_never_started_the_bot_gets_the_video_after_start(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox) as bot:
        choice = await _generate(emu, CAROL, "a green comet")
        assert choice.inline_message_id is not None
        emu.press_inline_button(choice.inline_message_id, CAROL, _data(choice.message, "export"))
        await emu.wait_for(lambda e: DEEP_LINK in (choice.message.caption or ""))
        await _settled(bot)
        assert not sandbox.sandbox.render_submissions  # nothing rendered for nobody

        emu.private_chat(CAROL)
        emu.send_message(CAROL, CAROL, "/start export")  # what pressing Start there sends
        await emu.wait_for_message(CAROL, lambda m: m.kind == "video", timeout=30)
        assert list(sandbox.sandbox.render_submissions.values()) == [1]


async def test_a_refused_user_gets_an_explanation_and_starts_nothing(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox, NEMOBOT_ALLOWED_USERS=str(BOB)) as bot:
        query_id = await _ask(emu, ALICE, "a castle")
        (result,) = emu.inline_answer(query_id).results
        assert result["input_message_content"]["message_text"] == t("not_allowed", "en")
        assert not result.get("reply_markup")
        choice = await emu.choose_inline_result(query_id, result["id"], GROUP)
        assert choice.inline_message_id is None
        await _settled(bot)
        assert sandbox.sandbox.sse_calls == 0 and sandbox.sandbox.sessions_created == 0
        assert [r["id"] for r in emu.inline_answer(await _ask(emu, BOB, "a castle")).results] == [
            "generate"
        ]


async def test_an_inline_turn_spends_the_daily_allowance_and_then_is_refused(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    """On a shared account inline turns count like any turn: one a day here."""
    token = sandbox.sandbox.create_user_token(credits=500)
    env = {"NEMO_TOKEN": token, "NEMOBOT_USER_DAILY_TURNS": "1"}
    async with telegram_bot(tmp_path, emu, sandbox, **env) as bot:
        await _generate(emu, ALICE, "a red kite")
        await _settled(bot)
        assert sandbox.sandbox.sse_calls == 1
        query_id = await _ask(emu, ALICE, "a blue kite")
        (result,) = emu.inline_answer(query_id).results  # told why, nothing to generate
        assert "turn" in result["input_message_content"]["message_text"].lower()
        assert not result.get("reply_markup")
        await emu.choose_inline_result(query_id, result["id"], GROUP)
        await _settled(bot)
        assert sandbox.sandbox.sse_calls == 1  # nothing reached the agent


async def test_a_keystroke_storm_gets_one_answer_at_a_time_and_no_turn(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    words = "a quiet harbour at dawn!"
    async with telegram_bot(tmp_path, emu, sandbox) as bot:
        release = emu.hold_answer("answerInlineQuery")  # the first answer stays in flight
        ids = []
        for typed in range(20):  # 20 queries in 2 s, as Telegram sends them while one types
            ids.append(emu.inline_query(ALICE, words[: typed + 4]))
            await asyncio.sleep(0.1)
        release.set()
        await emu.wait_for(lambda e: e.inline_queries[ids[-1]].answer is not None)
        await _settled(bot)
        answered = [i for i in ids if emu.inline_queries[i].answer is not None]
        assert emu.inline_answers_in_flight(ALICE) == 1
        assert len(answered) < len(ids) / 2
        assert not [c for c in emu.calls_to("answerInlineQuery") if not c.ok]
        assert sandbox.sandbox.sse_calls == 0 and sandbox.sandbox.sessions_created == 0


async def test_help_and_the_menu_say_how_to_use_inline_mode(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox):
        await emu.wait_for(lambda e: "" in e.commands and "zh" in e.commands)
        described = dict(emu.commands[""])
        assert (
            "@nemo_test_bot" in described["help"]
            and "@nemo_test_bot" in dict(emu.commands["zh"])["help"]
        )
        emu.send_message(ALICE, ALICE, "/help")
        answer = await emu.wait_for_message(ALICE, lambda m: "What I understand" in (m.text or ""))
        assert "type @nemo_test_bot and a description" in (answer.text or "")


async def test_an_image_telegram_cannot_fetch_becomes_its_link(
    tmp_path: Path, emu: BotApiEmulator, sandbox: RunningSandbox
) -> None:
    async with telegram_bot(tmp_path, emu, sandbox) as bot:
        emu.fail_next(
            "editMessageMedia",
            error_code=400,
            description="Bad Request: failed to get HTTP URL content",
        )
        query_id = await _ask(emu, ALICE, "a huge mural")
        choice = await emu.choose_inline_result(query_id, "generate", GROUP)
        await emu.wait_for(lambda e: sandbox.url in (choice.message.text or ""), timeout=20)
        await _settled(bot)
        assert choice.message.kind == "text"
        assert (choice.message.text or "").startswith("🖼 a huge mural\n" + sandbox.url)
        assert _data(choice.message, "again") and sandbox.sandbox.sse_calls == 1
