"""Parsing ADK (and flat) stream payloads into typed events."""

from __future__ import annotations

import json

from bot.nemo.events import (
    KeepAlive,
    StreamError,
    Text,
    TextDelta,
    ToolCall,
    ToolResult,
    parse_event,
)


def adk(parts: list[dict], partial: bool = False, **extra: object) -> str:
    return json.dumps(
        {
            "author": "nemo_agent",
            "partial": partial,
            **extra,
            "content": {"role": "model", "parts": parts},
        }
    )


def test_partial_text_is_a_delta_and_final_text_is_text() -> None:
    assert parse_event(adk([{"text": "Hel"}], partial=True)) == [TextDelta("Hel")]
    assert parse_event(adk([{"text": "Hello"}], turnComplete=True)) == [Text("Hello")]


def test_function_call_and_response() -> None:
    call = {"functionCall": {"id": "c1", "name": "generate_image", "args": {"prompt": "cat"}}}
    result = {"functionResponse": {"id": "c1", "name": "generate_image", "response": {"ok": 1}}}
    assert parse_event(adk([call, result])) == [
        ToolCall("generate_image", {"prompt": "cat"}, "c1"),
        ToolResult("generate_image", {"ok": 1}, "c1"),
    ]


def test_keepalives_and_garbage_never_raise() -> None:
    for data in ("{}", "", "{not json", "[1, 2]", "42", json.dumps({"foo": "bar"})):
        assert parse_event(data) == [KeepAlive()]


def test_in_stream_errors_in_both_shapes() -> None:
    assert parse_event(json.dumps({"error": "no credits", "code": 2001})) == [
        StreamError("no credits", 2001)
    ]
    assert parse_event(json.dumps({"errorCode": "E1", "errorMessage": "bad"})) == [
        StreamError("bad", "E1")
    ]


def test_flat_legacy_shape() -> None:
    assert parse_event(json.dumps({"type": "text", "content": "hi"})) == [Text("hi")]
    assert parse_event(json.dumps({"type": "tool_call", "name": "t", "args": {"a": 1}})) == [
        ToolCall("t", {"a": 1})
    ]
    assert parse_event(json.dumps({"type": "tool_result", "name": "t", "content": 1})) == [
        ToolResult("t", 1)
    ]
    assert parse_event(json.dumps({"type": "heartbeat"})) == [KeepAlive()]
    assert parse_event(json.dumps({"type": "mystery"})) == [KeepAlive()]


def test_empty_text_part_is_skipped() -> None:
    assert parse_event(adk([{"text": ""}])) == [KeepAlive()]
