"""Send windows counted by every worker together: what a shared store offers the pacer.

Kept apart from `Store`: only a store that several processes share (PostgreSQL) has them;
with one process the pacer counts its windows in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

__all__ = ["SendWindows", "Window"]


class Window(Protocol):
    """At most `count` sends in any `per` seconds (the core's `Rate` is one)."""

    @property
    def count(self) -> int:
        """Sends allowed in one window."""
        ...

    @property
    def per(self) -> float:
        """The window's length in seconds."""
        ...


@runtime_checkable
class SendWindows(Protocol):
    """Sliding send windows, one per key, kept where every worker counts them."""

    async def reserve_sends(
        self,
        keys: Sequence[tuple[str, Window]],
        cost: int,
        hold: float,
        spares: Sequence[int] = (),
    ) -> float:
        """Take `cost` sends in every key's window if all allow them now, leaving `spares[i]`
        slots of window i free, and return 0.0; otherwise take nothing and return the
        seconds until they might. The sends count as `hold` seconds ahead until settled.
        One round trip."""
        ...

    async def settle_sends(self, keys: Sequence[tuple[str, Window]], cost: int) -> None:
        """`cost` sends taken in these windows are done: count them from now."""
        ...
