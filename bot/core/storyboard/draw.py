"""Drawing a `Board` as a PNG: the title and length, a ruler in seconds, one row per track.

Geometry is fixed (1280 px wide, rows of known heights) so the picture of a draft is always
the same: tests compare it with golden images, and the console test finds rows by colour.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image, ImageDraw

from bot.core.storyboard.fonts import Fonts
from bot.core.storyboard.layout import AUDIO_ROW, TEXT_ROW, VISUAL_ROW, Block, Board, Row
from bot.core.texts import t

__all__ = ["KIND_COLOURS", "THUMB_HEIGHT", "Geometry", "render"]

WIDTH, PAD, GUTTER = 1280, 16, 150
HEADER, RULER, GAP, BOTTOM = 56, 28, 8, 14
ROW_HEIGHTS = {VISUAL_ROW: 72}
ROW_HEIGHT = 40  # audio, text and unknown tracks
INSET = 4  # between a row's edge and its blocks
THUMB_HEIGHT = ROW_HEIGHTS[VISUAL_ROW] - 2 * INSET
UNKNOWN_WIDTH = 28  # a segment whose length the draft does not give
STRIPE = 5  # the coloured edge that says a row's kind

BACKGROUND, ROW_BACKGROUND, GRID = (23, 24, 28), (33, 35, 41), (52, 55, 63)
INK, MUTED, SHADE = (232, 234, 238), (150, 156, 166), (14, 15, 18)
KIND_COLOURS = {
    VISUAL_ROW: (76, 139, 245),
    AUDIO_ROW: (63, 178, 127),
    TEXT_ROW: (240, 160, 64),
}
OTHER_COLOUR = (138, 143, 152)
_FILLS = {VISUAL_ROW: (52, 60, 82), AUDIO_ROW: (34, 84, 64), TEXT_ROW: (92, 62, 28)}
_OTHER_FILL = (62, 64, 72)
_TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)  # seconds


@dataclass(frozen=True, slots=True)
class Geometry:
    """Where rows and times fall on the picture."""

    scale_ms: int  # the time the ruler spans

    @property
    def left(self) -> int:
        """Where the time axis starts."""
        return PAD + GUTTER

    @property
    def span(self) -> int:
        """The time axis's length in pixels."""
        return WIDTH - PAD - self.left

    def x(self, ms: int) -> int:
        """The pixel column of a time."""
        return self.left + round(min(ms, self.scale_ms) * self.span / self.scale_ms)

    @staticmethod
    def row_tops(rows: tuple[Row, ...]) -> list[int]:
        """Each row's top edge."""
        tops, y = [], HEADER + RULER
        for row in rows:
            tops.append(y)
            y += ROW_HEIGHTS.get(row.kind, ROW_HEIGHT) + GAP
        return tops


