"""The storyboard as drawn, against golden images (`STORYBOARD_GOLDEN=update` rewrites them).

Drawn with Pillow's own font only, so every machine draws the same; a small tolerance covers
anti-aliasing that differs between FreeType builds.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from bot.core.storyboard.draw import KIND_COLOURS, PAD, THUMB_HEIGHT, WIDTH, Geometry, render
from bot.core.storyboard.fonts import Fonts
from bot.core.storyboard.layout import Board, plan
from bot.nemo import SessionState
from tests.unit import storyboard_drafts as drafts

GOLDEN = Path(__file__).parent / "golden"
FAR = 32  # a pixel this far off (0-255, channels averaged) counts as different
ALLOWED = 0.005  # the share of pixels that may be different
FONTS = Fonts()


def _board(state: SessionState, lang: str = "en") -> Board:
    board = plan(state, lang)
    assert board is not None
    return board


def _thumbs(board: Board) -> dict[str, Image.Image]:
    return {m.key: drafts.swatch(n, (114, THUMB_HEIGHT)) for n, m in enumerate(board.media())}


def _different(png: bytes, golden: Path) -> float:
    """The share of pixels of `png` that are not like the golden image's."""
    got = Image.open(io.BytesIO(png)).convert("RGB")
    want = Image.open(golden).convert("RGB")
    if got.size != want.size:
        return 1.0
    diff = ImageChops.difference(got, want).convert("L")
    return sum(diff.histogram()[FAR:]) / (got.width * got.height)


def _check(png: bytes, name: str) -> None:
    golden = GOLDEN / f"storyboard_{name}.png"
    if os.environ.get("STORYBOARD_GOLDEN") == "update" or not golden.exists():
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(png)
        pytest.fail(f"wrote {golden.name}: look at it, commit it, run again")
    assert _different(png, golden) <= ALLOWED


SHAPES: dict[str, Callable[[], SessionState]] = {
    "one_track": drafts.one_track,
    "many_tracks": drafts.many_tracks,
    "missing_durations": drafts.missing_durations,
    "unknown_and_bare": drafts.unknown_and_bare,
    "chinese_without_cjk_font": drafts.chinese,
}


@pytest.mark.parametrize("name", SHAPES)
def test_each_draft_shape_looks_as_it_did(name: str) -> None:
    lang = "zh" if "chinese" in name else "en"
    board = _board(SHAPES[name](), lang)
    _check(render(board, _thumbs(board), FONTS, lang), name)


def test_the_tolerance_still_sees_a_missing_thumbnail() -> None:
    board = _board(drafts.one_track())
    thumbs = _thumbs(board)
    del thumbs[board.media()[1].key]  # drawn as a plain block instead
    assert _different(render(board, thumbs, FONTS, "en"), GOLDEN / "storyboard_one_track.png") > (
        10 * ALLOWED
    )


def test_rows_sit_where_the_geometry_says_in_their_kind_colour() -> None:
    board = _board(drafts.many_tracks())
    image = Image.open(io.BytesIO(render(board, _thumbs(board), FONTS, "en"))).convert("RGB")
    assert image.width == WIDTH
    for row, top in zip(board.rows, Geometry.row_tops(board.rows), strict=True):
        assert image.getpixel((PAD + 1, top + 10)) == KIND_COLOURS[row.kind]


def test_twenty_segments_stay_small() -> None:
    board = _board(drafts.twenty_segments())
    png = render(board, _thumbs(board), FONTS, "en")
    assert png.startswith(b"\x89PNG") and len(png) < 300_000


def test_more_tracks_than_rows_are_counted_under_the_last() -> None:
    many = [{"tt": 7, "sg": [{"st": 0, "d": 1000, "m": {"text": str(n)}}]} for n in range(10)]
    board = _board(SessionState({"t": many}))
    fewer = _board(SessionState({"t": many[:8]}))
    tall = Image.open(io.BytesIO(render(board, {}, FONTS, "en")))
    short = Image.open(io.BytesIO(render(fewer, {}, FONTS, "en")))
    assert tall.height > short.height  # the "+2 more" line
    strip = tall.crop((PAD, short.height - 14, PAD + 150, tall.height)).convert("L")
    assert strip.getextrema()[1] > 100  # words were drawn there
