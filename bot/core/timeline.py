"""The project in words, in the user's language: the timeline summary and what a turn did.

`Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title:
"Urban Dreams" (0-3s)` — or the same in Chinese.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from bot.core.texts import t, t_count
from bot.nemo.draft import AUDIO, TEXT, VIDEO, Changes, Track, tracks

__all__ = ["describe_changes", "summary", "track_label"]

# Names a backend gives tracks that only say what kind they are: shown in the user's language.
_GENERIC = {
    VIDEO: {"video", "main", "visual", "images"},
    AUDIO: {"bgm", "music", "audio", "background music"},
    TEXT: {"title", "text", "titles", "caption"},
}
_KIND_KEYS = {VIDEO: "track_video", AUDIO: "track_audio", TEXT: "track_text"}
_MAX_NAME = 60  # characters of one segment's name in the summary


def track_label(track: Track, lang: str) -> str:
    """The track's own name, or its kind in `lang` when the name is generic or missing."""
    if track.label and track.label.lower() not in _GENERIC.get(track.kind, set()):
        return track.label
    return t(_KIND_KEYS.get(track.kind, "track_other"), lang)


def summary(draft: Mapping[str, Any], lang: str = "en") -> str | None:
    """The skill-style one-line timeline summary, or None when the timeline is empty."""
    filled = [track for track in tracks(draft) if track.segments]
    if not filled:
        return None
    items = " ".join(
        t("timeline_item", lang, index=i, label=track_label(track, lang), **_parts(track, lang))
        for i, track in enumerate(filled, 1)
    )
    word = t("timeline_track_one" if len(filled) == 1 else "timeline_track_many", lang)
    return t("timeline", lang, count=len(filled), tracks=word, items=items)


def describe_changes(diff: Changes, lang: str = "en", *, images: int | None = None) -> str:
    """What a turn changed, for a turn that gave no text of its own.

    `images`: how many new images the turn made, when known better than `diff` does (some
    backends report images only in tool results).
    """
    images = len(diff.new_media) if images is None else images
    if not (diff.new_segments or diff.removed_segments or images):
        return t("no_text_nothing", lang)
    parts = [
        t("change_added", lang, what=_label(track, seg.name, lang))
        for track, seg in diff.new_segments
    ]
    parts += [
        t("change_removed", lang, what=_label(track, seg.name, lang))
        for track, seg in diff.removed_segments
    ]
    if images:
        parts.append(t_count("change_images", lang, images))
    changes = t("change_sep", lang).join(parts) + t("change_end", lang)
    return t("no_text_changes", lang, changes=changes)


def _parts(track: Track, lang: str) -> dict[str, str]:
    names = _shown([s.name for s in track.segments], lang)
    if track.kind == TEXT:
        names = [t("timeline_quote", lang, text=name) for name in names]
    span = t("timeline_span", lang, start=_seconds(track.start_ms), end=_seconds(track.end_ms))
    volumes = [s.volume for s in track.segments if s.volume is not None and abs(s.volume) < 1e6]
    if track.kind == AUDIO and volumes:
        span = t("timeline_volume", lang, span=span, volume=round(volumes[0] * 100))
    return {"what": t("timeline_list_sep", lang).join(names), "span": span}


def _shown(names: list[str], lang: str) -> list[str]:
    """Segment names as a list people read: long ones cut, repeats in a row counted."""
    shown = []
    for name, run in itertools.groupby(names):
        short = name if len(name) <= _MAX_NAME else name[: _MAX_NAME - 1].rstrip() + "…"
        count = len(list(run))
        shown.append(t("timeline_repeat", lang, name=short, count=count) if count > 1 else short)
    return shown


def _label(track: Track, name: str, lang: str) -> str:
    return t("change_label", lang, track=track_label(track, lang), name=name)


def _seconds(ms: int) -> str:
    value = round(ms / 1000, 1)
    return str(int(value)) if value == int(value) else str(value)
