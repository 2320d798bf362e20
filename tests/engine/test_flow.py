"""The whole conversation through the engine: generate, post the image, export the MP4."""

from __future__ import annotations

from pathlib import Path

from bot.core.media import probe_video
from tests.engine.harness import running_bot


async def test_generate_then_export_delivers_a_1080p_mp4(sandbox, tmp_path: Path) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a sunset over a mountain lake")
        image = await bot.outbox.wait_for(lambda s: s.kind == "image")
        assert image.path is not None and image.path.stat().st_size > 0
        assert any("sunset" in text for text in bot.outbox.final_texts())

        await bot.say("export")
        video = await bot.outbox.wait_for(lambda s: s.kind == "video", timeout=60)
        assert video.video is not None
        info = await probe_video(video.video.path)
        assert info is not None
        assert (info.codec, info.width, info.height) == ("h264", 1920, 1080)
        assert (video.video.width, video.video.height) == (1920, 1080)
        assert sandbox.sandbox.tokens_issued == 1
        assert sandbox.sandbox.sessions_created == 1
        usage = await bot.store.usage(await bot.user_id())
        assert (usage.turns, usage.images, usage.exports) == (1, 1, 1)
        # The progress line has said all it had to once the video is there: it is removed.
        await bot.engine.wait_idle()
        (progress,) = [s for s in bot.outbox.of("text") if s.text.startswith("🎬 Rendering")]
        deleted = [s.message_id for s in bot.outbox.of("delete")]
        assert progress.message_id in deleted
