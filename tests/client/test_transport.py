"""The in-flight cap: turns wait for a turn slot, and never hold up the other requests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.nemo.transport import CappedTransport


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, asyncio.Event, list[str]]]:
    release = asyncio.Event()
    started: list[str] = []

    async def stream(request: web.Request) -> web.StreamResponse:
        started.append(request.path)
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"data: hello\n\n")
        await release.wait()
        return response

    async def quick(request: web.Request) -> web.Response:
        started.append(request.path)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/run_sse", stream)
    app.router.add_get("/api/credits", quick)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    try:
        yield str(test_server.make_url("")).rstrip("/"), release, started
    finally:
        release.set()
        await test_server.close()


async def test_a_second_turn_waits_while_other_requests_go_through(
    server: tuple[str, asyncio.Event, list[str]],
) -> None:
    url, release, started = server
    async with httpx.AsyncClient(transport=CappedTransport(streams=1, others=1)) as http:
        async with http.stream("POST", f"{url}/run_sse") as first:
            await first.aiter_bytes().__anext__()
            second = asyncio.create_task(http.post(f"{url}/run_sse"))
            credits = await asyncio.wait_for(http.get(f"{url}/api/credits"), 5)
            assert credits.status_code == 200  # not stuck behind the turns
            assert started == ["/run_sse", "/api/credits"]  # the second turn is still waiting
            assert not second.done()
            release.set()
        response = await asyncio.wait_for(second, 5)  # the first closed: its slot passed on
        assert response.status_code == 200
        assert started == ["/run_sse", "/api/credits", "/run_sse"]


async def test_a_failed_request_gives_its_slot_back() -> None:
    async with httpx.AsyncClient(transport=CappedTransport(streams=1, others=1)) as http:
        for _ in range(3):  # with a leaked slot the second attempt would wait forever
            with pytest.raises(httpx.ConnectError):
                await asyncio.wait_for(http.get("http://127.0.0.1:9/api/credits"), 5)


async def test_every_slot_has_a_connection_when_all_are_taken(
    server: tuple[str, asyncio.Event, list[str]],
) -> None:
    """The connections are spread over several small pools: a full cap of turns and other
    requests at once all reach the server (none waits in a pool that is full)."""
    url, release, started = server
    transport = CappedTransport(streams=40, others=9)
    async with httpx.AsyncClient(transport=transport) as http, contextlib.AsyncExitStack() as turns:
        for _ in range(40):
            turn = await turns.enter_async_context(http.stream("POST", f"{url}/run_sse"))
            await asyncio.wait_for(turn.aiter_bytes().__anext__(), 5)
        answers = await asyncio.wait_for(
            asyncio.gather(*(http.get(f"{url}/api/credits") for _ in range(9))), 5
        )
        assert [a.status_code for a in answers] == [200] * 9
        assert started.count("/run_sse") == 40
        release.set()
