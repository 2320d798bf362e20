"""What the user sees while waiting: still-working notes, time limits, languages, big files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.core.outbox import Limits
from sandbox import RunningSandbox
from tests.engine.harness import FAST, running_bot


async def test_a_silent_turn_says_still_working(sandbox: RunningSandbox, tmp_path: Path) -> None:
    sandbox.sandbox.faults.silent_stream_seconds = 1.0
    timing = replace(FAST, still_working_seconds=0.3)
    async with running_bot(tmp_path, sandbox.url, timing=timing) as bot:
        await bot.say("generate an image of a quiet forest")
        texts = bot.outbox.texts()
        note = next(s for s in bot.outbox.of("text") if s.text.startswith("⏳ Still working… ("))
        assert "so far)" in note.text
        assert bot.outbox.of("image"), "the turn still finished and posted its image"
        # The note lives in the answer's own message, which the answer then replaces.
        answer = [s for s in bot.outbox.of("edit") if s.message_id == note.message_id][-1]
        assert "quiet forest" in answer.text and "Still working" not in answer.text
        assert sum("Still working" in text for text in texts) == 1


async def test_a_turn_past_the_overall_limit_is_given_up_and_explained(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    sandbox.sandbox.faults.hang_stream_once = True
    async with running_bot(tmp_path, sandbox.url, sse_timeout_seconds=0.5) as bot:
        await bot.say("generate an image of a glacier")
        final = bot.outbox.texts()[-1]
        assert final.startswith("⌛ That took too long, so I stopped waiting")
        assert sandbox.sandbox.sse_calls == 1, "never resent"
        await bot.say("credits")
        assert bot.outbox.texts()[-1].startswith("💳 Credits:")


async def test_lang_switches_replies_to_chinese_and_back(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("/lang zh")
        await bot.say("/help")
        await bot.say("/lang fr")
        await bot.say("/lang en")
        await bot.say("/help")
        texts = bot.outbox.texts()
        assert texts[0] == "好的，之后我会用中文回复。"
        assert texts[1].startswith("我能理解")
        assert texts[2] == "请使用 /lang en 或 /lang zh。"
        assert texts[4].startswith("What I understand")


async def test_a_video_over_the_upload_limit_is_sent_as_a_link(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    small = Limits(edit_interval=0.0, max_upload=1024)
    async with running_bot(tmp_path, sandbox.url, limits=small) as bot:
        await bot.say("generate an image of a red kite")
        await bot.say("export")
        await bot.engine.wait_idle()
        assert not bot.outbox.of("video")
        link = bot.outbox.texts()[-1]
        assert "over this chat's upload limit" in link
        assert f"{sandbox.url}/renders/" in link
        user_id = await bot.user_id()
        assert (await bot.store.usage(user_id)).exports == 1
