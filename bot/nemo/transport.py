"""At most so many NemoVideo requests in flight; the rest wait in line, not in the pool.

httpcore's connection pool does work for every queued request on every hand-over, so with
hundreds of requests waiting (a crowd of users) it burns the event loop and requests time
out in the pool. Waiting on a semaphore first costs nothing. Agent turns (SSE streams that
can run for minutes) have their own slots, so a crowd of turns never holds up a `/credits`
or a render poll.

The connections are kept in several small pools rather than one: on every request and
every response closed, httpcore 1.0 walks its pool once per connection and again inside
that walk for each idle one (`_assign_requests_to_connections`), so with 200 connections
in one pool that pass was half of the bot's CPU under a crowd (bench/PROFILE.md). Each
request goes to the pool with the fewest in flight, which always has room.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable

import httpx

__all__ = ["CappedTransport"]

POOL_SIZE = 16  # connections per pool: small enough that its pass is cheap


class _Releasing(httpx.AsyncByteStream):
    """A response body that gives its slot back once closed."""

    def __init__(self, inner: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class CappedTransport(httpx.AsyncBaseTransport):
    """`streams` SSE requests and `others` other requests in flight at most."""

    def __init__(self, *, streams: int, others: int, keepalive: int = 40) -> None:
        cap = streams + others
        count = math.ceil(cap / POOL_SIZE)
        limits = httpx.Limits(
            max_connections=math.ceil(cap / count),
            max_keepalive_connections=math.ceil(keepalive / count),
        )
        # With at most `cap` in flight, the least busy pool holds fewer than cap / count.
        # One TLS context for all (loading the CA certificates takes ~30 ms each time).
        tls = httpx.create_ssl_context()
        self._pools = [httpx.AsyncHTTPTransport(verify=tls, limits=limits) for _ in range(count)]
        self._in_flight = [0] * count
        self._streams = asyncio.Semaphore(streams)
        self._others = asyncio.Semaphore(others)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Wait for a slot, send, and keep the slot until the response body is closed."""
        slots = self._streams if request.url.path.endswith("/run_sse") else self._others
        await slots.acquire()
        pool = min(range(len(self._pools)), key=self._in_flight.__getitem__)
        self._in_flight[pool] += 1

        def release() -> None:
            self._in_flight[pool] -= 1
            slots.release()

        try:
            response = await self._pools[pool].handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Releasing(response.stream, release)
        return response

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await asyncio.gather(*(pool.aclose() for pool in self._pools))
