"""Translate the agent's GUI talk ("click Export", "open the timeline") into chat actions."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["GuiAdvice", "translate"]

# Each pattern is tried on one sentence at a time, which keeps long answers linear.
_SENTENCE = re.compile(r"[^.!?。！？\n]*(?:[.!?。！？]+|\n|$)")
_EXPORT = re.compile(
    r"(\b(?:click|press|tap|hit)\b|点击|点)\s*(the\s+)?[\"'“]?(export|导出)", re.IGNORECASE
)
_TIMELINE = re.compile(
    r"(\b(?:open|preview|check|view)\b|打开|预览).*(timeline|时间线)", re.IGNORECASE
)
_DRAG = re.compile(r"\b(?:drag|drop)(?:s|ged|ging|ped|ping)?\b|拖拽|拖动", re.IGNORECASE)
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
    export = timeline = drag = False
    kept: list[str] = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group()
        if not sentence:
            continue
        found = (
            bool(_EXPORT.search(sentence)),
            bool(_TIMELINE.search(sentence)),
            bool(_DRAG.search(sentence)),
        )
        if any(found):
            export, timeline, drag = export or found[0], timeline or found[1], drag or found[2]
            kept.append("\n" if sentence.endswith("\n") else "")
        else:
            kept.append(sentence)
    stripped = _TEMPORARY_ISSUE.sub("", "".join(kept)).strip()
    if not stripped and text.strip() and not (export or timeline or drag):
        stripped = text.strip()
    return GuiAdvice(re.sub(r"[ \t]{2,}", " ", stripped), export, timeline, drag)
