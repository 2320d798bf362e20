"""`PostgresStore`: the `Store` on PostgreSQL, for one or several bot processes.

Usage::

    async with await PostgresStore.open("postgresql://nemobot@db/nemobot") as store:
        user = await store.upsert_user("telegram", "42")

`open` applies the migrations the database lacks (one worker at a time). Unlike the SQLite
store there is no process lock: every worker claims work with leases and row locks, and new
messages are announced to the others (`listen`).
"""

from __future__ import annotations

from ._ledger_ops import LedgerOps
from ._ops import InboxOps, RenderOps
from ._pg_budget import PgBudgets
from ._pg_operators import PgOperators
from ._pg_people import PgPeople
from ._pg_sql import INBOX_SQL, LEDGER_SQL, RENDER_SQL

__all__ = ["PostgresStore"]


class PostgresStore(InboxOps, RenderOps, LedgerOps, PgPeople, PgOperators, PgBudgets):
    """The durable store on PostgreSQL (asyncpg pool, shared by every worker)."""

    _INBOX_SQL = INBOX_SQL
    _RENDER_SQL = RENDER_SQL
    _LEDGER_SQL = LEDGER_SQL
