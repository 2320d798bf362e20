"""/status as a picture, through the engine against the sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

import imageio_ffmpeg

from bot.core.outbox import Limits
from bot.core.storyboard.draw import Geometry
from sandbox import RunningSandbox
from tests.engine.harness import Bot, running_bot
from tests.engine.test_input import attach
from tests.storyboard_png import colours_in, kinds_of, rows_in


def _requests(sandbox: RunningSandbox, prefix: str) -> int:
    return sum(1 for _, path, _ in sandbox.sandbox.requests if path.startswith(prefix))


def _draft(sandbox: RunningSandbox) -> object:
    (session,) = sandbox.sandbox.sessions.values()
    return session.draft


async def _status_picture(bot: Bot) -> tuple[str, Path, tuple[str, ...]]:
    before = len(bot.outbox.log)
    await bot.say("status")
    (picture,) = [s for s in bot.outbox.log[before:] if s.kind == "image"]
    assert picture.path is not None
    return picture.text, picture.path, tuple(b.label for b in picture.buttons)


async def test_status_is_a_storyboard_captioned_with_the_summary(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a lighthouse")
        await bot.say("add some music")
        reads = _requests(sandbox, "/api/state/")
        caption, path, buttons = await _status_picture(bot)
        assert _requests(sandbox, "/api/state/") == reads + 1  # the one read, no second
        assert caption.startswith("Timeline (2 tracks): 1. Video: a lighthouse (0-1s)")
        assert buttons == ("Export", "Status", "Credits", "New session")
        rows = rows_in(path)
        assert [kind for kind, _, _ in rows] == kinds_of(_draft(sandbox)) == ["visual", "audio"]
        left = Geometry(1000).left
        _, top, bottom = rows[0]
        assert colours_in(path, (left + 2, top + 6, left + 60, bottom - 20)) > 20  # a thumbnail
        fetched = _requests(sandbox, "/media/")
        await _status_picture(bot)
        assert _requests(sandbox, "/media/") == fetched  # the thumbnail was kept


async def test_an_empty_timeline_gets_words_and_no_picture(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("/status")
        assert bot.outbox.texts() == [
            "Your timeline is empty. Describe an image to generate, or send a picture."
        ]
        assert not bot.outbox.of("image")


async def test_a_summary_too_long_for_a_caption_follows_the_picture_whole(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    limits = Limits(edit_interval=0.0, rates=(), max_caption=40)
    async with running_bot(tmp_path, sandbox.url, limits=limits) as bot:
        await bot.say("generate an image of a very long and winding mountain road")
        before = len(bot.outbox.log)
        await bot.say("status")
        picture, words = [s for s in bot.outbox.log[before:] if s.kind in ("image", "text")]
        assert (picture.kind, picture.text, picture.buttons) == ("image", "", ())
        assert words.text.startswith("Timeline (1 track): 1. Video: a very long and winding")
        assert [b.label for b in words.buttons] == ["Export", "Status", "Credits", "New session"]


async def test_media_that_cannot_be_fetched_are_drawn_as_plain_blocks(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a windmill")
        for made in sandbox.sandbox.media_dir.iterdir():
            made.unlink()  # the backend lost it: its URL now answers 404
        caption, path, _ = await _status_picture(bot)
        assert "windmill" in caption
        (row,) = rows_in(path)
        left = Geometry(1000).left
        assert colours_in(path, (left + 300, row[1] + 10, left + 600, row[2] - 10)) == 1


async def test_an_uploaded_clip_shows_one_of_its_frames(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    clip = tmp_path / "bars.mp4"
    process = await asyncio.create_subprocess_exec(
        imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i",
        "testsrc=size=320x240:rate=25:duration=1", "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv420p", str(clip),
    )  # fmt: skip
    assert await process.wait() == 0
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("", attachments=(attach(bot, clip, "bars.mp4"),))
        (session,) = sandbox.sandbox.sessions.values()
        assert session.video_infos[0]["file_type"] == "video"
        _, path, _ = await _status_picture(bot)
        (row,) = rows_in(path)
        left = Geometry(1000).left
        assert colours_in(path, (left + 2, row[1] + 6, left + 100, row[2] - 20)) > 20
