"""Typed events parsed from the agent's ADK stream (and the older flat shape)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Event",
    "KeepAlive",
    "StreamError",
    "Text",
    "TextDelta",
    "ToolCall",
    "ToolResult",
    "parse_event",
]


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A streaming chunk; its text is repeated by a later `Text`. Live progress only."""

    text: str


@dataclass(frozen=True, slots=True)
class Text:
    """A complete piece of the agent's answer."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The agent started an internal tool."""

    name: str
    args: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolResult:
    """An internal tool finished."""

    name: str
    response: Any = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class StreamError:
    """The agent reported an error inside the stream."""

    message: str
    code: int | str | None = None


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """Nothing happened, but the turn is alive."""


Event = TextDelta | Text | ToolCall | ToolResult | StreamError | KeepAlive


def parse_event(data: str) -> list[Event]:
    """Events carried by one `data:` payload; anything unrecognised is a keep-alive."""
    try:
        payload = json.loads(data) if data.strip() else {}
    except (ValueError, RecursionError):  # bad JSON, a 5,000-digit number, deep nesting
        return [KeepAlive()]
    if not isinstance(payload, dict) or not payload:
        return [KeepAlive()]
    content = payload.get("content")
    # ADK content is an object with `parts`; a flat tool_result's content may be any object.
    adk_content = isinstance(content, Mapping) and "parts" in content
    if isinstance(payload.get("type"), str) and not adk_content:
        return [_parse_flat(payload)]
    return _parse_adk(payload)


def _parse_adk(payload: Mapping[str, Any]) -> list[Event]:
    error = payload.get("errorCode") or payload.get("errorMessage") or payload.get("error")
    if error:
        message = payload.get("errorMessage") or payload.get("error") or payload.get("message")
        code = payload.get("errorCode") or payload.get("code")
        return [StreamError(str(message or error), code)]
    content = payload.get("content")
    parts = content.get("parts") if isinstance(content, Mapping) else None
    if not isinstance(parts, list):
        return [KeepAlive()]
    partial = bool(payload.get("partial"))
    events: list[Event] = []
    for part in parts:
        if isinstance(part, Mapping):
            event = _parse_part(part, partial)
            if event is not None:
                events.append(event)
    return events or [KeepAlive()]


def _parse_part(part: Mapping[str, Any], partial: bool) -> Event | None:
    text = part.get("text")
    if isinstance(text, str):
        if not text:
            return None
        return TextDelta(text) if partial else Text(text)
    call = part.get("functionCall")
    if isinstance(call, Mapping):
        args = call.get("args")
        return ToolCall(
            str(call.get("name") or "tool"),
            args if isinstance(args, Mapping) else {},
            _str_or_none(call.get("id")),
        )
    result = part.get("functionResponse")
    if isinstance(result, Mapping):
        return ToolResult(
            str(result.get("name") or "tool"),
            result.get("response"),
            _str_or_none(result.get("id")),
        )
    return None


def _parse_flat(payload: Mapping[str, Any]) -> Event:
    kind = payload.get("type")
    if kind == "text" and isinstance(payload.get("content"), str) and payload["content"]:
        return Text(payload["content"])
    if kind == "tool_call":
        args = payload.get("args")
        return ToolCall(str(payload.get("name") or "tool"), args if isinstance(args, dict) else {})
    if kind == "tool_result":
        return ToolResult(str(payload.get("name") or "tool"), payload.get("content"))
    if kind == "error":
        return StreamError(str(payload.get("content") or payload.get("message") or "error"))
    return KeepAlive()


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
