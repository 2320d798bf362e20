"""Translate the agent's GUI talk ("click Export", "open the timeline") into chat actions."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["GuiAdvice", "translate"]

_EXPORT = re.compile(
    r"[^.!?。！？\n]*(click|press|tap|hit|点击|点)\s*(the\s+)?[\"'“]?(export|导出)[\"'”]?"
    r"[^.!?。！？\n]*[.!?。！？]?",
    re.IGNORECASE,
)
_TIMELINE = re.compile(
    r"[^.!?。！？\n]*(\b(?:open|preview|check|view)\b|打开|预览)[^.!?。！？\n]*(timeline|时间线)"
    r"[^.!?。！？\n]*[.!?。！？]?",
    re.IGNORECASE,
)
_DRAG = re.compile(
    r"[^.!?。！？\n]*(\b(?:drag|drop)(?:s|ged|ging|ped|ping)?\b|拖拽|拖动)"
    r"[^.!?。！？\n]*[.!?。！？]?",
    re.IGNORECASE,
)
_TEMPORARY_ISSUE = re.compile(r"\s*I encountered a temporary issue[^\n]*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GuiAdvice:
    """The answer with GUI instructions removed, and what they asked for."""

    text: str
    export: bool = False  # the agent said to click Export
    show_timeline: bool = False  # the agent said to open/preview the timeline
    edit_hint: bool = False  # the agent said to drag something


def translate(text: str) -> GuiAdvice:
    """Strip GUI-only sentences; the caller turns each flag into a real action."""
    export = bool(_EXPORT.search(text))
    timeline = bool(_TIMELINE.search(text))
    drag = bool(_DRAG.search(text))
    cleaned = text
    for pattern in (_EXPORT, _TIMELINE, _DRAG):
        cleaned = pattern.sub("", cleaned)
    stripped = _TEMPORARY_ISSUE.sub("", cleaned).strip()
    if not stripped and text.strip() and not (export or timeline or drag):
        stripped = text.strip()
    return GuiAdvice(re.sub(r"[ \t]{2,}", " ", stripped), export, timeline, drag)
