"""Defects found against a backend that is not our sandbox, and albums: each a regression test."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from bot.core.context import Timing
from bot.core.messages import Attachment
from sandbox import RunningSandbox
from tests.engine.harness import FAST, eventually, fast_sandbox, running_bot


@pytest.mark.parametrize("shape", ["no_id", "url_id", "tool_only"])
async def test_images_are_posted_whatever_shape_reports_them(tmp_path: Path, shape: str) -> None:
    """Entries without an id, ids that are URLs, images named only in a tool result."""
    async with (
        fast_sandbox(media_shape=shape) as sandbox,
        running_bot(tmp_path, sandbox.url) as bot,
    ):
        await bot.say("generate an image of a blue whale")
        images = bot.outbox.of("image")
        assert len(images) == 1, bot.outbox.everything()
        assert images[0].path is not None and images[0].path.stat().st_size > 0
        assert not any("something went wrong" in text for text in bot.outbox.everything())
        await bot.say("generate an image of a green turtle")
        assert len(bot.outbox.of("image")) == 2  # the earlier one is not posted again


async def test_a_tool_result_image_also_in_the_state_is_posted_once(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """The sandbox names each image in both places: one post."""
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate 2 images of a kite")
        assert len(bot.outbox.of("image")) == 2


async def test_after_a_cut_stream_the_next_message_is_answered_within_seconds(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """The line is freed after a couple of quick state reads, not minutes."""
    timing = replace(FAST, recheck_first_seconds=1.0, recheck_every_seconds=1.0, recheck_reads=2)
    async with running_bot(tmp_path, sandbox.url, timing=timing) as bot:
        sandbox.sandbox.faults.cut_stream_once = True
        await bot.engine.submit(bot.message('add a title "Interrupted"'))
        await bot.engine.submit(bot.message('add a title "Next"'))
        next_answer = await bot.outbox.wait_for(lambda s: "Next" in s.text, timeout=10)
        assert next_answer is not None
        texts = bot.outbox.texts()
        assert any(text.startswith("📡 The connection dropped") for text in texts)
        assert sandbox.sandbox.sse_calls == 2  # the cut turn was never resent


async def test_a_dropped_generation_is_watched_and_its_image_posted_later(
    tmp_path: Path,
) -> None:
    """The image shows up after the user was told; the background watch posts it once."""
    timing = replace(FAST, recheck_reads=1, watch_after_drop=(0.5, 1.0, 2.0))
    async with (
        fast_sandbox(generation_delay_seconds=1.5) as sandbox,
        running_bot(tmp_path, sandbox.url, timing=timing) as bot,
    ):
        sandbox.sandbox.faults.cut_stream_once = True
        await bot.say("generate an image of a comet")
        image = await bot.outbox.wait_for(lambda s: s.kind == "image", timeout=10)
        assert "comet" in image.text
        await eventually(lambda: not bot.engine.conversation._watchers, timeout=5)
        assert len(bot.outbox.of("image")) == 1


async def test_a_failed_renders_reason_is_shown_with_retry(tmp_path: Path) -> None:
    async with (
        fast_sandbox(render_shape="flat") as sandbox,
        running_bot(tmp_path, sandbox.url) as bot,
    ):
        await bot.say("generate an image of a rowing boat")
        sandbox.sandbox.faults.render_fail_message = "The timeline has no visual track"
        await bot.say("export")
        failed = await bot.outbox.wait_for(lambda s: "render failed" in s.text, timeout=60)
        assert "“The timeline has no visual track”" in failed.text
        assert [b.label for b in failed.buttons] == ["Retry"]
        await bot.press(failed.buttons[0])
        await bot.outbox.wait_for(lambda s: s.kind == "video", timeout=60)


@pytest.mark.parametrize(
    "shape",
    [
        "standard",
        "flat",
        "refused",
        "refused_message",
        "refused_msg",
        "refused_detail",
        "refused_object",
        "refused_data",
    ],
)
async def test_every_documented_failure_shape_shows_the_reason(tmp_path: Path, shape: str) -> None:
    """`{"success": false, "error": "…"}` on a poll is the render failing, with its reason."""
    async with (
        fast_sandbox(render_shape=shape) as sandbox,
        running_bot(tmp_path, sandbox.url) as bot,
    ):
        await bot.say("generate an image of a rowing boat")
        sandbox.sandbox.faults.render_fail_message = "Render node crashed (GPU out of memory)"
        await bot.say("export")
        failed = await bot.outbox.wait_for(lambda s: "render failed" in s.text, timeout=60)
        assert failed.text == (
            "❌ The render failed — NemoVideo said: “Render node crashed (GPU out of memory)”. "
            "Tap Retry to try again (export is free)."
        )
        assert [b.label for b in failed.buttons] == ["Retry"]
        await bot.engine.wait_idle()
        assert not [t for t in bot.outbox.texts() if t.startswith("Something went wrong")]
        user_id = await bot.user_id()
        assert not await bot.store.active_renders(user_id)  # settled, not left to poll again


async def test_a_long_or_technical_failure_text_is_not_shown(tmp_path: Path) -> None:
    async with fast_sandbox() as sandbox, running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a rowing boat")
        sandbox.sandbox.faults.render_fail_message = '{"trace": "node-17 oom"}'
        await bot.say("export")
        failed = await bot.outbox.wait_for(lambda s: "render failed" in s.text, timeout=60)
        assert failed.text.startswith("❌ The render failed. Tap Retry")
        assert "oom" not in failed.text


async def test_once_a_user_writes_chinese_everything_is_chinese(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("生成一张灯塔的图片")
        for command in ("credits", "status", "/new", "/help", "/bogus", "export"):
            await bot.say(command)
        await bot.engine.wait_idle()
        shown = ("text", "edit", "image")  # an image's caption too (the storyboard's summary)
        everything = [s.text for s in bot.outbox.log if s.text and s.kind in shown]
        assert everything
        english = [
            text for text in everything if not any("\u4e00" <= ch <= "\u9fff" for ch in text)
        ]
        assert english == [], english
        labels = [b.label for s in bot.outbox.log for b in s.buttons]
        assert "导出" in labels and "Export" not in labels


async def test_the_platform_language_sets_a_new_users_language(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("/start", language="zh-hans")
        assert bot.outbox.texts()[-1].startswith("👋 你好")


async def test_the_answer_comes_before_the_state_is_read(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Reading the state for images happens after the text is on screen."""
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a windmill")  # state now cached
        sandbox.sandbox.requests.clear()
        sandbox.sandbox.faults.delay_seconds = 0.0
        await bot.engine.submit(bot.message("generate an image of a second windmill"))
        answer = await bot.outbox.wait_for(lambda s: "second windmill" in s.text and s.buttons)
        state_reads = [p for m, p, _ in sandbox.sandbox.requests if "/api/state/" in p]
        assert state_reads == [], "no state read before the answer"
        await bot.engine.wait_idle()
        assert answer.at < bot.outbox.of("image")[-1].at


