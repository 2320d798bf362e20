"""The events of one agent turn, read from the ADK stream with httpx-sse."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from httpx_sse import EventSource, SSEError

from bot.nemo.errors import StreamCut, StreamTimeout
from bot.nemo.events import Event, KeepAlive, StreamError, Text, TextDelta, parse_event

__all__ = ["Stream"]


class Stream:
    """The events of one agent turn, with the idle and overall limits applied."""

    def __init__(
        self, response: httpx.Response, *, idle_seconds: float, limit_seconds: float
    ) -> None:
        self._response = response
        self._idle = idle_seconds  # longest wait for an event that is not a keep-alive
        self._limit = limit_seconds  # longest the whole turn may take

    async def __aiter__(self) -> AsyncIterator[Event]:
        loop = asyncio.get_running_loop()
        started = last_news = loop.time()
        pending = ""  # partial text not yet confirmed by a final event
        events = EventSource(self._response).aiter_sse()
        while True:
            now = loop.time()
            wait = min(last_news + self._idle, started + self._limit) - now
            try:
                async with asyncio.timeout(max(wait, 0.0)):
                    sse = await anext(events)
            except StopAsyncIteration:
                break
            except TimeoutError:
                limit_hit = loop.time() >= started + self._limit
                reason = "overall" if limit_hit else "idle"
                raise StreamTimeout(f"the turn passed its {reason} time limit") from None
            except (httpx.HTTPError, SSEError) as exc:
                raise StreamCut("the stream broke", partial_text=pending) from exc
            for event in parse_event(sse.data):
                if isinstance(event, KeepAlive):
                    yield event
                    continue
                last_news = loop.time()
                if isinstance(event, TextDelta):
                    pending += event.text
                elif isinstance(event, (Text, StreamError)):
                    pending = ""  # confirmed, or the turn ended with an error: not a cut
                yield event
        if pending:
            raise StreamCut("the stream ended mid-answer", partial_text=pending)
