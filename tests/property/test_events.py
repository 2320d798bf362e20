"""Properties of the SSE event parser `bot.nemo.events.parse_event`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.nemo.events import (
    Event,
    KeepAlive,
    StreamError,
    Text,
    TextDelta,
    ToolCall,
    ToolResult,
    parse_event,
)
from tests.property.strategies import json_values, unicode_text

EVENT_TYPES = (TextDelta, Text, ToolCall, ToolResult, StreamError, KeepAlive)
PART_KEYS = {"text", "functionCall", "functionResponse"}
ERROR_KEYS = {"errorCode", "errorMessage", "error"}

# -- strategies ----------------------------------------------------------------------------

json_value = json_values()
names = st.one_of(st.none(), st.text(max_size=20), json_value)
ids = st.one_of(st.none(), st.text(max_size=10), st.integers())

text_part = st.fixed_dictionaries({"text": st.text(max_size=40)})
call_part = st.fixed_dictionaries(
    {
        "functionCall": st.fixed_dictionaries(
            {}, optional={"name": names, "args": json_value, "id": ids}
        )
    }
)
response_part = st.fixed_dictionaries(
    {
        "functionResponse": st.fixed_dictionaries(
            {}, optional={"name": names, "response": json_value, "id": ids}
        )
    }
)
# Anything else in `parts`: scalars, lists, and dicts that are none of the known part kinds.
junk_part = json_value.filter(lambda v: not (isinstance(v, dict) and v.keys() & PART_KEYS))
part = st.one_of(text_part, call_part, response_part, junk_part)


def adk_payload(parts: st.SearchStrategy[list[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """An ADK event without error keys: author, optional partial, content.parts."""
    return st.fixed_dictionaries(
        {
            "content": st.fixed_dictionaries(
                {"parts": parts}, optional={"role": st.text(max_size=8)}
            )
        },
        optional={
            "author": st.text(max_size=12),
            "partial": st.booleans(),
            "id": st.text(max_size=12),
            "type": st.text(max_size=10),
        },
    )


adk = adk_payload(st.lists(part, max_size=6))

flat_content = json_value.filter(lambda v: not (isinstance(v, Mapping) and "parts" in v))
flat = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(["text", "tool_call", "tool_result", "error"]), st.text())},
    optional={
        "content": st.one_of(st.text(max_size=30), flat_content),
        "name": names,
        "args": json_value,
        "message": st.one_of(st.text(max_size=20), json_value),
    },
)

any_data = st.one_of(
    unicode_text(2000),
    json_value.map(json.dumps),
    adk.map(json.dumps),
    flat.map(json.dumps),
)


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON (so NaN equals NaN)."""
    return json.dumps(a) == json.dumps(b)


def check_events(events: list[Event]) -> None:
    """The invariants every parse result satisfies."""
    assert isinstance(events, list)
    assert events, "parse_event returned an empty list"
    for event in events:
        assert isinstance(event, EVENT_TYPES), event
        if isinstance(event, (Text, TextDelta)):
            assert isinstance(event.text, str)
            assert event.text != "", "an empty string became a text event"
        elif isinstance(event, ToolCall):
            assert isinstance(event.name, str) and event.name
            assert isinstance(event.args, Mapping)
            assert event.id is None or isinstance(event.id, str)
        elif isinstance(event, ToolResult):
            assert isinstance(event.name, str) and event.name
            assert event.id is None or isinstance(event.id, str)
        elif isinstance(event, StreamError):
            assert isinstance(event.message, str)


# -- tests ---------------------------------------------------------------------------------


@settings(max_examples=300)
@given(any_data)
def test_any_data_gives_a_non_empty_list_of_events(data: str) -> None:
    """For any payload (text, JSON, ADK- or flat-shaped) the parser returns valid events."""
    check_events(parse_event(data))


@settings(max_examples=200)
@given(json_value)
def test_non_object_json_is_a_keep_alive(value: Any) -> None:
    """A JSON value that is not a non-empty object is exactly one keep-alive."""
    events = parse_event(json.dumps(value))
    check_events(events)
    if not isinstance(value, dict) or not value:
        assert events == [KeepAlive()]


