"""What the storyboard shows, worked out from a session state: its rows and their blocks.

Pure: no drawing and no network. Media are only ever named by http(s) URLs (from the
segment, `video_infos` or `generated_media`), never by the server-local paths
(`/mnt/userdata/…`) drafts keep.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from bot.core.texts import t
from bot.core.timeline import track_label
from bot.nemo import SessionState
from bot.nemo.draft import AUDIO, TEXT, VIDEO, Segment, Track, length_ms, media_key, title, tracks

__all__ = [
    "AUDIO_ROW",
    "OTHER_ROW",
    "TEXT_ROW",
    "VISUAL_ROW",
    "Block",
    "Board",
    "Media",
    "Row",
    "plan",
]

VISUAL_ROW, AUDIO_ROW, TEXT_ROW, OTHER_ROW = "visual", "audio", "text", "other"
_ROW_KINDS = {VIDEO: VISUAL_ROW, AUDIO: AUDIO_ROW, TEXT: TEXT_ROW}
_VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v"})
MAX_ROWS = 8  # more tracks than this are counted in a last line, not drawn


@dataclass(frozen=True, slots=True)
class Media:
    """A file a thumbnail can be made from."""

    url: str  # http(s) only
    video: bool = False  # a clip: its thumbnail is one of its frames

    @property
    def key(self) -> str:
        """What identifies the file (its URL without the query, as for generated media)."""
        return media_key(self.url)


@dataclass(frozen=True, slots=True)
class Block:
    """One segment as drawn: where it sits, what it says, what it shows."""

    start_ms: int
    duration_ms: int  # 0 when the draft does not say
    label: str
    media: Media | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """One track as drawn."""

    kind: str  # VISUAL_ROW, AUDIO_ROW, TEXT_ROW or OTHER_ROW
    label: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Board:
    """The whole picture: a title, the project's length and one row per track."""

    title: str
    length_ms: int
    rows: tuple[Row, ...]
    more_rows: int = 0  # tracks left out past MAX_ROWS

    def media(self) -> list[Media]:
        """Every file a thumbnail is wanted of, each once, in the order they are drawn."""
        found: dict[str, Media] = {}
        for row in self.rows:
            for block in row.blocks:
                if block.media is not None:
                    found.setdefault(block.media.key, block.media)
        return list(found.values())


def plan(state: SessionState, lang: str) -> Board | None:
    """The storyboard of `state`, or None when no track has a segment (nothing to draw)."""
    filled = [track for track in tracks(state.draft) if track.segments]
    if not filled:
        return None
    index = _MediaIndex(state)
    rows = tuple(_row(track, index, lang) for track in filled[:MAX_ROWS])
    name = title(state.draft) or t("board_untitled", lang)
    return Board(name, max(length_ms(state.draft), 0), rows, max(0, len(filled) - MAX_ROWS))


def _row(track: Track, index: _MediaIndex, lang: str) -> Row:
    kind = _ROW_KINDS.get(track.kind, OTHER_ROW)
    ordered = sorted(track.segments, key=lambda s: s.start_ms)
    blocks = tuple(_block(kind, seg, index, lang) for seg in ordered)
    return Row(kind, track_label(track, lang), blocks)


def _block(kind: str, seg: Segment, index: _MediaIndex, lang: str) -> Block:
    start, duration = max(0, seg.start_ms), max(0, seg.duration_ms)
    if kind == VISUAL_ROW:
        return Block(start, duration, seg.name, index.find(seg))
    if kind == TEXT_ROW:
        return Block(start, duration, t("timeline_quote", lang, text=seg.name))
    volume = seg.volume
    if kind == AUDIO_ROW and volume is not None and abs(volume) < 1e6:
        label = t("board_volume", lang, name=seg.name, volume=round(volume * 100))
        return Block(start, duration, label)
    return Block(start, duration, seg.name)


class _MediaIndex:
    """Where a segment's file can be fetched from, by what the state says about it."""

    def __init__(self, state: SessionState) -> None:
        self._by_segment: dict[str, Media] = {}
        self._by_name: dict[str, Media] = {}
        for info in state.video_infos:
            if isinstance(info, Mapping):
                self._add_info(info)
        for item in state.generated_media:
            media = _media(item.url, item.type)
            if media is not None:
                self._by_name.setdefault(_basename(item.url), media)

    def _add_info(self, info: Mapping[str, Any]) -> None:
        media = _media(info.get("cdn_url"), info.get("file_type"))
        if media is None:
            return
        segment = info.get("segment_id")
        if isinstance(segment, str) and segment:
            self._by_segment[segment] = media
        for value in (info.get("src"), info.get("filename"), info.get("cdn_url")):
            if isinstance(value, str) and _basename(value):
                self._by_name.setdefault(_basename(value), media)

    def find(self, seg: Segment) -> Media | None:
        """The segment's own URL, else what `video_infos` or `generated_media` give for it."""
        for url in (seg.url, seg.src):
            media = _media(url, seg.media_type)
            if media is not None:
                return media
        if seg.key in self._by_segment:
            return self._by_segment[seg.key]
        for value in (seg.src, seg.url):
            name = _basename(value) if value else ""
            if name in self._by_name:
                return self._by_name[name]
        return None


def _media(url: object, kind: object) -> Media | None:
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # a malformed URL ("http://[")
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    suffix = PurePosixPath(parts.path).suffix.lower()
    video = kind == "video" or (kind != "image" and suffix in _VIDEO_SUFFIXES)
    return Media(url.strip(), video)


def _basename(value: str) -> str:
    try:
        return PurePosixPath(urlsplit(value).path).name
    except ValueError:  # a malformed URL ("http://[")
        return ""
