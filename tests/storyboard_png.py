"""Reading a storyboard PNG back: which rows it has, and what a block there shows."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from bot.core.storyboard.draw import KIND_COLOURS, OTHER_COLOUR, PAD
from bot.core.storyboard.layout import OTHER_ROW
from bot.nemo.draft import AUDIO, TEXT, VIDEO, tracks

_KINDS = {colour: kind for kind, colour in KIND_COLOURS.items()} | {OTHER_COLOUR: OTHER_ROW}
_BY_TRACK_TYPE = {VIDEO: "visual", AUDIO: "audio", TEXT: "text"}


def rows_in(path: Path) -> list[tuple[str, int, int]]:
    """Each row as (kind, top, bottom), found by the coloured edge every row has."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    found: list[tuple[str, int, int]] = []
    for y in range(rgb.height):
        kind = _KINDS.get(rgb.getpixel((PAD + 1, y)))  # type: ignore[arg-type]
        if kind is None:
            continue
        if found and found[-1][0] == kind and found[-1][2] == y - 1:
            found[-1] = (kind, found[-1][1], y)
        else:
            found.append((kind, y, y))
    return found


def kinds_of(draft: object) -> list[str]:
    """The row kinds a draft should be drawn with: one per track that has segments."""
    filled = [track for track in tracks(draft) if track.segments]  # type: ignore[arg-type]
    return [_BY_TRACK_TYPE.get(track.kind, OTHER_ROW) for track in filled]


def colours_in(path: Path, box: tuple[int, int, int, int]) -> int:
    """How many different colours a part of the picture has (a thumbnail has many)."""
    with Image.open(path) as image:
        part = image.convert("RGB").crop(box)
    return len(part.getcolors(maxcolors=1 << 20) or [])