@settings(max_examples=200)
@given(adk)
def test_adk_parts_become_events_in_order(payload: dict[str, Any]) -> None:
    """Each ADK part yields its event in order: text as TextDelta (partial) or Text."""
    events = parse_event(json.dumps(payload))
    check_events(events)
    partial = payload.get("partial") is True
    parts = payload["content"]["parts"]
    texts = [p["text"] for p in parts if isinstance(p, dict) and "text" in p and p["text"]]
    calls = [p for p in parts if isinstance(p, dict) and "functionCall" in p]
    results = [p for p in parts if isinstance(p, dict) and "functionResponse" in p]

    text_events = [e for e in events if isinstance(e, (Text, TextDelta))]
    assert [e.text for e in text_events] == texts
    assert all(isinstance(e, TextDelta if partial else Text) for e in text_events)
    assert sum(isinstance(e, ToolCall) for e in events) == len(calls)
    assert sum(isinstance(e, ToolResult) for e in events) == len(results)
    if not (texts or calls or results):
        assert events == [KeepAlive()]
    else:
        assert KeepAlive() not in events


@settings(max_examples=300)
@given(st.text(max_size=60), st.booleans())
def test_single_text_part_is_exactly_that_text(text: str, partial: bool) -> None:
    """A partial text part is TextDelta(text), a final one Text(text); "" is no text event."""
    data = json.dumps(
        {"author": "agent", "partial": partial, "content": {"parts": [{"text": text}]}}
    )
    events = parse_event(data)
    if not text:
        assert events == [KeepAlive()]
    elif partial:
        assert events == [TextDelta(text)]
    else:
        assert events == [Text(text)]


@settings(max_examples=150)
@given(adk, st.sampled_from(sorted(ERROR_KEYS)), st.text(min_size=1, max_size=20))
def test_adk_error_is_one_stream_error(payload: dict[str, Any], key: str, value: str) -> None:
    """An ADK event carrying a truthy error field is exactly one StreamError."""
    payload = {**payload, key: value}
    events = parse_event(json.dumps(payload))
    check_events(events)
    assert len(events) == 1 and isinstance(events[0], StreamError)
    if key != "errorCode":
        assert events[0].message == value


@settings(max_examples=200)
@given(flat)
def test_flat_shape_is_one_event_of_its_type(payload: dict[str, Any]) -> None:
    """A flat payload is one event of the kind its `type` names; empty text is a keep-alive."""
    events = parse_event(json.dumps(payload))
    check_events(events)
    assert len(events) == 1
    [event] = events
    kind, content = payload["type"], payload.get("content")
    if kind == "text":
        if isinstance(content, str) and content:
            assert event == Text(content)
        else:
            assert event == KeepAlive()
    elif kind == "tool_call":
        assert isinstance(event, ToolCall)
        args = payload.get("args")
        assert same_json(event.args, args if isinstance(args, dict) else {})
    elif kind == "tool_result":
        assert isinstance(event, ToolResult) and same_json(event.response, content)
    elif kind == "error":
        assert isinstance(event, StreamError)
    else:
        assert event == KeepAlive()


@settings(max_examples=300)
@given(unicode_text(2000))
def test_parse_event_is_deterministic(data: str) -> None:
    """The same payload always parses to the same events."""
    assert parse_event(data) == parse_event(data)


# -- regressions: bugs these properties found (now fixed) -------------------------


@settings(max_examples=20, report_multiple_bugs=False)
@example(digits=4301, wrapped=False)
@given(st.integers(4301, 12000), st.booleans())
def test_long_integer_literal_does_not_raise(digits: int, wrapped: bool) -> None:
    """A payload holding a very long integer literal is still parsed without raising."""
    number = "1" * digits
    wrapper = '{"content": {"parts": [{"text": "hi"}]}, "n": NUMBER}'
    data = wrapper.replace("NUMBER", number) if wrapped else number
    check_events(parse_event(data))


@settings(max_examples=10, report_multiple_bugs=False)
@example(depth=100_000, bracket="[")
@given(st.integers(10_000, 100_000), st.sampled_from(["[", '{"a":']))
def test_deeply_nested_json_does_not_raise(depth: int, bracket: str) -> None:
    """A deeply nested payload is a keep-alive, not an exception."""
    check_events(parse_event(bracket * depth))
