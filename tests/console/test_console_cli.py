"""`nemobot chat` as a newcomer runs it: a real process, stdin piped, files saved to --out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.media import probe_video
from sandbox import RunningSandbox, SandboxOptions, run_sandbox
from tests.console.cli_support import nemobot


@pytest.fixture
async def registered() -> AsyncIterator[tuple[RunningSandbox, str]]:
    """A separately running sandbox and a registered token on it."""
    async with run_sandbox(SandboxOptions(chunk_delay_seconds=0, image_seconds=1)) as running:
        yield running, running.sandbox.create_user_token(credits=50)


async def test_make_run_promise_sunset_then_export(tmp_path: Path) -> None:
    """No tokens: the built-in sandbox answers, the image and a 1080p H.264 MP4 are saved."""
    lines = b"generate an image of a sunset over a mountain lake\nexport\n"
    run = await nemobot(tmp_path, lines, "chat", "--out", "out", "--user", "newcomer")
    assert run.code == 0, run.err
    assert "[image] out/" in run.out
    assert "[video] out/" in run.out
    videos = list((tmp_path / "out").glob("*.mp4"))
    assert len(videos) == 1 and videos[0].name.startswith("render_")
    assert [p.name[:4] for p in (tmp_path / "out").glob("*.png")] == ["img_"]
    info = await probe_video(videos[0])
    assert info is not None and (info.codec, info.width, info.height) == ("h264", 1920, 1080)
    assert (tmp_path / "nemobot-sandbox.db").stat().st_mode & 0o777 == 0o600
    assert "Traceback" not in run.out + run.err


async def test_lines_are_answered_in_order(tmp_path: Path) -> None:
    """Batch mode handles each line fully before reading the next."""
    lines = b"credits\n/help\nstatus\n"
    run = await nemobot(tmp_path, lines, "chat")
    assert run.code == 0, run.err
    credits_at = run.out.index("Credits:")
    help_at = run.out.index("What I understand")
    status_at = run.out.index("timeline is empty")
    assert credits_at < help_at < status_at


async def test_bad_input_gets_clear_answers_and_no_crash(tmp_path: Path) -> None:
    """Empty, huge, undecodable, unknown, missing, foreign and oversized input."""
    sparse = tmp_path / "huge.png"
    with sparse.open("wb") as handle:
        handle.truncate(300 * 1024 * 1024)
    (tmp_path / "tool.exe").write_bytes(b"MZ\x90\x00" * 64)
    lines = (
        b"\n".join(
            [
                b"",
                b"x" * 20_000,
                b"caf\xc3 \xff\xfe broken bytes",
                b"/frobnicate",
                b"/attach nowhere/missing.png",
                b"/attach tool.exe",
                b"/attach huge.png",
                b"/credits",
            ]
        )
        + b"\n"
    )
    run = await nemobot(tmp_path, lines, "chat")
    assert run.code == 0, run.err
    assert "Send me a description" in run.out
    assert "too long (20000 characters)" in run.out
    assert "/frobnicate" in run.out and "/help" in run.out
    assert "couldn't read missing.png" in run.out
    assert "tool.exe is really a program (EXE)" in run.out
    assert "huge.png is too large" in run.out
    assert "Credits:" in run.out  # still alive at the end
    assert "Traceback" not in run.out + run.err


async def test_attach_uploads_a_picture_and_runs_the_caption(tmp_path: Path) -> None:
    """`/attach PATH caption` uploads the file, then the caption is a turn."""
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 40, 40)).save(tmp_path / "red dot.png")
    lines = b'/attach "red dot.png" show timeline\n'
    run = await nemobot(tmp_path, lines, "chat")
    assert run.code == 0, run.err
    assert "Added 1 file to your project." in run.out
    assert "red dot.png" in run.out


async def test_a_registered_token_never_reaches_output(
    tmp_path: Path, registered: tuple[RunningSandbox, str]
) -> None:
    """With NEMO_TOKEN and debug logging, the token appears in no output line."""
    running, token = registered
    minted = running.sandbox.tokens_issued
    run = await nemobot(
        tmp_path,
        b"generate an image of a fox\ncredits\n",
        "chat",
        NEMO_API_BASE=running.url,
        NEMO_TOKEN=token,
        NEMOBOT_LOG_LEVEL="DEBUG",
    )
    assert run.code == 0, run.err
    assert "Credits: 45 available" in run.out
    assert token not in run.out + run.err
    assert running.sandbox.tokens_issued == minted  # the shared token was used, none minted


async def test_a_malformed_setting_fails_with_one_line(tmp_path: Path) -> None:
    """A wrong value stops the bot at start, naming the variable, with no traceback."""
    run = await nemobot(tmp_path, b"", "chat", NEMOBOT_RENDER_POLL_SECONDS="soon")
    assert run.code == 2
    assert run.err.strip().count("\n") == 0
    assert "NEMOBOT_RENDER_POLL_SECONDS" in run.err
    assert "Traceback" not in run.err
