"""Odd messages and attachments: each gets a clear answer, nothing crashes."""

from __future__ import annotations

import logging
import subprocess
import zipfile
from pathlib import Path

import imageio_ffmpeg
import pytest
from PIL import Image

from bot.core.messages import Attachment
from bot.core.texts import t
from sandbox import RunningSandbox
from tests.engine.harness import Bot, running_bot

_UPLOAD_PATH = "/api/upload-video/"


def upload_calls(sandbox: RunningSandbox) -> list[str]:
    """Paths of the upload requests the sandbox received."""
    return [path for _, path, _ in sandbox.sandbox.requests if path.startswith(_UPLOAD_PATH)]


def png(path: Path, colour: str) -> Path:
    """A small real PNG."""
    Image.new("RGB", (64, 48), colour).save(path, "PNG")
    return path


def attach(bot: Bot, source: Path | None, name: str, size: int | None = None) -> Attachment:
    """An attachment the recording outbox can fetch (None: its file is gone)."""
    ref = f"ref-{name}-{len(bot.outbox.files)}"
    if source is not None:
        bot.outbox.files[ref] = source
        size = source.stat().st_size if size is None else size
    return Attachment("file", name, ref, size=size)


async def assert_still_answers(bot: Bot) -> None:
    """The bot keeps working after whatever came before."""
    await bot.say("hello")
    assert "NemoVideo agent" in bot.outbox.final_texts()[-1]


async def test_an_empty_message_gets_a_hint(sandbox: RunningSandbox, tmp_path: Path) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("")
        await bot.say("   \n\t ")
        assert (
            bot.outbox.texts()
            == [
                "Send me a description of the image you want, or /help.",
            ]
            * 2
        )
        assert sandbox.sandbox.sse_calls == 0
        await assert_still_answers(bot)


