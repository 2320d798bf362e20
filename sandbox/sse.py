"""`POST /run_sse`: one agent turn streamed as Google ADK events (or the flat legacy shape)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .actions import TurnPlan, perform_turn, plan_turn
from .agent import parse_message, split_text
from .common import SANDBOX, base_url, read_json
from .errors import api_error
from .faults import Faults
from .state import Sandbox, Session

AUTHOR = "nemo_agent"
EMPTY_EVENT_EVERY = 5


class EventStream:
    """Writes SSE lines to one response and keeps the connection alive."""

    def __init__(
        self,
        request: web.Request,
        response: web.StreamResponse,
        *,
        flat: bool,
        keepalive_seconds: float,
        malformed: bool,
    ) -> None:
        self.request = request
        self.response = response
        self.flat = flat
        self.keepalive_seconds = max(keepalive_seconds, 0.01)
        self.invocation_id = f"e-{uuid.uuid4()}"
        self._malformed = malformed
        self._pings = 0

    @property
    def closed(self) -> bool:
        """Whether the client has gone away."""
        transport = self.request.transport
        return transport is None or transport.is_closing()

    async def _data(self, payload: dict[str, Any]) -> None:
        await self.response.write(
            b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"
        )

    async def adk(
        self, partial: bool, parts: list[dict[str, Any]] | None, done: bool = False
    ) -> None:
        """Send one ADK event; the first real event is followed by the malformed line if due."""
        event: dict[str, Any] = {
            "author": AUTHOR,
            "invocationId": self.invocation_id,
            "partial": partial,
        }
        if done:
            event["turnComplete"] = True
        if parts is not None:
            event["content"] = {"role": "model", "parts": parts}
        await self._data(event)
        await self._after_event()

    async def flat_event(self, payload: dict[str, Any]) -> None:
        """Send one event of the flat legacy shape."""
        await self._data(payload)
        await self._after_event()

    async def _after_event(self) -> None:
        if self._malformed:
            self._malformed = False
            await self.response.write(b"data: {not json\n\n")

    async def error(self, message: str, code: int = 5000) -> None:
        """Send an in-stream error event."""
        await self._data({"error": message, "code": code})

    async def keepalive(self) -> None:
        """A comment ping, now and then an empty `data: {}` (a heartbeat in flat mode)."""
        self._pings += 1
        if self.flat:
            await self._data({"type": "heartbeat"})
        elif self._pings % EMPTY_EVENT_EVERY == 0:
            await self.response.write(b"data: {}\n\n")
        else:
            await self.response.write(b": ping\n\n")

    async def idle(self, seconds: float | None) -> None:
        """Send only keep-alives for a while (None: until the client disconnects)."""
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        while not self.closed:
            left = self.keepalive_seconds if deadline is None else deadline - loop.time()
            if left <= 0:
                return
            await asyncio.sleep(min(self.keepalive_seconds, left))
            if deadline is None or loop.time() < deadline:
                await self.keepalive()

    async def wait(self, task: asyncio.Task[Any]) -> None:
        """Send keep-alives until a background task ends."""
        while not task.done():
            done, _ = await asyncio.wait({task}, timeout=self.keepalive_seconds)
            if not done:
                await self.keepalive()

    async def cut(self) -> None:
        """Break the connection in the middle of a chunk, as a dropped proxy would."""
        transport = self.request.transport
        if transport is None:
            return
        piece = b'data: {"author": "nemo_agent", "partial": true, "content": {"ro'
        transport.write(f"{len(piece) + 40:x}\r\n".encode() + piece)
        transport.close()


async def handle_run_sse(request: web.Request) -> web.StreamResponse:
    """Run one agent turn and stream it."""
    sandbox: Sandbox = request.app[SANDBOX]
    sandbox.sse_calls += 1
    token = sandbox.authenticate(request.headers.get("Authorization"))
    body = await read_json(request)
    session_id = body.get("session_id")
    if not isinstance(session_id, (str, int)) or isinstance(session_id, bool):
        raise api_error(400, 400, "missing session_id")
    session = sandbox.session(str(session_id), token.user_id)
    message = _message_text(body)
    sandbox.agent_messages.append(message)
    plan = plan_turn(sandbox, parse_message(message), message)
    if plan.cost and sandbox.user(token.user_id).credits < plan.cost:
        raise api_error(403, 2001, "insufficient credits")
    faults = sandbox.faults
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    response.enable_chunked_encoding()
    await response.prepare(request)
    stream = EventStream(
        request,
        response,
        flat=faults.take("flat_events_once"),
        keepalive_seconds=sandbox.options.keepalive_seconds,
        malformed=faults.take("malformed_line_once"),
    )
    # A client that leaves only ends the stream; the turn's background work still finishes.
    with contextlib.suppress(ConnectionError):
        await _play(sandbox, session, plan, stream, base_url(request))
    return response


def _message_text(body: dict[str, Any]) -> str:
    message = body.get("new_message")
    parts = message.get("parts") if isinstance(message, dict) else None
    if not isinstance(parts, list):
        raise api_error(400, 400, "missing new_message.parts")
    texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
    return "\n".join(texts)


@dataclass(frozen=True, slots=True)
class _TurnFaults:
    """The one-shot stream faults a turn consumes as it starts."""

    silent: float
    hang: bool
    error_text: str | None
    cut: bool
    no_text: bool

    @classmethod
    def take(cls, faults: Faults) -> _TurnFaults:
        """Read the switches and turn them off, so only this turn sees them."""
        silent, faults.silent_stream_seconds = faults.silent_stream_seconds, 0.0
        hang = faults.take("hang_stream_once")
        error_text, faults.stream_error_once = faults.stream_error_once, None
        cut = faults.take("cut_stream_once")
        return cls(silent, hang, error_text, cut, faults.take("no_text_once"))


async def _play(
    sandbox: Sandbox, session: Session, plan: TurnPlan, stream: EventStream, base: str
) -> None:
    faults = _TurnFaults.take(sandbox.faults)
    if not await _open(stream, faults):
        return
    await _announce_calls(stream, plan)
    work = sandbox.spawn(perform_turn(sandbox, session, plan, base))
    await stream.wait(work)
    try:
        text = work.result()
    except (OSError, ValueError) as exc:
        await stream.error(f"tool failed: {exc}")
        return
    await _announce_results(stream, plan)
    if faults.no_text:
        text = None
    reply, sandbox.faults.reply_text_once = sandbox.faults.reply_text_once, None
    await _send_text(sandbox, stream, reply if reply is not None else text, faults.cut)


async def _open(stream: EventStream, faults: _TurnFaults) -> bool:
    """The first event, then any silence, hang or early error; False when the turn ends there."""
    if stream.flat:
        await stream.keepalive()
    else:
        await stream.response.write(b"data: {}\n\n")
    if faults.silent > 0:
        await stream.idle(faults.silent)
    if faults.hang:
        await stream.idle(None)
        return False
    if faults.error_text is not None:
        await _text_chunk(stream, "Working on it…")
        await stream.error(faults.error_text)
        return False
    return True


async def _announce_calls(stream: EventStream, plan: TurnPlan) -> None:
    for call in plan.calls:
        if stream.flat:
            await stream.flat_event({"type": "tool_call", "name": call.name, "args": call.args})
        else:
            await stream.adk(
                False, [{"functionCall": {"id": call.id, "name": call.name, "args": call.args}}]
            )


async def _announce_results(stream: EventStream, plan: TurnPlan) -> None:
    for call in plan.calls:
        if stream.flat:
            await stream.flat_event(
                {"type": "tool_result", "name": call.name, "content": call.response}
            )
        else:
            response = {"id": call.id, "name": call.name, "response": call.response}
            await stream.adk(False, [{"functionResponse": response}])


async def _text_chunk(stream: EventStream, piece: str) -> None:
    if stream.flat:
        await stream.flat_event({"type": "text", "content": piece})
    else:
        await stream.adk(True, [{"text": piece}])


async def _send_text(sandbox: Sandbox, stream: EventStream, text: str | None, cut: bool) -> None:
    delay = sandbox.options.chunk_delay_seconds
    chunks = split_text(text) if text else []
    for index, piece in enumerate(chunks):
        if cut and index == 2:
            break
        if not stream.flat:
            await stream.adk(True, [{"text": piece}])
        if delay > 0:
            await asyncio.sleep(delay)
    if cut:
        await stream.cut()
        return
    if stream.flat:
        if text:
            await stream.flat_event({"type": "text", "content": text})
        return
    await stream.adk(False, [{"text": text}] if text else None, done=True)
