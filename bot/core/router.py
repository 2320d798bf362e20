"""Decide what a message is: a command, a quick intent (no agent call), or an agent turn."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import codec

__all__ = ["COMMANDS", "Intent", "asks_for_video", "route"]

COMMANDS = frozenset(
    {"start", "help", "export", "credits", "status", "new", "cancel", "lang", "login", "logout"}
)

# Whole-message intents from the skill's table. A longer message that merely contains
# "export" ("generate a cat and export it") is an agent turn, then an auto-export.
_INTENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
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
_TRAILING = re.compile(r"[\s.!?。！？~]+$")
_VIDEO_WORDS = re.compile(
    r"\b(export|video|slideshow|mp4|movie|clip|download)\b|导出|视频|幻灯片|下载", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Intent:
    """What to do with a message; `arg` is the rest of a command line."""

    kind: str  # a command name, "turn", "unknown_command" or "empty"
    arg: str = ""


def route(text: str, *, has_attachments: bool = False) -> Intent:
    """Classify one message."""
    stripped = text.strip()
    button = codec.decode(stripped)
    if button is not None:
        return Intent("export" if button.action == "retry" else button.action)
    if stripped.startswith("/"):
        head, _, rest = stripped[1:].partition(" ")
        name = head.split("@", 1)[0].lower()  # Telegram appends @botname in groups
        if name in COMMANDS:
            return Intent(name, rest.strip())
        return Intent("unknown_command", "/" + head)
    if has_attachments:
        return Intent("upload", stripped)
    if not stripped:
        return Intent("empty")
    normalized = _TRAILING.sub("", stripped.lower())
    for kind, pattern in _INTENTS:
        if pattern.match(normalized):
            return Intent(kind)
    return Intent("turn", stripped)


def asks_for_video(text: str) -> bool:
    """The user wants the MP4 as part of this request ("… and export it as a slideshow")."""
    return bool(_VIDEO_WORDS.search(text))
