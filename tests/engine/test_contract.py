"""What adapters rely on: accept fast, answer in context, keep work for absent platforms."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from bot.core.messages import ChatRef
from sandbox import RunningSandbox
from tests.engine.harness import RecordingOutbox, eventually, running_bot


async def test_submit_returns_at_once_whatever_the_backend_does(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """With every backend call taking 5 s, accepting a message still costs milliseconds."""
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("/help")  # the user exists; nothing of this run touches NemoVideo
        sandbox.sandbox.faults.delay_seconds = 5.0
        took = []
        for text in ("credits", "status", "generate an image of a fox", "export", "/web"):
            started = time.perf_counter()
            accepted = await bot.engine.submit(bot.message(text))
            took.append(time.perf_counter() - started)
            assert accepted.status in ("queued", "side")
        assert statistics.median(took) < 0.05, took
        assert max(took) < 1.0, took  # nowhere near one backend call
        sandbox.sandbox.faults.delay_seconds = 0.0


async def test_a_group_answer_replies_to_the_message_it_answers(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        msg = bot.message("credits", chat="group-1", private=False)
        await bot.engine.submit(msg)
        await bot.engine.wait_idle()
        (answer,) = bot.outbox.of("text")
        assert answer.reply_to == msg.message_id
        assert answer.text.startswith("💳 Credits")


async def test_the_reply_context_survives_a_restart(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Accepted while the platform was away, answered after a restart, still as a reply."""
    away = RecordingOutbox(tmp_path / "away", platform="telegram")
    async with running_bot(tmp_path, sandbox.url) as bot:
        bot.engine.connect(away)
        bot.engine.disconnect("telegram")
        msg = bot.message(
            'add a title "Harbour"', chat="-100", private=False, user="tg-9", platform="telegram"
        )
        assert (await bot.engine.submit(msg)).status == "queued"
        await bot.engine.wait_idle()
        assert away.log == []
    back = RecordingOutbox(tmp_path / "back", platform="telegram")
    async with running_bot(tmp_path, sandbox.url, outbox=back) as bot:
        bot.engine.connect(back)
        answer = await back.wait_for(lambda s: s.kind == "text" and "Harbour" in s.text)
        assert answer.reply_to == msg.message_id
        assert answer.chat == "-100"


async def test_work_for_a_platform_that_is_not_connected_waits_for_it(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    telegram = RecordingOutbox(tmp_path / "tg", platform="telegram")
    async with running_bot(tmp_path, sandbox.url) as bot:
        bot.engine.connect(telegram)
        bot.engine.disconnect("telegram")
        msg = bot.message("generate an image of a lantern", user="tg-1", platform="telegram")
        await bot.engine.submit(msg)
        await bot.engine.wait_idle()
        user = await bot.store.upsert_user("telegram", "tg-1")
        assert telegram.log == [] and sandbox.sandbox.sse_calls == 0
        assert await bot.store.users_with_work(["telegram"]) == [user.id]  # kept, not done
        bot.engine.connect(telegram)
        image = await telegram.wait_for(lambda s: s.kind == "image")
        assert image.chat == "chat-tg-1"
        assert sandbox.sandbox.sse_calls == 1


async def test_side_lane_answers_come_while_a_turn_runs(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Credits and status do not wait behind a slow turn; /cancel stops it."""
    sandbox.sandbox.faults.silent_stream_seconds = 30.0
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.engine.submit(bot.message("generate an image of a slow tortoise"))
        await eventually(lambda: sandbox.sandbox.sse_calls == 1)
        await bot.engine.submit(bot.message("credits"))
        credits = await bot.outbox.wait_for(lambda s: s.text.startswith("💳 Credits"))
        assert credits is not None
        await bot.engine.submit(bot.message("/cancel"))
        await bot.outbox.wait_for(lambda s: s.text.startswith("🛑 Stopped"))
        await asyncio.wait_for(bot.engine.wait_idle(renders=False), 10)
        assert not bot.outbox.of("image")


async def test_a_full_line_is_refused_politely(sandbox: RunningSandbox, tmp_path: Path) -> None:
    sandbox.sandbox.faults.silent_stream_seconds = 30.0
    async with running_bot(tmp_path, sandbox.url, NEMOBOT_QUEUE_LIMIT="2") as bot:
        results = [
            (await bot.engine.submit(bot.message(f'add a title "{n}"'))).status for n in range(4)
        ]
        assert results[-1] == "full"
        await bot.outbox.wait_for(lambda s: "messages waiting" in s.text)
        await bot.engine.submit(bot.message("/cancel"))
        await asyncio.wait_for(bot.engine.wait_idle(renders=False), 10)


async def test_not_allowed_users_get_one_polite_line(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    env = {"NEMOBOT_ALLOWED_USERS": "console:friend", "NEMOBOT_ADMINS": "boss"}
    async with running_bot(tmp_path, sandbox.url, **env) as bot:
        stranger = await bot.engine.submit(bot.message("generate a cat", user="stranger"))
        assert stranger.status == "not_allowed"
        admin = await bot.engine.submit(bot.message("credits", user="boss"))
        assert admin.status == "side"  # operators are always allowed
        await bot.engine.wait_idle()
        texts = {s.chat: s.text for s in bot.outbox.of("text")}
        assert texts["chat-stranger"] == "Sorry, this bot is private."
        assert texts["chat-boss"].startswith("💳 Credits")
        assert sandbox.sandbox.sse_calls == 0


def test_chat_refs_keep_their_platform() -> None:
    """A chat's key names its platform, so two platforms never share a pace."""
    assert ChatRef("telegram", "1").key != ChatRef("discord", "1").key


async def test_a_command_that_came_before_its_platform_was_ready_is_answered_after(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Regression: a side-lane message claimed while its platform was away was stranded."""
    late = RecordingOutbox(tmp_path / "late", platform="discord")
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.engine.submit(bot.message("credits", user="d-1", platform="discord"))
        await bot.engine.wait_idle()
        assert late.log == []
        bot.engine.connect(late)
        answer = await late.wait_for(lambda s: s.text.startswith("💳 Credits"))
        assert answer.chat == "chat-d-1"
