"""A fresh sandbox per test, tuned for speed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox import RunningSandbox
from tests.engine.harness import fast_sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with fast_sandbox() as running:
        yield running
