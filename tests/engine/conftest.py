"""A fresh sandbox per test, tuned for speed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox import RunningSandbox, SandboxOptions, run_sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    options = SandboxOptions(chunk_delay_seconds=0, keepalive_seconds=0.2, image_seconds=1)
    async with run_sandbox(options) as running:
        yield running