def render(board: Board, thumbs: Mapping[str, Image.Image], fonts: Fonts, lang: str) -> bytes:
    """The board as PNG bytes; `thumbs` are by `Media.key`, THUMB_HEIGHT pixels tall."""
    unknown = max(1000, board.length_ms // 8)  # room for a block of unknown length
    ends = (b.start_ms + (b.duration_ms or unknown) for row in board.rows for b in row.blocks)
    geometry = Geometry(max(board.length_ms, 1000, *ends))
    tops = geometry.row_tops(board.rows)
    height = (tops[-1] if tops else HEADER + RULER) + _last_height(board) + BOTTOM
    height += ROW_HEIGHT if board.more_rows else 0
    canvas = Image.new("RGB", (WIDTH, height), BACKGROUND)
    pen = ImageDraw.Draw(canvas)
    with fonts.lock:
        _header(pen, board, fonts)
        _ruler(pen, geometry, fonts, height)
        for row, top in zip(board.rows, tops, strict=True):
            _row(canvas, pen, row, top, geometry, thumbs, fonts)
        if board.more_rows:
            more = t("board_more_rows", lang, count=board.more_rows)
            _text(pen, fonts, more, (PAD, height - BOTTOM - ROW_HEIGHT + 10), 14, GUTTER, MUTED)
    out = io.BytesIO()
    canvas.save(out, "PNG", compress_level=6)
    return out.getvalue()


def _last_height(board: Board) -> int:
    if not board.rows:
        return 0
    return ROW_HEIGHTS.get(board.rows[-1].kind, ROW_HEIGHT)


def _text(
    pen: ImageDraw.ImageDraw,
    fonts: Fonts,
    text: str,
    at: tuple[int, int],
    size: int,
    width: float,
    colour: tuple[int, int, int],
    anchor: str = "la",
) -> None:
    fitted = fonts.fit(text, size, width)
    if fitted is not None:
        face, shown = fitted
        pen.text(at, shown, font=face, fill=colour, anchor=anchor)


def _header(pen: ImageDraw.ImageDraw, board: Board, fonts: Fonts) -> None:
    length = _clock(board.length_ms)
    face = fonts.face(None, 20)
    pen.text((WIDTH - PAD, 18), length, font=face, fill=MUTED, anchor="ra")
    room = WIDTH - 2 * PAD - face.getlength(length) - 24
    _text(pen, fonts, board.title, (PAD, 14), 26, room, INK)


def _ruler(pen: ImageDraw.ImageDraw, geometry: Geometry, fonts: Fonts, height: int) -> None:
    face = fonts.face(None, 12)
    seconds = geometry.scale_ms / 1000
    step = _tick_step(seconds, geometry.span)
    top = HEADER + RULER
    for tick in range(0, int(seconds) + 1, step):
        x = geometry.x(tick * 1000)
        pen.line([(x, top - 6), (x, height - BOTTOM)], fill=GRID, width=1)
        anchor = "ra" if x > WIDTH - PAD - 20 else "ma" if tick else "la"
        pen.text((x, HEADER + 2), _clock(tick * 1000), font=face, fill=MUTED, anchor=anchor)


def _tick_step(seconds: float, span: int) -> int:
    """Seconds between ruler ticks: a round number, the ticks at least 64 pixels apart."""
    need = seconds * 64 / span
    return next((s for s in _TICK_STEPS if s >= need), math.ceil(need / 3600) * 3600)


def _row(
    canvas: Image.Image,
    pen: ImageDraw.ImageDraw,
    row: Row,
    top: int,
    geometry: Geometry,
    thumbs: Mapping[str, Image.Image],
    fonts: Fonts,
) -> None:
    bottom = top + ROW_HEIGHTS.get(row.kind, ROW_HEIGHT) - 1
    colour = KIND_COLOURS.get(row.kind, OTHER_COLOUR)
    pen.rectangle([PAD, top, WIDTH - PAD - 1, bottom], fill=ROW_BACKGROUND)
    pen.rectangle([PAD, top, PAD + STRIPE - 1, bottom], fill=colour)
    middle = (top + bottom) // 2
    _icon(pen, row.kind, PAD + STRIPE + 8, middle, colour)
    _text(pen, fonts, row.label, (PAD + STRIPE + 32, middle), 14, GUTTER - 44, INK, "lm")
    for block in row.blocks:
        _block(canvas, pen, row.kind, block, (top + INSET, bottom - INSET), geometry, thumbs, fonts)


def _icon(pen: ImageDraw.ImageDraw, kind: str, x: int, y: int, colour: tuple[int, ...]) -> None:
    """A small sign of the row's kind, readable without words."""
    if kind == VISUAL_ROW:  # a frame of film
        pen.rectangle([x, y - 7, x + 17, y + 7], outline=colour, width=2)
        pen.polygon([(x + 7, y - 4), (x + 7, y + 4), (x + 13, y)], fill=colour)
    elif kind == AUDIO_ROW:  # a note
        pen.ellipse([x, y + 1, x + 8, y + 7], fill=colour)
        pen.line([(x + 7, y + 4), (x + 7, y - 8), (x + 15, y - 5)], fill=colour, width=2)
    elif kind == TEXT_ROW:  # a T
        pen.rectangle([x + 1, y - 7, x + 15, y - 5], fill=colour)
        pen.rectangle([x + 7, y - 7, x + 9, y + 7], fill=colour)
    else:
        pen.ellipse([x + 3, y - 5, x + 13, y + 5], outline=colour, width=2)


def _block(
    canvas: Image.Image,
    pen: ImageDraw.ImageDraw,
    kind: str,
    block: Block,
    rows: tuple[int, int],
    geometry: Geometry,
    thumbs: Mapping[str, Image.Image],
    fonts: Fonts,
) -> None:
    top, bottom = rows
    left = geometry.x(block.start_ms)
    known = block.duration_ms > 0
    right = geometry.x(block.start_ms + block.duration_ms) - 2 if known else left + UNKNOWN_WIDTH
    right = min(max(right, left + 3), WIDTH - PAD - 1)
    box = (left, top, right, bottom)
    fill = _FILLS.get(kind, _OTHER_FILL)
    thumb = thumbs.get(block.media.key) if block.media is not None else None
    if thumb is not None and kind == VISUAL_ROW:
        _tile(canvas, thumb, box)
    elif known:
        pen.rectangle(box, fill=fill, outline=KIND_COLOURS.get(kind, OTHER_COLOUR))
    else:  # no length: an outline at its start, with a question mark
        pen.rectangle(box, outline=KIND_COLOURS.get(kind, OTHER_COLOUR), width=2)
        middle = ((left + right) // 2, (top + bottom) // 2)
        pen.text(middle, "?", font=fonts.face(None, 14), fill=MUTED, anchor="mm")
    _label(pen, fonts, kind, block.label, box, thumb is not None)


def _tile(canvas: Image.Image, thumb: Image.Image, box: tuple[int, int, int, int]) -> None:
    """The thumbnail side by side along the block, the last one cut, like an editor's."""
    left, top, right, bottom = box
    height = bottom - top + 1
    if thumb.height != height:
        scaled = max(1, round(thumb.width * height / thumb.height))
        thumb = thumb.resize((scaled, height))
    x = left
    while x <= right:
        width = min(thumb.width, right - x + 1)
        canvas.paste(thumb.crop((0, 0, width, height)) if width < thumb.width else thumb, (x, top))
        x += thumb.width


def _label(
    pen: ImageDraw.ImageDraw,
    fonts: Fonts,
    kind: str,
    label: str,
    box: tuple[int, int, int, int],
    over_picture: bool,
) -> None:
    left, top, right, bottom = box
    room = right - left - 8
    if room < 24:
        return
    if over_picture:  # a dark strip at the bottom keeps the words readable
        pen.rectangle([left, bottom - 16, right, bottom], fill=SHADE)
        _text(pen, fonts, label, (left + 4, bottom - 8), 12, room, INK, "lm")
        return
    middle = (top + bottom) // 2
    _text(pen, fonts, label, (left + 5, middle), 13 if kind != VISUAL_ROW else 12, room, INK, "lm")


def _clock(ms: int) -> str:
    """A time as m:ss (h:mm:ss past an hour)."""
    seconds = max(0, round(ms / 1000))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
