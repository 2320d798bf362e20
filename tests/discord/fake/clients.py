"""Run a real discord.Client against the fake."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, TypeVar

import discord

if TYPE_CHECKING:
    from tests.discord.fake.server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def running_client(
    fake: FakeDiscord, client: ClientT, *, timeout: float = 10.0, token: str | None = None
) -> AsyncIterator[ClientT]:
    """login() + connect() under point_discord_py_here(); yields after on_ready; closes on exit.

    An error that ends connect() before on_ready (e.g. PrivilegedIntentsRequired) is raised.
    Build the client with a small guild_ready_timeout: discord.py waits that long after the
    last GUILD_CREATE before on_ready (2 s by default).
    """
    with fake.point_discord_py_here():
        task: asyncio.Task[None] | None = None
        try:
            await client.login(token or fake.options.token)
            task = asyncio.create_task(client.connect(), name="discord-client-connect")
            await _ready_or_raise(client, task, timeout)
            yield client
        finally:
            await client.close()
            if task is not None:
                await _finish(task, timeout)


async def _ready_or_raise(client: discord.Client, task: asyncio.Task[None], timeout: float) -> None:
    ready = asyncio.create_task(client.wait_until_ready(), name="discord-client-ready")
    try:
        done, _ = await asyncio.wait(
            {ready, task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        ready.cancel()
    if task in done:
        task.result()
        raise RuntimeError("discord.Client.connect() returned before on_ready")
    if ready not in done:
        raise TimeoutError(f"discord.Client was not ready within {timeout}s")


async def _finish(task: asyncio.Task[None], timeout: float) -> None:
    if task.done():
        # Already raised to the caller by _ready_or_raise (or returned cleanly).
        if not task.cancelled():
            task.exception()
        return
    await asyncio.wait_for(task, timeout)
