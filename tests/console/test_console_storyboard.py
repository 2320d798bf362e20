"""`/status` in the console saves the storyboard PNG, whose rows are the draft's tracks."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from bot.core.storyboard.draw import WIDTH, Geometry
from sandbox import SandboxOptions, run_sandbox
from tests.console.cli_support import nemobot
from tests.storyboard_png import colours_in, kinds_of, rows_in


async def test_status_after_a_generation_and_music_saves_a_matching_storyboard(
    tmp_path: Path,
) -> None:
    lines = b"generate an image of a sunset over a mountain lake\nadd some music\n/status\n"
    async with run_sandbox(SandboxOptions(chunk_delay_seconds=0, image_seconds=3)) as running:
        run = await nemobot(tmp_path, lines, "chat", "--out", "out", NEMO_API_BASE=running.url)
        (session,) = running.sandbox.sessions.values()
        draft = session.draft
    assert run.code == 0, run.err
    status = run.out.split("bot> Timeline (2 tracks): 1. Video: a sunset", 1)[1]
    saved = re.search(r"\[image\] (out/img_\S+\.png)", status)
    assert saved is not None, run.out
    path = tmp_path / saved.group(1)
    with Image.open(path) as image:
        assert (image.format, image.width) == ("PNG", WIDTH)
    rows = rows_in(path)
    assert [kind for kind, _, _ in rows] == kinds_of(draft) == ["visual", "audio"]
    left = Geometry(1000).left
    (_, top, bottom), (_, music_top, music_bottom) = rows
    assert colours_in(path, (left + 2, top + 6, left + 80, bottom - 20)) > 20  # the picture
    # The music spans the whole project: its bar reaches the right end, one flat colour.
    assert colours_in(path, (WIDTH - 120, music_top + 8, WIDTH - 30, music_bottom - 8)) == 1