async def test_a_huge_message_is_refused_before_the_agent(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("x" * 20_000)
        line = bot.outbox.texts()[-1]
        assert "too long (20000 characters)" in line and "under 4000" in line
        assert sandbox.sandbox.sse_calls == 0
        await assert_still_answers(bot)


async def test_replacement_characters_are_just_text(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    garbled = b"generate an image of a caf\xe9 \xff\xfe terrace".decode("utf-8", "replace")
    assert "\ufffd" in garbled
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say(garbled)
        assert len(bot.outbox.of("image")) == 1
        assert "terrace" in bot.outbox.final_texts()[-1]


async def test_an_unknown_command_is_named(sandbox: RunningSandbox, tmp_path: Path) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("/foo bar")
        assert bot.outbox.texts() == [
            "I don't know the command /foo. Send /help to see what I can do."
        ]
        assert sandbox.sandbox.sse_calls == 0
        await bot.say("/help")
        assert "/cancel" in bot.outbox.texts()[-1]


async def test_a_missing_attachment_file_is_asked_for_again(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        gone = attach(bot, None, "holiday.png", size=1234)
        await bot.say("", attachments=(gone,))
        assert bot.outbox.texts() == ["I couldn't read holiday.png. Please send it again."]
        assert not upload_calls(sandbox)
        await assert_still_answers(bot)


async def test_an_exe_is_refused_for_what_it_is(sandbox: RunningSandbox, tmp_path: Path) -> None:
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00" + bytes(200))
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("", attachments=(attach(bot, program, "setup.exe"),))
        assert bot.outbox.texts() == [
            "setup.exe is really a program (EXE), not a picture, video or audio file, "
            "so I left it out."
        ]
        assert not upload_calls(sandbox)
        assert sandbox.sandbox.sse_calls == 0  # no caption: nothing to answer
        await assert_still_answers(bot)


async def test_a_png_that_is_not_an_image_is_refused_and_its_caption_answered(
    sandbox: RunningSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = tmp_path / "photo.png"
    fake.write_text("#!/bin/sh\necho this is not a picture\n")
    caplog.set_level(logging.INFO, logger="bot.core.uploads")
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say('add a title "Beach"', attachments=(attach(bot, fake, "photo.png"),))
        refusal = bot.outbox.texts()[0]
        assert refusal.startswith("I couldn't read photo.png as a picture, video or audio file")
        assert refusal.endswith("I'll answer your message without it.")
        assert not upload_calls(sandbox)
        assert sandbox.sandbox.sse_calls == 1  # the caption is answered, not dropped
        assert 'Added the title "Beach"' in bot.outbox.final_texts()[-1]
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refused == ["attachment refused: named .png, content unknown"]


async def test_a_png_named_jpg_goes_up_as_png(sandbox: RunningSandbox, tmp_path: Path) -> None:
    misnamed = png(tmp_path / "holiday.jpg", "orange")
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("", attachments=(attach(bot, misnamed, "holiday.jpg"),))
        assert bot.outbox.texts() == ["📎 Added 1 file to your project."]
        session = next(iter(sandbox.sandbox.sessions.values()))
        assert [info["filename"] for info in session.video_infos] == ["holiday.png"]


async def test_a_zip_named_jpg_is_named_for_what_it_is(
    sandbox: RunningSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("secret-notes.txt", "nothing to see")
    caplog.set_level(logging.INFO, logger="bot.core.uploads")
    async with running_bot(tmp_path, sandbox.url) as bot:
        caption = "generate an image of a lighthouse like this one"
        await bot.say(caption, attachments=(attach(bot, archive, "holiday.jpg"),))
        assert bot.outbox.texts()[0] == (
            "holiday.jpg is really a ZIP archive, not a picture, video or audio file, "
            "so I left it out. I'll answer your message without it."
        )
        assert not upload_calls(sandbox)
        assert len(bot.outbox.of("image")) == 1  # the caption ran as a turn
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.core.uploads"]
    assert lines == ["attachment refused: named .jpg, content zip"]
    assert not any("holiday" in line or "lighthouse" in line for line in caplog.messages)


async def test_two_files_of_one_name_keep_both(sandbox: RunningSandbox, tmp_path: Path) -> None:
    first = png(tmp_path / "a.png", "red")
    second = png(tmp_path / "b.png", "blue")
    async with running_bot(tmp_path, sandbox.url) as bot:
        files = (attach(bot, first, "photo.png"), attach(bot, second, "photo.png"))
        await bot.say("", attachments=files)
        session = next(iter(sandbox.sandbox.sessions.values()))
        names = [info["filename"] for info in session.video_infos]
        assert names == ["photo.png", "photo (2).png"]


async def test_a_300_mb_file_is_refused_without_reading_it(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    big = tmp_path / "long.mp4"
    with big.open("wb") as handle:
        handle.truncate(300 * 1024 * 1024)  # sparse: no blocks written
    async with running_bot(tmp_path, sandbox.url) as bot:
        attachment = attach(bot, big, "long.mp4")
        assert attachment.size == 300 * 1024 * 1024
        await bot.say("", attachments=(attachment,))
        line = bot.outbox.texts()[-1]
        assert line.startswith("long.mp4 is too large (the limit is 200 MB)")
        assert not upload_calls(sandbox)
        copies = [p for p in tmp_path.rglob("*") if p.is_file() and p.name == "long.mp4"]
        assert copies == [big]  # never fetched
        await assert_still_answers(bot)


async def test_two_pngs_with_a_caption_upload_together_then_run_the_caption(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    first = png(tmp_path / "first.png", "orange")
    second = png(tmp_path / "second.png", "teal")
    async with running_bot(tmp_path, sandbox.url) as bot:
        files = (attach(bot, first, "first.png"), attach(bot, second, "second.png"))
        await bot.say('add a title "Our trip"', attachments=files)

        assert len(upload_calls(sandbox)) == 1
        session = next(iter(sandbox.sandbox.sessions.values()))
        assert [info["filename"] for info in session.video_infos] == ["first.png", "second.png"]
        texts = bot.outbox.final_texts()
        assert "📎 Added 2 files to your project." in texts
        assert 'Added the title "Our trip"' in texts[-1]
        assert texts.index("📎 Added 2 files to your project.") < len(texts) - 1
        assert sandbox.sandbox.sse_calls == 1

        await bot.say("status")
        caption = bot.outbox.of("image")[-1].text  # the storyboard's
        assert caption.startswith("Timeline (2 tracks): 1. Video: first.png")


async def test_one_bad_file_among_good_ones_is_named_and_the_rest_uploaded(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    good = png(tmp_path / "good.png", "navy")
    async with running_bot(tmp_path, sandbox.url) as bot:
        files = (attach(bot, good, "good.png"), attach(bot, None, "lost.jpg", size=10))
        await bot.say("", attachments=files)
        assert bot.outbox.texts() == [
            "I couldn't read lost.jpg. Please send it again.",
            "📎 Added 1 file to your project.",
        ]
        assert len(upload_calls(sandbox)) == 1


def voice_note(path: Path) -> Path:
    """One second of Ogg Opus, as Telegram and Discord deliver voice messages."""
    subprocess.run(
        [
            *(imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f"),
            *("lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "libopus", str(path)),
        ],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return path


async def test_a_voice_note_is_uploaded_as_m4a(sandbox: RunningSandbox, tmp_path: Path) -> None:
    note = voice_note(tmp_path / "voice_1.ogg")
    broken = tmp_path / "broken.ogg"
    broken.write_bytes(b"OggS" + bytes(200))
    async with running_bot(tmp_path, sandbox.url) as bot:
        files = (attach(bot, note, "voice_1.ogg"), attach(bot, broken, "broken.ogg"))
        await bot.say("", attachments=files)
        assert bot.outbox.texts()[:2] == [
            t("upload_unrecognised", name="broken.ogg"),
            "📎 Added 1 file to your project.",
        ]
        session = next(iter(sandbox.sandbox.sessions.values()))
        assert [info["filename"] for info in session.video_infos] == ["voice_1.m4a"]
