"""The agent's SSE stream through `client.stream()`: events, keep-alives, faults, limits."""

from __future__ import annotations

import time

import httpx
import pytest
from client_support import Env, EnvFactory, Turn, options, run_turn

from bot.nemo import Auth
from bot.nemo.errors import (
    NemoAuthError,
    OutOfCredits,
    SessionNotFound,
    StreamCut,
    StreamTimeout,
)
from bot.nemo.events import KeepAlive, StreamError, Text, TextDelta, ToolCall, ToolResult

GENERATE = "generate an image of a red fox in snow"
REPLY = (
    "Here is your image of a red fox in snow. Want me to add a title or export it as a slideshow?"
)


async def test_generate_turn_events(env: Env, login: tuple[Auth, str]) -> None:
    """Deltas, then exactly one Text equal to their concatenation; tool call before result."""
    auth, sid = login
    turn = await run_turn(env, auth, sid, GENERATE)

    kinds = [type(e) for e in turn.news]
    assert kinds[:2] == [ToolCall, ToolResult]
    assert kinds[-1] is Text
    assert set(kinds[2:-1]) == {TextDelta}
    assert len(turn.of(TextDelta)) >= 2
    assert turn.texts == [REPLY]
    assert turn.deltas_text == REPLY

    call, result = turn.of(ToolCall)[0], turn.of(ToolResult)[0]
    assert call.name == result.name == "generate_image"
    assert call.id and call.id == result.id
    assert call.args["prompt"] == "a red fox in snow"
    assert result.response["status"] == "success"
    assert result.response["images"][0]["url"].startswith(env.running.url)
    assert isinstance(turn.events[0], KeepAlive)  # the opening `data: {}`


async def test_keep_alives_during_a_long_turn(make_env: EnvFactory) -> None:
    """Pings and empty events while the tool works do not disturb the answer."""
    async with make_env(options(keepalive_seconds=0.01, generation_delay_seconds=0.3)) as env:
        auth, sid = await env.login()
        turn = await run_turn(env, auth, sid, GENERATE)
    # `: ping` comments are dropped by the SSE parser; every fifth ping is a `data: {}` event.
    assert len(turn.of(KeepAlive)) >= 3
    assert turn.texts == [REPLY]
    assert turn.deltas_text == REPLY


async def test_malformed_line_is_skipped(env: Env, login: tuple[Auth, str]) -> None:
    """A `data:` line that is not JSON is a keep-alive; the turn reads to the end."""
    auth, sid = login
    env.faults.malformed_line_once = True
    turn = await run_turn(env, auth, sid, GENERATE)
    assert not env.faults.malformed_line_once  # it was sent
    assert turn.texts == [REPLY]
    assert turn.deltas_text == REPLY
    assert len(turn.of(ToolCall)) == len(turn.of(ToolResult)) == 1


async def test_in_stream_error_is_an_event(env: Env, login: tuple[Auth, str]) -> None:
    """`data: {"error", "code"}` becomes a StreamError and ends the turn without a crash."""
    auth, sid = login
    env.faults.stream_error_once = "the model is overloaded"
    turn = await run_turn(env, auth, sid, GENERATE)
    errors = turn.of(StreamError)
    assert errors == [StreamError("the model is overloaded", 5000)]
    assert turn.news[-1] == errors[0]
    assert turn.texts == []


async def test_cut_stream_raises_with_the_partial_text(env: Env, login: tuple[Auth, str]) -> None:
    """A connection dropped mid-answer: StreamCut carrying the text seen so far."""
    auth, sid = login
    env.faults.cut_stream_once = True
    turn = Turn()
    with pytest.raises(StreamCut) as caught:
        await run_turn(env, auth, sid, GENERATE, turn)
    assert turn.texts == []
    assert turn.deltas_text
    assert REPLY.startswith(turn.deltas_text)
    assert caught.value.partial_text == turn.deltas_text
    assert isinstance(caught.value.__cause__, httpx.HTTPError)


async def test_flat_events(env: Env, login: tuple[Auth, str]) -> None:
    """The legacy flat shape: heartbeat, tool_call, tool_result and one text."""
    auth, sid = login
    env.faults.flat_events_once = True
    turn = await run_turn(env, auth, sid, GENERATE)
    assert turn.of(TextDelta) == []
    assert turn.texts == [REPLY]
    assert [type(e) for e in turn.news] == [ToolCall, ToolResult, Text]
    call, result = turn.of(ToolCall)[0], turn.of(ToolResult)[0]
    assert call.name == result.name == "generate_image"
    assert call.args["prompt"] == "a red fox in snow"
    assert result.response["status"] == "success"
    assert isinstance(turn.events[0], KeepAlive)


async def test_turn_without_text(env: Env, login: tuple[Auth, str]) -> None:
    """An edit that answers with tools only ends cleanly with no Text."""
    auth, sid = login
    env.faults.no_text_once = True
    turn = await run_turn(env, auth, sid, GENERATE)
    assert turn.texts == [] and turn.of(TextDelta) == []
    assert [type(e) for e in turn.news] == [ToolCall, ToolResult]


async def test_silence_past_the_idle_limit_times_out(make_env: EnvFactory) -> None:
    """Only keep-alives for longer than `sse_idle_seconds` → StreamTimeout (idle)."""
    async with make_env(sse_idle_seconds=0.5) as env:
        auth, sid = await env.login()
        env.faults.silent_stream_seconds = 3
        turn = Turn()
        started = time.monotonic()
        with pytest.raises(StreamTimeout, match="idle"):
            await run_turn(env, auth, sid, GENERATE, turn)
        elapsed = time.monotonic() - started
    assert 0.4 < elapsed < 2.5
    assert turn.news == []


async def test_overall_limit_times_out(make_env: EnvFactory) -> None:
    """A hanging turn stops at `sse_timeout_seconds` even though keep-alives arrive."""
    async with make_env(sse_timeout_seconds=0.6, sse_idle_seconds=30) as env:
        auth, sid = await env.login()
        env.faults.hang_stream_once = True
        turn = Turn()
        started = time.monotonic()
        with pytest.raises(StreamTimeout, match="overall"):
            await run_turn(env, auth, sid, GENERATE, turn)
        elapsed = time.monotonic() - started
    assert 0.5 < elapsed < 3
    assert turn.news == []
    assert turn.of(KeepAlive)


async def test_error_envelopes_before_the_stream(make_env: EnvFactory) -> None:
    """1002, 2001 and 1001 answered instead of a stream raise their own exceptions."""
    async with make_env(options(initial_credits=4)) as env:
        auth, sid = await env.login()
        with pytest.raises(OutOfCredits):
            await run_turn(env, auth, sid, GENERATE)
        env.faults.lose_sessions = True
        with pytest.raises(SessionNotFound):
            await run_turn(env, auth, sid, "hello")
        env.faults.expire_tokens = True
        with pytest.raises(NemoAuthError):
            await run_turn(env, auth, sid, "hello")
        assert env.sandbox.sse_calls == 3


async def test_stream_request_shape(env: Env, login: tuple[Auth, str]) -> None:
    """The body names the app, the session (as a string) and the message parts."""
    auth, sid = login
    await run_turn(env, auth, sid, "hello")
    method, path, headers = env.requests("/run_sse")[0]
    assert (method, path) == ("POST", "/run_sse")
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "text/event-stream"
