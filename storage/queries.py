"""Policies written once, run on either database: a policy yields queries, a dialect runs them.

A policy is a generator: it yields `Query` objects (a statement's name, its arguments, and
the shape of result it wants) and receives each result back, so the same decisions (dedupe,
throttle, place in line, who may claim what) run on SQLite inside one writer transaction and
on PostgreSQL inside one asyncpg transaction. Each dialect keeps only its SQL, by name
(`storage/_sqlite_sql.py`, `storage/_pg_sql.py`); a name a dialect maps to `None` is a step
it does not need (SQLite has one writer, so it takes no row locks and sends no NOTIFY).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import asyncpg

__all__ = [
    "Policy",
    "Query",
    "count",
    "nothing",
    "row",
    "rows",
    "run_pg",
    "run_sqlite",
    "value",
]

T = TypeVar("T")
Shape = Literal["rows", "row", "value", "count", "none"]
Policy = Generator["Query", Any, T]
Dialect = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Query:
    """One statement a policy wants run: its name in the dialects, arguments, result shape."""

    name: str
    args: tuple[object, ...]
    shape: Shape


def rows(name: str, *args: object) -> Query:
    """Every row of the statement."""
    return Query(name, args, "rows")


def row(name: str, *args: object) -> Query:
    """The first row, or None."""
    return Query(name, args, "row")


def value(name: str, *args: object) -> Query:
    """The first column of the first row, or None."""
    return Query(name, args, "value")


def count(name: str, *args: object) -> Query:
    """How many rows the statement changed."""
    return Query(name, args, "count")


def nothing(name: str, *args: object) -> Query:
    """Run it; no result."""
    return Query(name, args, "none")


@dataclass(frozen=True, slots=True)
class _Done(Generic[T]):
    """The policy has returned."""

    value: T


def _next_statement(
    policy: Policy[T], dialect: Dialect, result: Any
) -> tuple[str, Query] | _Done[T]:
    """Hand `result` to the policy; its next statement with SQL here, or what it returned.

    A statement the dialect does not need is answered None without running anything.
    """
    while True:
        try:
            query = policy.send(result)
        except StopIteration as stop:
            return _Done(stop.value)
        sql = dialect[query.name]
        if sql is not None:
            return sql, query
        result = None


def run_sqlite(conn: sqlite3.Connection, dialect: Dialect, policy: Policy[T]) -> T:
    """Drive `policy` on an open SQLite transaction (on the connection's own thread)."""
    step = _next_statement(policy, dialect, None)
    while not isinstance(step, _Done):
        sql, query = step
        step = _next_statement(policy, dialect, _sqlite_result(conn, sql, query))
    return step.value


def _sqlite_result(conn: sqlite3.Connection, sql: str, query: Query) -> Any:
    # A list argument is passed as JSON and read with json_each(?) in the SQL.
    args = tuple(json.dumps(a) if isinstance(a, list | tuple) else a for a in query.args)
    cursor = conn.execute(sql, args)
    if query.shape == "rows":
        return cursor.fetchall()
    if query.shape == "row":
        return cursor.fetchone()
    if query.shape == "value":
        found = cursor.fetchone()
        return None if found is None else found[0]
    if query.shape == "count":
        return cursor.rowcount
    return None


async def run_pg(conn: asyncpg.Connection, dialect: Dialect, policy: Policy[T]) -> T:
    """Drive `policy` on an open PostgreSQL transaction."""
    step = _next_statement(policy, dialect, None)
    while not isinstance(step, _Done):
        sql, query = step
        step = _next_statement(policy, dialect, await _pg_result(conn, sql, query))
    return step.value


async def _pg_result(conn: asyncpg.Connection, sql: str, query: Query) -> Any:
    args = tuple(list(a) if isinstance(a, tuple) else a for a in query.args)
    if query.shape == "rows":
        return await conn.fetch(sql, *args)
    if query.shape == "row":
        return await conn.fetchrow(sql, *args)
    if query.shape == "value":
        return await conn.fetchval(sql, *args)
    status = await conn.execute(sql, *args)
    if query.shape == "count":
        tail = str(status).rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0
    return None
