"""The bot's send windows in PostgreSQL, counted by every worker (see 0004_send_budgets.sql)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from ._pg_core import PgCore, _why
from .budgets import Window
from .errors import StoreError

__all__ = ["PgBudgets"]

_RESERVE = (
    "SELECT reserve_sends($1::text[], $2::integer[], $3::double precision[], $4, $5, $6::integer[])"
)
_SETTLE = "SELECT settle_sends($1::text[], $2::integer[], $3)"


class PgBudgets(PgCore):
    """`SendWindows` on PostgreSQL: one row per window, one function call per step."""

    async def reserve_sends(
        self,
        keys: Sequence[tuple[str, Window]],
        cost: int,
        hold: float,
        spares: Sequence[int] = (),
    ) -> float:
        """Take `cost` sends in every key's window if all allow them now with `spares[i]`
        slots still free (0.0), else the wait."""
        counts = [window.count for _, window in keys]
        pers = [window.per for _, window in keys]
        keep = list(spares) or [0] * len(counts)
        names = [key for key, _ in keys]
        wait = await self._call(_RESERVE, names, counts, pers, cost, hold, keep)
        return float(wait or 0.0)

    async def settle_sends(self, keys: Sequence[tuple[str, Window]], cost: int) -> None:
        """The `cost` sends taken in these windows are done: count them from now."""
        counts = [window.count for _, window in keys]
        await self._call(_SETTLE, [key for key, _ in keys], counts, cost)

    async def _call(self, sql: str, *args: object) -> float | None:
        try:
            async with self._connection() as conn:
                value: float | None = await conn.fetchval(sql, *args)
                return value
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StoreError(f"send budget in PostgreSQL: {_why(exc)}") from None
