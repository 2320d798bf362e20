"""The bot's send windows in PostgreSQL, counted by every worker (see 0004_send_budgets.sql)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from ._pg_core import PgCore, _why
from .budgets import Window
from .errors import StoreError

__all__ = ["PgBudgets"]

_RESERVE = "SELECT reserve_sends($1::text[], $2::integer[], $3::double precision[], $4)"


class PgBudgets(PgCore):
    """`SendWindows` on PostgreSQL: one row per window, one function call per reservation."""

    async def reserve_sends(self, keys: Sequence[tuple[str, Window]], cost: int) -> float:
        """Take `cost` sends in every key's window if all allow them now (0.0), else the wait."""
        names = [key for key, _ in keys]
        counts = [window.count for _, window in keys]
        pers = [window.per for _, window in keys]
        try:
            async with self._connection() as conn:
                wait = await conn.fetchval(_RESERVE, names, counts, pers, cost)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StoreError(f"cannot reserve sends in PostgreSQL: {_why(exc)}") from None
        return float(wait)
