"""At most so many NemoVideo requests in flight; the rest wait in line, not in the pool.

httpcore's connection pool does work for every queued request on every hand-over, so with
hundreds of requests waiting (a crowd of users) it burns the event loop and requests time
out in the pool. Waiting on a semaphore first costs nothing. Agent turns (SSE streams that
can run for minutes) have their own slots, so a crowd of turns never holds up a `/credits`
or a render poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

__all__ = ["CappedTransport"]


class _Releasing(httpx.AsyncByteStream):
    """A response body that gives its slot back once closed."""

    def __init__(self, inner: httpx.AsyncByteStream, slots: asyncio.Semaphore) -> None:
        self._inner = inner
        self._slots: asyncio.Semaphore | None = slots

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            slots, self._slots = self._slots, None
            if slots is not None:
                slots.release()


class CappedTransport(httpx.AsyncBaseTransport):
    """`streams` SSE requests and `others` other requests in flight at most."""

    def __init__(self, *, streams: int, others: int, keepalive: int = 40) -> None:
        limits = httpx.Limits(max_connections=streams + others, max_keepalive_connections=keepalive)
        self._inner = httpx.AsyncHTTPTransport(limits=limits)
        self._streams = asyncio.Semaphore(streams)
        self._others = asyncio.Semaphore(others)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Wait for a slot, send, and keep the slot until the response body is closed."""
        slots = self._streams if request.url.path.endswith("/run_sse") else self._others
        await slots.acquire()
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            slots.release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Releasing(response.stream, slots)
        return response

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._inner.aclose()
