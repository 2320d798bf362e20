"""The session timeline ("draft") in the vendor's short-key JSON format."""

from __future__ import annotations

import uuid
from typing import Any

VIDEO, AUDIO, TEXT = 0, 1, 7
TRACK_NAMES = {VIDEO: "Video", AUDIO: "BGM", TEXT: "Title"}
TITLE_MS = 3000
MUSIC_NAME = "Lo-fi"
MUSIC_VOLUME = 0.35

Draft = dict[str, Any]


def new_draft() -> Draft:
    """An empty landscape timeline."""
    return {"t": [], "d": 0, "m": {"title": None, "width": 1920, "height": 1080}}


def new_segment_id() -> str:
    """A fresh segment id."""
    return f"seg_{uuid.uuid4().hex[:12]}"


def track(draft: Draft, track_type: int, create: bool = False) -> dict[str, Any] | None:
    """The first track of a type, created in Video/BGM/Title order when asked."""
    for t in draft["t"]:
        if t.get("tt") == track_type:
            return t
    if not create:
        return None
    new = {"tt": track_type, "m": {"name": TRACK_NAMES[track_type]}, "sg": []}
    order = [VIDEO, AUDIO, TEXT]
    index = sum(1 for t in draft["t"] if order.index(t.get("tt", TEXT)) <= order.index(track_type))
    draft["t"].insert(index, new)
    return new


def append_visual(draft: Draft, name: str, src: str, url: str, kind: str, seconds: float) -> str:
    """Append an image or video segment at the end of the video track; return its id."""
    video = track(draft, VIDEO, create=True)
    assert video is not None
    start = video_end(draft)
    seg_id = new_segment_id()
    meta = {"name": name, "src": src, "url": url, "type": kind}
    video["sg"].append({"id": seg_id, "st": start, "d": round(seconds * 1000), "m": meta})
    _refresh_duration(draft)
    return seg_id


def set_title(draft: Draft, text: str) -> str:
    """Add or replace the title text over the first three seconds; return the segment id."""
    titles = track(draft, TEXT, create=True)
    assert titles is not None
    seg_id = new_segment_id()
    titles["sg"] = [{"id": seg_id, "st": 0, "d": TITLE_MS, "m": {"text": text}}]
    draft["m"]["title"] = text
    return seg_id


def set_music(draft: Draft, name: str = MUSIC_NAME, volume: float = MUSIC_VOLUME) -> str:
    """Add or replace background music spanning the whole video; return the segment id."""
    audio = track(draft, AUDIO, create=True)
    assert audio is not None
    seg_id = new_segment_id()
    meta = {"name": name, "volume": volume}
    audio["sg"] = [{"id": seg_id, "st": 0, "d": draft["d"], "m": meta}]
    return seg_id


def add_audio_file(draft: Draft, name: str, src: str, url: str) -> str:
    """Put an uploaded audio file on the audio track over the whole video."""
    seg_id = set_music(draft, name=name, volume=1.0)
    audio = track(draft, AUDIO)
    assert audio is not None
    audio["sg"][0]["m"].update({"src": src, "url": url, "type": "audio"})
    return seg_id


def video_end(draft: Draft) -> int:
    """End of the last video segment in ms."""
    video = track(draft, VIDEO)
    if video is None:
        return 0
    return max((s["st"] + s["d"] for s in video["sg"]), default=0)


def has_content(draft: Any) -> bool:
    """Whether some track holds at least one segment."""
    if not isinstance(draft, dict) or not isinstance(draft.get("t"), list):
        return False
    return any(isinstance(t, dict) and t.get("sg") for t in draft["t"])


def _refresh_duration(draft: Draft) -> None:
    draft["d"] = video_end(draft)
    audio = track(draft, AUDIO)
    if audio is not None:
        for seg in audio["sg"]:
            seg["d"] = max(draft["d"] - seg["st"], 0)


def summary(draft: Draft, chinese: bool = False) -> str:
    """A one-line listing of the tracks, like the vendor's example."""
    tracks = [t for t in draft["t"] if t.get("sg")]
    if not tracks:
        if chinese:
            return "时间线是空的。先让我生成一张图片吧。"
        return "The timeline is empty. Ask me to generate an image first."
    parts = [_describe(i, t) for i, t in enumerate(tracks, start=1)]
    head = f"时间线（{len(tracks)} 条轨道）：" if chinese else f"Timeline ({len(tracks)} tracks): "
    return head + " ".join(parts)


def _describe(index: int, t: dict[str, Any]) -> str:
    kind = t.get("tt")
    items = []
    for seg in t["sg"]:
        span = f"{_sec(seg['st'])}-{_sec(seg['st'] + seg['d'])}s"
        meta = seg.get("m", {})
        if kind == TEXT:
            items.append(f'"{meta.get("text", "")}" ({span})')
        elif kind == AUDIO:
            items.append(
                f"{meta.get('name', 'audio')} ({span}, {round(meta.get('volume', 1) * 100)}%)"
            )
        else:
            items.append(f"{meta.get('name', 'clip')} ({span})")
    return f"{index}. {t['m']['name']}: " + ", ".join(items)


def _sec(ms: int) -> str:
    value = ms / 1000
    return str(int(value)) if value == int(value) else f"{value:.1f}"