def _photo(path: Path, colour: str) -> Path:
    Image.new("RGB", (64, 48), colour).save(path)
    return path


async def test_an_album_of_three_photos_is_one_upload_and_one_turn(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    timing: Timing = replace(FAST, album_seconds=0.3)
    async with running_bot(tmp_path, sandbox.url, timing=timing) as bot:
        photos = []
        for n, colour in enumerate(("red", "green", "blue")):
            bot.outbox.files[f"p{n}"] = _photo(tmp_path / f"p{n}.png", colour)
            photos.append(Attachment("image", f"photo{n}.png", f"p{n}", 100, "image/png"))
        caption = 'add a title "Holiday"'
        for n, photo in enumerate(photos):
            text = caption if n == 1 else ""  # the caption rides on one of them
            await bot.engine.submit(bot.message(text, attachments=(photo,), group="album-1"))
        await asyncio.wait_for(bot.engine.wait_idle(), 30)
        uploads = [p for m, p, _ in sandbox.sandbox.requests if p.startswith("/api/upload-video")]
        assert len(uploads) == 1
        assert bot.outbox.texts().count("📎 Added 3 files to your project.") == 1
        assert sandbox.sandbox.sse_calls == 1
        assert any("Holiday" in text for text in bot.outbox.final_texts())
        assert not any("in line" in text for text in bot.outbox.texts())
