"""Read a session draft: its tracks and segments, and what changed between two states.

Draft keys are short: `t` tracks, `tt` track type (0 video, 1 audio, 7 text), `sg`
segments, `st` start and `d` duration in ms, `m` metadata. Media paths may be
server-local (`/mnt/userdata/…`): only names are ever shown. The wording of a summary
is the chat's business (`bot.core.timeline`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from bot.nemo.models import GeneratedMedia, SessionState

__all__ = [
    "Changes",
    "Segment",
    "Track",
    "changes",
    "has_content",
    "length_ms",
    "media_key",
    "title",
    "tracks",
]

VIDEO, AUDIO, TEXT = 0, 1, 7


@dataclass(frozen=True, slots=True)
class Segment:
    """One clip, sound or text on a track."""

    key: str
    name: str
    start_ms: int
    duration_ms: int
    volume: float | None = None
    src: str = ""  # where the backend keeps the file: often a server-local path
    url: str = ""  # an http(s) address of the file, when the draft gives one
    media_type: str = ""  # "image", "video", "audio"… when the draft says


@dataclass(frozen=True, slots=True)
class Track:
    """One track of the timeline."""

    kind: int
    label: str  # the track's own name, "" when it has none
    segments: tuple[Segment, ...]

    @property
    def start_ms(self) -> int:
        """Where the track's first segment starts."""
        return min((s.start_ms for s in self.segments), default=0)

    @property
    def end_ms(self) -> int:
        """Where the track's last segment ends."""
        return max((s.start_ms + s.duration_ms for s in self.segments), default=0)


@dataclass(frozen=True, slots=True)
class Changes:
    """What one turn did to the project."""

    new_segments: tuple[tuple[Track, Segment], ...] = ()
    removed_segments: tuple[tuple[Track, Segment], ...] = ()
    new_media: tuple[GeneratedMedia, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.new_segments or self.removed_segments or self.new_media)


def tracks(draft: Mapping[str, Any]) -> tuple[Track, ...]:
    """The draft's tracks, tolerant of missing or odd fields."""
    raw_tracks = draft.get("t") if isinstance(draft, Mapping) else None
    if not isinstance(raw_tracks, list):
        return ()
    found = []
    for raw in raw_tracks:
        if not isinstance(raw, Mapping):
            continue
        kind = _int(raw.get("tt"), VIDEO)
        meta = _mapping(raw.get("m"))
        label = str(meta.get("name") or "").strip()
        segments = tuple(_segments(raw.get("sg"), kind))
        found.append(Track(kind, label, segments))
    return tuple(found)


def title(draft: Mapping[str, Any]) -> str:
    """The project's title from the draft's metadata, "" when it has none."""
    meta = _mapping(draft.get("m")) if isinstance(draft, Mapping) else {}
    value = meta.get("title")
    return value.strip() if isinstance(value, str) else ""


def length_ms(draft: Mapping[str, Any]) -> int:
    """How long the project runs: the draft's `d`, or where its last segment ends."""
    stated = _int(draft.get("d")) if isinstance(draft, Mapping) else 0
    ends = (track.end_ms for track in tracks(draft))
    return max(stated, *ends, 0)


def has_content(draft: Mapping[str, Any]) -> bool:
    """True when at least one track has a segment (the only drafts worth exporting)."""
    return any(track.segments for track in tracks(draft))


def changes(before: SessionState | None, after: SessionState) -> Changes:
    """New and removed segments, and newly generated media, between two states."""
    old = _keyed(tracks(before.draft)) if before else {}
    new = _keyed(tracks(after.draft))
    known_media = {media_key(m.url) for m in before.generated_media} if before else set()
    return Changes(
        new_segments=tuple(new[k] for k in new if k not in old),
        removed_segments=tuple(old[k] for k in old if k not in new),
        new_media=tuple(m for m in after.generated_media if media_key(m.url) not in known_media),
    )


def media_key(url: str) -> str:
    """What identifies a generated file: its URL without the query (signatures change)."""
    return url.split("?", 1)[0].split("#", 1)[0]


def _segments(raw: Any, kind: int) -> Iterable[Segment]:
    if not isinstance(raw, list):
        return
    for index, seg in enumerate(raw):
        if not isinstance(seg, Mapping):
            continue
        meta = _mapping(seg.get("m"))
        name = _name(meta) or _name(seg) or f"clip {index + 1}"
        volume = meta.get("volume", seg.get("volume"))
        start, duration = _int(seg.get("st")), _int(seg.get("d"))
        key = str(seg.get("id") or f"{kind}:{name}:{start}")
        src, url = _text(meta, "src", "path"), _text(meta, "url")
        media = _text(meta, "type").lower()
        yield Segment(key, name, start, duration, _float_or_none(volume), src, url, media)


def _text(meta: Mapping[str, Any], *keys: str) -> str:
    """The first of `keys` holding a non-blank string, stripped; "" when none does."""
    for key in keys:
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _name(meta: Mapping[str, Any]) -> str | None:
    for key in ("text", "name", "title", "prompt"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    for key in ("src", "url", "path"):
        value = meta.get(key)
        if isinstance(value, str) and value.strip():
            return PurePosixPath(urlsplit(value).path).name or None
    return None


def _keyed(all_tracks: Iterable[Track]) -> dict[str, tuple[Track, Segment]]:
    return {s.key: (t, s) for t in all_tracks for s in t.segments}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


# Positions and durations beyond this (about 30 years of milliseconds) are nonsense.
_MAX_MS = 10**12


def _int(value: Any, default: int = 0) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):  # junk, NaN, infinity
        return default
    return max(-_MAX_MS, min(_MAX_MS, number))


def _float_or_none(value: Any) -> float | None:
    try:
        number = None if value is None else float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is not None and math.isfinite(number) else None
