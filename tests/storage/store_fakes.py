"""Test doubles for the storage tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from storage import Store

__all__ = ["FakeClock", "Reopen"]


class FakeClock:
    """A clock the test moves by hand, so lease expiry needs no sleeping."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        """Start at `now`."""
        self.now = now

    def __call__(self) -> float:
        """The current fake time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


Reopen = Callable[[], Awaitable[Store]]  # opens another store on the test's database
