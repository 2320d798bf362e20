"""Fixtures for the client tests: a fresh sandbox and a real `NemoClient` per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from client_support import Env, EnvFactory, open_env

from bot.nemo import Auth


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    """A sandbox with fast timings and a client for it."""
    async with open_env() as opened:
        yield opened


@pytest.fixture
def make_env() -> EnvFactory:
    """`async with make_env(options, **client_config) as env:` for other settings."""
    return open_env


@pytest.fixture
async def login(env: Env) -> tuple[Auth, str]:
    """An anonymous token and a session on the default sandbox."""
    return await env.login()
