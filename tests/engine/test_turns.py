"""Agent turns: images, no-text edits, GUI phrases, auto-export and Chinese."""

from __future__ import annotations

from pathlib import Path

from sandbox import RunningSandbox
from tests.engine.harness import running_bot


async def test_generate_posts_the_image_with_its_prompt(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a lighthouse at dawn")
        images = bot.outbox.of("image")
        assert len(images) == 1
        assert images[0].path is not None
        assert images[0].path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "lighthouse at dawn" in images[0].text
        answer = bot.outbox.final_texts()[-1]
        assert "Here is your image of a lighthouse at dawn" in answer
        assert "Traceback" not in answer and "functionCall" not in answer


async def test_a_turn_without_text_reports_what_changed(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("add background music")
        answer = bot.outbox.final_texts()[-1]
        assert answer.startswith("Done.")
        assert 'BGM "Lo-fi"' in answer


async def test_click_export_advice_becomes_an_export_offer(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a tiny robot")
        await bot.say('add a title "Hello"')
        last = bot.outbox.log[-1]
        answer = bot.outbox.final_texts()[-1]
        assert 'Added the title "Hello"' in answer
        assert "click export" not in answer.lower()
        assert "open the timeline" not in answer.lower()
        assert "export" in answer.lower()  # offered in the bot's own words
        assert 'Title: "Hello"' in answer  # "open the timeline" became a summary
        assert any(button.label == "Export" for button in last.buttons)
        assert all("click export" not in text.lower() for text in bot.outbox.everything())
        assert not bot.outbox.of("video")  # the user did not ask for the video yet
        assert not sandbox.sandbox.render_submissions


async def test_asking_for_a_video_exports_it_without_being_told_twice(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a cat and export it as a video slideshow")
        video = await bot.outbox.wait_for(lambda s: s.kind == "video", timeout=60)
        assert video.video is not None and video.path is not None
        assert video.path.stat().st_size > 0
        assert list(sandbox.sandbox.render_submissions.values()) == [1]
        assert sandbox.sandbox.sse_calls == 1
        # Not even a live preview shows the GUI advice, and nothing offers what already runs.
        assert all("click export" not in text.lower() for text in bot.outbox.everything())
        assert all("when you want the MP4" not in text for text in bot.outbox.final_texts())
        progress = [s for s in bot.outbox.log if "Rendering your video" in s.text]
        assert len({s.text for s in progress}) == len(progress)  # no edit repeats a text


async def test_chinese_credits_status_and_empty_export(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("积分")
        assert bot.outbox.texts()[-1].startswith("💳 积分：可用 100")
        await bot.say("状态")
        assert "时间线是空的" in bot.outbox.texts()[-1]
        await bot.say("导出")
        assert "还没有可导出的内容" in bot.outbox.texts()[-1]
        assert sandbox.sandbox.sse_calls == 0  # quick intents never reach the agent
        assert not sandbox.sandbox.render_submissions


async def test_chinese_messages_get_chinese_answers(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("生成一张猫的图片")
        assert len(bot.outbox.of("image")) == 1
        assert "这是你要的「猫」图片" in bot.outbox.final_texts()[-1]
        await bot.say("添加背景音乐")
        assert bot.outbox.final_texts()[-1].startswith("完成。添加了")
        await bot.say("状态")
        assert bot.outbox.of("image")[-1].text.startswith("时间线（2 条轨道）：1. 视频：猫")
        await bot.say("/帮助")
        assert "我不认识命令" in bot.outbox.texts()[-1]
