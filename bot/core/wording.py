"""What a user's plain words ask for: the skill's whole-message intents, and "as a video"."""

from __future__ import annotations

import re

__all__ = ["asks_for_video", "asks_to_generate", "first_words", "phrase_intent"]

# Whole-message intents from the skill's table. A longer message that merely contains
# "export" ("generate a cat and export it") is an agent turn, then an auto-export.
_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "export",
        re.compile(
            r"^(please )?(export|download|render)( it| the video| my video| video| now| please)*"
            r"$|^(please )?send me the video( please)?$|^(导出|下载|导出视频|下载视频|发给我视频)$"
        ),
    ),
    ("credits", re.compile(r"^(credits?|balance|my credits|积分|余额|查询积分|查询余额)$")),
    ("status", re.compile(r"^(status|show tracks|show timeline|状态|查看状态|时间线)$")),
    ("upload", re.compile(r"^(upload|上传)$")),
)
_GENERATE = re.compile(r"\b(generate|draw|make|create|paint|render)\b|生成|画|创作", re.IGNORECASE)
_TRAILING = re.compile(r"[\s.!?。！？~]+$")
_VIDEO_WORDS = re.compile(
    r"\b(export|video|slideshow|mp4|movie|clip|download)\b|导出|视频|幻灯片|下载", re.IGNORECASE
)


def phrase_intent(text: str) -> str | None:
    """The intent a whole message names ("export", "积分"…), or None for an agent turn."""
    normalized = _TRAILING.sub("", text.strip().lower())
    for kind, pattern in _PHRASES:
        if pattern.match(normalized):
            return kind
    return None


def asks_for_video(text: str) -> bool:
    """The user wants the MP4 as part of this request ("… and export it as a slideshow")."""
    return bool(_VIDEO_WORDS.search(text))


def asks_to_generate(text: str) -> bool:
    """The words already ask for a picture ("draw a cat"), rather than only describing one."""
    return bool(_GENERATE.search(text))


_QUOTE_CHARS = 60


def first_words(text: str) -> str:
    """The first words of a message, on one line, to remind the user which one is meant."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _QUOTE_CHARS else flat[: _QUOTE_CHARS - 1].rstrip() + "…"
