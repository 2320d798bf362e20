"""Fonts for the storyboard, chosen per string so no glyph is drawn as a tofu box.

Pillow's own font (Aileron, inside every Pillow wheel) draws Latin text the same on every
machine. A string it cannot show goes to the first fallback that covers all of it: a CJK
font found on the system (Noto Sans CJK, WenQuanYi, Droid Sans Fallback, PingFang, Microsoft
YaHei…), then DejaVu Sans. With none, the characters no font has are left out, and a string
left with nothing readable is not drawn at all: the caption carries every word.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

__all__ = ["FontFile", "Fonts", "system_fonts"]

log = logging.getLogger(__name__)

Face = ImageFont.FreeTypeFont
_ELLIPSIS = "…"
_UNASSIGNED = "\U0010fffd"  # a private-use character no font draws: shows the missing glyph
_CJK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
_LATIN_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)


@dataclass(frozen=True, slots=True)
class FontFile:
    """A font on disk (`index`: which face of a .ttc collection)."""

    path: str
    index: int = 0


class Fonts:
    """Faces by size, and which of them can show a given string."""

    def __init__(self, fallbacks: Sequence[FontFile] = ()) -> None:
        self._sources: tuple[FontFile | None, ...] = (None, *fallbacks)  # None: Pillow's own
        self._faces: dict[tuple[FontFile | None, int], Face] = {}
        self._covered: dict[tuple[FontFile | None, str], bool] = {}
        self._lock = threading.Lock()  # a FreeType face is not safe in two threads at once

    @property
    def fallbacks(self) -> tuple[FontFile, ...]:
        """The font files tried after Pillow's own, in order."""
        return tuple(source for source in self._sources if source is not None)

    @property
    def lock(self) -> threading.Lock:
        """Held while drawing with these faces."""
        return self._lock

    def fit(self, text: str, size: int, width: float) -> tuple[Face, str] | None:
        """A face of `size` and `text` as it can be shown within `width` pixels (cut with
        "…"), or None when nothing readable of it can be drawn."""
        text = " ".join(text.split())
        chosen = self._choose(text)
        if chosen is None:
            return None
        source, shown = chosen
        face = self.face(source, size)
        if face.getlength(shown) <= width:
            return face, shown
        cut = _cut(face, shown, width)
        return (face, cut) if cut else None

    def face(self, source: FontFile | None, size: int) -> Face:
        """The face of `source` (None: Pillow's own) at `size` pixels."""
        key = (source, size)
        face = self._faces.get(key)
        if face is None:
            face = self._load(source, size)
            self._faces[key] = face
        return face

    def _choose(self, text: str) -> tuple[FontFile | None, str] | None:
        wanted = {ch for ch in text if not ch.isspace()}
        for source in self._sources:
            if all(self._covers(source, ch) for ch in wanted):
                return source, text
        kept = "".join(ch for ch in text if ch.isspace() or self._covers(None, ch))
        kept = " ".join(kept.split())
        return (None, kept) if any(ch.isalnum() for ch in kept) else None

    def _covers(self, source: FontFile | None, ch: str) -> bool:
        key = (source, ch)
        known = self._covered.get(key)
        if known is None:
            face = self.face(source, 16)
            known = _glyph(face, ch) != _glyph(face, _UNASSIGNED)
            self._covered[key] = known
        return known

    @staticmethod
    def _load(source: FontFile | None, size: int) -> Face:
        if source is None:
            face = ImageFont.load_default(size)
            if not isinstance(face, Face):  # a Pillow built without FreeType
                raise OSError("Pillow has no FreeType support")
            return face
        return ImageFont.truetype(source.path, size, index=source.index)


def _glyph(face: Face, ch: str) -> tuple[tuple[int, int], bytes]:
    mask = face.getmask(ch)
    return mask.size, bytes(mask)


def _cut(face: Face, text: str, width: float) -> str:
    """The longest start of `text` that fits `width` with "…" after it ("" if none does)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if face.getlength(text[:middle].rstrip() + _ELLIPSIS) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + _ELLIPSIS if low else ""


@functools.cache
def system_fonts() -> Fonts:
    """The fonts of this machine: looked for once per process."""
    cjk = _cjk_font()
    if cjk is None:
        log.info("no CJK font on this machine: the storyboard leaves such words to its caption")
    return Fonts([found for found in (cjk, _first(_LATIN_FILES)) if found is not None])


def _cjk_font() -> FontFile | None:
    known = _first(_CJK_FILES)
    path = known.path if known else _fontconfig_cjk()
    return None if path is None else FontFile(path, _simplified_face(path))


def _first(paths: Sequence[str]) -> FontFile | None:
    return next((FontFile(path) for path in paths if Path(path).is_file()), None)


def _fontconfig_cjk() -> str | None:
    """A font fontconfig says covers Chinese, sans-serif ones first."""
    if shutil.which("fc-list") is None:
        return None
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=5, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted({line.split(":")[0].strip() for line in listed.splitlines() if line.strip()})
    files.sort(key=lambda path: ("serif" in path.lower() and "sans" not in path.lower(), path))
    return files[0] if files else None


def _simplified_face(path: str) -> int:
    """In a collection, the face for Simplified Chinese (Noto's "… SC"), else the first."""
    if not path.lower().endswith(".ttc"):
        return 0
    for index in range(12):
        try:
            family = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:
            break
        if family.endswith(" SC") or "GB" in family:
            return index
    return 0
