"""Model-based tests of the inbox item's and the render job's lifecycles (`storage.lifecycle`).

Hypothesis plays three workers against one store, on SQLite and on a real PostgreSQL: random
interleavings of accepting (duplicates, repeated presses, limits), claiming, marking, renewing,
releasing, finishing, cancelling; and of creating, polling, delivering, taking over and
resending renders; with a fake clock whose jumps past a lease stand for a worker that died.
After every step the test checks what the call returned against a model of the rules, that
every row moved only as the lifecycle's table allows (and only by whom it allows), and the
promises: per user, messages are handed out in acceptance order and never past one that is not
final; an item that may have reached the agent is never handed out to run again; a render is
sent once (again only at the user's Resend). At the end a fresh worker drains the store: every
accepted message and every render must reach a final state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, TypeVar

import asyncpg
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from storage import (
    INBOX,
    RENDER,
    AcceptRules,
    Claim,
    Enqueued,
    InboxItem,
    Lifecycle,
    NewItem,
    NewRender,
    RenderExistsError,
    RenderJob,
    StatusAnswer,
    Store,
    Transition,
    open_store,
)
from storage.lifecycle import ITEM_ACTIVE, ITEM_FINAL, ITEM_STATES, RENDER_ACTIVE, RENDER_FINAL
from storage.postgres import PostgresStore
from tests.postgres import PostgresServer, fresh_database

T = TypeVar("T")

LEASE = 10.0
WORKERS = ("w1", "w2", "w3")
DRAINER = "drainer"  # the fresh worker that drains the store at the end
# The platforms each worker is connected to: it takes over the renders of those only.
CONNECTED = {"w1": ("telegram", "discord"), "w2": ("telegram",), "w3": ("discord",)}
CONNECTED[DRAINER] = ("telegram", "discord")
USERS = (("telegram", "alice"), ("discord", "bob"))  # (platform, their id there)
RATE_WINDOW = 60.0
UNFINISHED = ITEM_ACTIVE | {"queued"}
PENDING_PRESS = frozenset({"queued", "claimed", "sending"})

# Enough to find an interleaving bug in a few seconds; kept modest for `make test` on 2 cores.
SETTINGS = settings(
    max_examples=40,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

workers = st.sampled_from(WORKERS)
users = st.integers(0, len(USERS) - 1)
picks = st.integers(0, 1_000)  # which of the candidate rows a step acts on
advances = st.sampled_from([1.0, 3.0, LEASE - 1, LEASE, LEASE + 1, RATE_WINDOW])


@dataclass(frozen=True)
class Arrival:
    """A message reaching a worker: its sender, update id, lane, and the limits applied."""

    user: int
    update: int  # a small pool: the same update delivered twice is a duplicate
    lane: Literal["line", "side"]
    press: str | None = None  # a button press: the same one pending is dropped
    leased_by: str | None = None  # a side message stored already claimed by its receiver
    limit: int | None = None
    per_minute: int | None = None


line_arrivals = st.builds(
    Arrival,
    user=users,
    update=st.integers(0, 9),
    lane=st.just("line"),
    press=st.sampled_from([None, None, "again:s:1", "again:s:2"]),
    limit=st.sampled_from([None, None, 2]),
    per_minute=st.sampled_from([None, None, 6]),
)
side_arrivals = st.builds(
    Arrival,
    user=users,
    update=st.integers(0, 9),
    lane=st.just("side"),
    leased_by=st.sampled_from([None, *WORKERS]),
    per_minute=st.sampled_from([None, None, 6]),
)
arrivals = st.one_of(line_arrivals, line_arrivals, side_arrivals)


@dataclass(frozen=True)
class Export:
    """A render a worker starts following: who holds it, whose it is, where its chat is."""

    worker: str
    user: int
    platform: str
    again: bool  # the backend answered with a render id already stored
    message: Literal["new", "taken"] | None  # its export message (one render each): a new
    # one, or one that has (or had) a render


exports = st.builds(
    Export,
    worker=workers,
    user=users,
    platform=st.sampled_from(CONNECTED[DRAINER]),
    again=st.sampled_from([False, False, False, True]),
    message=st.sampled_from([None, "new", "new", "taken"]),
)
new_exports = exports.map(lambda export: replace(export, again=False))


class Clock:
    """The stores' clock: moved by the test only."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


# -- where each example's store lives ---------------------------------------------------------


class Backend(Protocol):
    """A fresh database for each example, and a way to read its rows behind the store's back."""

    user_ids: tuple[int, ...]

    async def open(self, clock: Clock) -> Store: ...

    async def fetch(self, sql: str) -> Iterable[Mapping[str, Any]]: ...

    async def close(self) -> None: ...


async def _seed(location: str) -> tuple[int, ...]:
    """Migrate the database at `location` and store the users."""
    async with await open_store(location) as store:
        return tuple([(await store.upsert_user(platform, name)).id for platform, name in USERS])


class SqliteBackend:
    """Each example on a copy of a migrated file (a fresh process: one per file)."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._template = folder / "template.db"
        self.user_ids = asyncio.run(_seed(str(self._template)))
        with contextlib.closing(sqlite3.connect(self._template)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all in the file: it can be copied
        self._examples = 0
        self._path = self._template
        self._reader: sqlite3.Connection | None = None

    async def open(self, clock: Clock) -> Store:
        self._examples += 1
        self._path = self._folder / f"example-{self._examples}" / "nemobot.db"
        self._path.parent.mkdir(mode=0o700)
        shutil.copyfile(self._template, self._path)
        self._path.chmod(0o600)
        store = await open_store(str(self._path), clock=clock)
        self._reader = sqlite3.connect(self._path)
        self._reader.row_factory = sqlite3.Row
        return store

    async def fetch(self, sql: str) -> Iterable[Mapping[str, Any]]:
        assert self._reader is not None
        return [dict(row) for row in self._reader.execute(sql).fetchall()]

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        shutil.rmtree(self._path.parent, ignore_errors=True)


class PostgresBackend:
    """Each example on one migrated database, emptied of messages and renders first."""

    def __init__(self, server: PostgresServer) -> None:
        self._url = asyncio.run(fresh_database(server))
        self.user_ids = asyncio.run(_seed(self._url))
        self._raw: asyncpg.Connection | None = None

    async def open(self, clock: Clock) -> Store:
        self._raw = await asyncpg.connect(self._url)
        await self._raw.execute("DELETE FROM inbox; DELETE FROM renders")
        return await PostgresStore.open(self._url, clock=clock, max_size=2)

    async def fetch(self, sql: str) -> Iterable[Mapping[str, Any]]:
        assert self._raw is not None
        return [dict(row) for row in await self._raw.fetch(sql)]

    async def close(self) -> None:
        if self._raw is not None:
            await self._raw.close()


# -- rows as the test reads them ----------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """An inbox row, read straight from the database."""

    id: int
    platform: str
    user_id: int
    update_id: str
    kind: str
    status: str
    owner: str | None
    lease_expires: float | None
    lane: str
    press_key: str | None
    created_at: float
    reached_agent: bool
    text: object  # the payload's text (None: not a JSON object)


@dataclass(frozen=True)
class Job:
    """A renders row, read straight from the database."""

    render_id: str
    user_id: int
    status: str
    progress: int
    owner: str | None
    lease_expires: float | None
    delivered: bool
    created_at: float
    item_id: int | None  # the export message it was made for
    platform: str  # where its chat is


# In a fixed order: the rows a step acts on are picked by position (PostgreSQL's heap order
# changes under updates, and hypothesis must be able to replay an example).
ITEM_QUERY = (
    "SELECT id, platform, user_id, update_id, kind, status, owner, lease_expires, lane, press_key, "
    "created_at, reached_agent, payload FROM inbox ORDER BY id"
)
JOB_QUERY = (
    "SELECT render_id, user_id, status, progress, owner, lease_expires, delivered, created_at, "
    "item_id, chat FROM renders ORDER BY render_id"
)


def _text(payload: str) -> object:
    try:
        found = json.loads(payload)
    except ValueError:
        return None
    return found.get("text") if isinstance(found, dict) else None


def _item(row: Mapping[str, Any]) -> Item:
    fields = {name: row[name] for name in Item.__dataclass_fields__ if name != "text"}
    fields["reached_agent"] = bool(row["reached_agent"])
    return Item(**fields, text=_text(row["payload"]))


def _job(row: Mapping[str, Any]) -> Job:
    fields = {name: row[name] for name in Job.__dataclass_fields__ if name != "platform"}
    fields["delivered"] = bool(row["delivered"])
    return Job(**fields, platform=json.loads(row["chat"])["platform"])


def _expired(lease_expires: float | None, now: float) -> bool:
    return lease_expires is None or lease_expires <= now


def _permits(move: Transition, old: Item | Job | None, worker: str | None, now: float) -> bool:
    """Whether `worker` may make `move` on a row that was `old`."""
    if move.who == "holder":
        return old is not None and old.owner == worker
    if move.who == "after_expiry":
        return old is not None and _expired(old.lease_expires, now)
    return True


def check_moves(
    lifecycle: Lifecycle,
    before: Mapping[Any, Item | Job],
    after: Mapping[Any, Item | Job],
    names: Collection[str],
    worker: str | None,
    now: float,
) -> list[Any]:
    """Every row whose state or holder changed moved by one of the transitions `names`, as
    the table allows, by whom it allows. Returns the keys of the rows that moved."""
    assert set(before) <= set(after), "a row disappeared"
    moved = []
    for key, row in after.items():
        old = before.get(key)
        if old is not None and (old.status, old.owner) == (row.status, row.owner):
            continue
        source = "new" if old is None else old.status
        allowed = [
            move
            for move in lifecycle.transitions
            if move.name in names and (move.source, move.target) == (source, row.status)
        ]
        assert any(_permits(move, old, worker, now) for move in allowed), (
            f"{key}: {source} → {row.status} (holder {getattr(old, 'owner', None)} → "
            f"{row.owner}) is not a move of {sorted(names)} by {worker}"
        )
        moved.append(key)
    return moved


def _outcome(placed: Enqueued) -> str:
    """What became of an accepted message, for the statistics."""
    names = ("duplicate", "throttled", "repeat", "refused")
    return next((name for name in names if getattr(placed, name)), "stored")


def _pick(pick: int, preferred: list[T], fallback: list[T]) -> T:
    pool = preferred or fallback
    return pool[pick % len(pool)]


R = TypeVar("R", Item, Job)


def _target(pick: int, rows: Iterable[R], wanted: Collection[str]) -> R:
    """A row to act on: one in a `wanted` state if there is any."""
    every = list(rows)
    return _pick(pick, [r for r in every if r.status in wanted], every)


def _actor(row: Item | Job, as_holder: bool, worker: str) -> str:
    """Who acts: mostly the row's holder (its moves then mostly succeed), else anyone."""
    return row.owner if as_holder and row.owner is not None else worker


holders = st.booleans()  # act as the row's holder, or as a (random) worker


def _any(states: Collection[str], lane: str | None = None) -> Any:
    """A precondition: some row of the machine is in one of `states` (on `lane`)."""

    def check(machine: StoreMachine) -> bool:
        return any(
            r.status in states and lane in (None, getattr(r, "lane", None))
            for r in machine.current()
        )

    return check


def _someone_holds_a_lease(machine: StoreMachine) -> bool:
    now = machine.clock.now
    return any(r.lease_expires is not None and r.lease_expires > now for r in machine.current())


# -- the machines ---------------------------------------------------------------------------


class StoreMachine(RuleBasedStateMachine):
    """One fresh store per example, driven on a private event loop."""

    backend: ClassVar[Backend]

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.loop = asyncio.new_event_loop()
        self.store = self.run(self.backend.open(self.clock))
        self.users = self.backend.user_ids
        # The last step's checks all passed (`act` clears it, the invariant sets it): only
        # then does teardown drain, so a failing step is reported as it is.
        self.checked = True

    def run(self, work: Awaitable[T]) -> T:
        return self.loop.run_until_complete(work)

    def rows(self, sql: str) -> list[Mapping[str, Any]]:
        return list(self.run(self.backend.fetch(sql)))

    def current(self) -> Iterable[Item | Job]:
        """The rows as the last step left them."""
        raise NotImplementedError

    @precondition(_someone_holds_a_lease)
    @rule(seconds=advances)
    def advance(self, seconds: float) -> None:
        """Time passes; past a lease, its holder counts as dead."""
        self.clock.now += seconds

    def drain(self) -> None:
        raise NotImplementedError

    def teardown(self) -> None:
        try:
            if self.checked:
                self.clock.now += LEASE  # every worker is gone
                self.drain()
        finally:
            try:
                self.run(self.store.close())
                self.run(self.backend.close())
            finally:
                self.loop.close()


class InboxMachine(StoreMachine):
    """Accepted messages, claimed and answered by workers that die at random."""

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[int, Item] = {}
        self.order: dict[int, int] = {}  # accepted message → its place in acceptance order
        self.handed: dict[int, list[int]] = {user: [] for user in self.users}  # first hand-outs
        self.handouts: Counter[int] = Counter()
        self.sender: dict[int, tuple[str, int]] = {}  # who marked it, in which hand-out
        self.accepts = 0

    def current(self) -> Iterable[Item]:
        return self.items.values()

    # What the database holds now; each step compares it with what it held before.
    def act(
        self, work: Awaitable[T], names: Collection[str], worker: str | None = None
    ) -> tuple[dict[int, Item], T, list[int]]:
        self.checked = False
        before = self.items
        result = self.run(work)
        self.items = {row["id"]: _item(row) for row in self.rows(ITEM_QUERY)}
        moved = check_moves(INBOX, before, self.items, names, worker, self.clock.now)
        return before, result, moved

    def line_of(self, rows: Mapping[int, Item], user_id: int) -> list[Item]:
        return sorted(
            (r for r in rows.values() if r.user_id == user_id and r.id in self.order),
            key=lambda r: r.id,
        )

    def head(self, rows: Mapping[int, Item], user_id: int) -> Item | None:
        waiting = [
            r for r in self.line_of(rows, user_id) if r.lane == "line" and r.status in UNFINISHED
        ]
        return waiting[0] if waiting else None

    @staticmethod
    def place(rows: Mapping[int, Item], row: Item) -> int:
        if row.status != "queued" or row.lane != "line":
            return 0
        ahead = [
            r
            for r in rows.values()
            if r.user_id == row.user_id and r.lane == "line" and r.status in UNFINISHED
        ]
        return 1 + sum(r.id < row.id for r in ahead)

    # -- accepting ------------------------------------------------------------------------

    @initialize(first=st.lists(line_arrivals, min_size=1, max_size=5))
    def messages_arrive(self, first: list[Arrival]) -> None:
        """Every example starts with a few messages in line."""
        for arrival in first:
            self.accept(arrival)

    @rule(arrival=arrivals)
    def accept(self, arrival: Arrival) -> None:
        """A message reaches a worker: stored once, within the sender's limits."""
        user, lane, press = arrival.user, arrival.lane, arrival.press
        limit, per_minute, owner = arrival.limit, arrival.per_minute, arrival.leased_by
        user_id, now = self.users[user], self.clock.now
        self.accepts += 1
        text = f"message {self.accepts}"
        kind = "status" if lane == "side" else ("again" if press else "turn")
        update_id = f"{user_id}-{arrival.update}"
        new = NewItem(
            USERS[user][0],
            update_id,
            user_id,
            "{}",
            kind,
            json.dumps({"kind": kind, "arg": text}),
            json.dumps({"text": text}),
            lane=lane,
            press_key=press,
        )
        rules = AcceptRules(limit, per_minute, owner, LEASE)
        before, placed, moved = self.act(
            self.store.accept(new, rules), {"accept", "accept_leased", "refuse"}
        )
        rows = list(before.values())
        fresh = [self.items[key] for key in moved]
        seen = next((r for r in rows if r.update_id == update_id), None)
        window = [r for r in rows if r.user_id == user_id and r.created_at > now - RATE_WINDOW]
        pressed = sorted(
            r.id
            for r in rows
            if r.user_id == user_id and r.press_key == new.press_key and r.status in PENDING_PRESS
        )
        waiting = sum(
            r.user_id == user_id and r.lane == "line" and r.status == "queued" for r in rows
        )
        event(f"accept: {_outcome(placed)}")
        if seen is not None:  # a redelivery: stored once, whatever the limits say now
            assert placed == Enqueued(seen.id, self.place(before, seen), duplicate=True)
            assert fresh == []
        elif per_minute is not None and sum(r.kind != "throttled" for r in window) >= per_minute:
            told = any(r.kind == "throttled" for r in window)
            assert placed == Enqueued(0, 0, False, throttled=True, first_refusal=not told)
            assert [(r.status, r.kind) for r in fresh] == [("cancelled", "throttled")]
        elif new.press_key is not None and pressed:
            assert placed == Enqueued(pressed[0], 0, False, repeat=True)
            assert [(r.status, r.kind, r.update_id) for r in fresh] == [
                ("cancelled", "repeated", update_id)
            ]
        elif limit is not None and new.lane == "line" and waiting >= limit:
            assert placed == Enqueued(0, 0, False, refused=True)
            assert fresh == []
        else:
            [row] = fresh
            assert row.id > max(before, default=0)  # ids keep acceptance order
            assert (row.status, row.owner) == (("claimed", owner) if owner else ("queued", None))
            assert row.text == text
            assert placed == Enqueued(row.id, self.place(self.items, row), duplicate=False)
            self.order[row.id] = len(self.order)

    # -- the line -------------------------------------------------------------------------

    def claim(self, worker: str, user_id: int) -> Claim | None:
        before, claim, moved = self.act(
            self.store.claim_next(user_id, worker, LEASE), {"claim", "takeover"}, worker
        )
        head, now = self.head(before, user_id), self.clock.now
        expected: tuple[int, str] | None = None
        if head is not None and head.status == "queued":
            expected = (head.id, "run")
        elif head is not None and head.status in ITEM_ACTIVE and _expired(head.lease_expires, now):
            target = INBOX.target("takeover", head.status)
            expected = (head.id, "run" if target == "claimed" else "report")
        assert (None if claim is None else (claim.item.id, claim.action)) == expected
        event(f"claim_next: {'nothing' if claim is None else claim.action}")
        if claim is None:
            assert moved == []
            return None
        item = claim.item
        assert set(moved) <= {item.id}
        assert (item.status, item.owner, item.lease_expires) == (
            self.items[item.id].status,
            worker,
            now + LEASE,
        )
        # Nothing after a message is handed out before it is final.
        for earlier in self.line_of(before, user_id):
            if earlier.lane == "line" and earlier.id < item.id:
                assert earlier.status in ITEM_FINAL, (earlier, item)
        # What may have reached the agent is never run again, only reported.
        assert claim.action == ("report" if item.id in self.sender else "run")
        assert claim.action == ("report" if item.reached_agent else "run")
        self.handouts[item.id] += 1
        handed = self.handed[user_id]
        if item.id not in handed:
            assert all(self.order[h] < self.order[item.id] for h in handed), (handed, item.id)
            handed.append(item.id)
        return claim

    @precondition(_any(UNFINISHED, lane="line"))
    @rule(worker=workers, user=users, eager=st.booleans())
    def claim_next(self, worker: str, user: int, eager: bool) -> None:
        """A worker claims a user's line head (`eager`: for a user with one to hand out)."""
        now, user_id = self.clock.now, self.users[user]
        heads = [self.head(self.items, u) for u in self.users]
        ready = [
            h.user_id
            for h in heads
            if h is not None and (h.status == "queued" or _expired(h.lease_expires, now))
        ]
        self.claim(worker, _pick(user, ready, [user_id]) if eager else user_id)

    @precondition(_any(ITEM_ACTIVE, lane="line"))
    @rule(worker=workers, pick=picks, as_holder=holders)
    def mark_sending(self, worker: str, pick: int, as_holder: bool) -> None:
        """Just before the agent call (only line messages reach the agent)."""
        line = [r for r in self.items.values() if r.lane == "line"]
        target = _target(pick, line, ITEM_ACTIVE)
        worker = _actor(target, as_holder, worker)
        before, marked, moved = self.act(
            self.store.mark_sending(target.id, worker), {"mark_sending"}, worker
        )
        row = before[target.id]
        assert marked == (row.owner == worker and row.status in INBOX.sources("mark_sending"))
        event(f"mark_sending: {marked}")
        assert set(moved) <= {target.id}
        if not marked:
            assert self.items == before
            return
        assert self.items[target.id].status == "sending" and self.items[target.id].reached_agent
        # One holder, in one hand-out, ever calls the agent for an item.
        stamp = (worker, self.handouts[target.id])
        assert self.sender.setdefault(target.id, stamp) == stamp, (self.sender[target.id], stamp)

    @precondition(_any(ITEM_ACTIVE))
    @rule(worker=workers, pick=picks, as_holder=holders)
    def renew(self, worker: str, pick: int, as_holder: bool) -> None:
        """The holder keeps its lease alive (a lost one is not won back)."""
        target = _target(pick, self.items.values(), ITEM_ACTIVE)
        worker = _actor(target, as_holder, worker)
        before, renewed, _ = self.act(self.store.renew(target.id, worker, LEASE), (), worker)
        row = before[target.id]
        assert renewed == (row.owner == worker and row.status in ITEM_ACTIVE)
        expected = {**before, target.id: self._leased(row)} if renewed else before
        assert self.items == expected

    def _leased(self, row: Item) -> Item:
        return Item(**{**row.__dict__, "lease_expires": self.clock.now + LEASE})

    @precondition(_any(ITEM_ACTIVE))
    @rule(worker=workers, pick=picks, as_holder=holders)
    def release(self, worker: str, pick: int, as_holder: bool) -> None:
        """A worker stopping: unsent work goes back, sent work waits for a report."""
        target = _target(pick, self.items.values(), ITEM_ACTIVE)
        worker = _actor(target, as_holder, worker)
        before, released, moved = self.act(
            self.store.release(target.id, worker), {"release"}, worker
        )
        row = before[target.id]
        assert released == (row.owner == worker and row.status in INBOX.sources("release"))
        if released:
            after = self.items[target.id]
            assert (after.status, after.owner, after.lease_expires) == (
                INBOX.target("release", row.status),
                None,
                None,
            )
        assert moved == ([target.id] if released else [])

    def end(self, worker: str, item_id: int, move: str, scrub: bool) -> bool:
        before, ended, moved = self.act(
            self.store.finish(item_id, worker, move, scrub=scrub), {move}, worker
        )
        row = before[item_id]
        assert ended == (row.owner == worker and row.status in INBOX.sources(move))
        event(f"finish {move}: {ended}")
        after = self.items[item_id]
        if ended:
            assert (after.status, after.lease_expires) == (INBOX.target(move, row.status), None)
            assert after.text == ("" if scrub else row.text)
        assert moved == ([item_id] if ended else [])
        return ended

    @precondition(_any(ITEM_ACTIVE))
    @rule(
        worker=workers,
        pick=picks,
        as_holder=holders,
        move=st.sampled_from(["finish", "report", "fail"]),
        scrub=st.booleans(),
    )
    def finish(self, worker: str, pick: int, as_holder: bool, move: str, scrub: bool) -> None:
        """The holder ends an item it may end by `move`: answered, reported, failed."""
        target = _target(pick, self.items.values(), INBOX.sources(move))
        self.end(_actor(target, as_holder, worker), target.id, move, scrub)

    @precondition(_any(UNFINISHED, lane="line"))
    @rule(user=users)
    def cancel_user(self, user: int) -> None:
        """/cancel: the queued dropped, the active one (not a report) ended."""
        user_id = self.users[user]
        before, (dropped, stopped), moved = self.act(self.store.cancel_user(user_id), {"cancel"})
        line = [r for r in self.line_of(before, user_id) if r.lane == "line"]
        queued = [r.id for r in line if r.status == "queued"]
        active = [r.id for r in line if r.status in ("claimed", "sending")]
        assert dropped == len(queued)
        assert (None if stopped is None else stopped.id) == (active[0] if active else None)
        assert stopped is None or stopped.status == "cancelled"
        assert sorted(moved) == sorted(queued + active[:1])
        event(f"cancel_user: {dropped} dropped, {'one' if stopped else 'none'} stopped")

    @precondition(_any({"reported", "resent"}))
    @rule(pick=picks, by_its_user=st.booleans())
    def send_again(self, pick: int, by_its_user: bool) -> None:
        """A user presses Send again under a report (or under anything else, or twice): it
        works once, for the reported message's own user."""
        target = _target(pick, self.items.values(), {"reported"})
        others = [u for u in self.users if u != target.user_id]
        user_id = target.user_id if by_its_user else others[pick % len(others)]
        before, resent, moved = self.act(self.store.resend_item(target.id, user_id), {"resend"})
        row = before[target.id]
        assert (resent is not None) == (row.status == "reported" and row.user_id == user_id)
        event(f"resend_item: {resent is not None}")
        assert moved == ([target.id] if resent is not None else [])

    # -- the side lane, Send again, what workers look for -----------------------------------

    def take_side(self, worker: str, item_id: int) -> InboxItem | None:
        before, taken, moved = self.act(
            self.store.claim_side(item_id, worker, LEASE), {"claim", "takeover"}, worker
        )
        row, now = before[item_id], self.clock.now
        waiting = row.status == "queued" or (
            row.status == "claimed" and _expired(row.lease_expires, now)
        )
        assert (taken is not None) == (row.lane == "side" and waiting)
        assert set(moved) <= {item_id}
        if taken is not None:
            assert (taken.status, taken.owner, taken.lease_expires) == (
                "claimed",
                worker,
                now + LEASE,
            )
        return taken

    @precondition(_any({"queued", "claimed"}, lane="side"))
    @rule(worker=workers, pick=picks)
    def claim_side(self, worker: str, pick: int) -> None:
        """A worker takes up a side message (`/status`, credits…) waiting or left behind."""
        side = [r for r in self.items.values() if r.lane == "side" and r.id in self.order]
        self.take_side(worker, _pick(pick, side, list(self.items.values())).id)

    @rule(platforms=st.sampled_from([("telegram", "discord"), ("telegram",), ("discord",), ()]))
    def look_for_work(self, platforms: tuple[str, ...]) -> None:
        """What an idle worker on `platforms` looks for: users with a line to serve, side
        messages; and how many wait in each line."""
        now = self.clock.now
        rows = [r for r in self.items.values() if r.platform in platforms]

        def up_for_grabs(r: Item) -> bool:
            return r.status == "queued" or (
                r.status in ITEM_ACTIVE and _expired(r.lease_expires, now)
            )

        firsts: dict[int, int] = {}
        for r in sorted(rows, key=lambda r: r.id):
            if r.lane == "line" and up_for_grabs(r):
                firsts.setdefault(r.user_id, r.id)
        assert self.run(self.store.users_with_work(platforms)) == sorted(firsts, key=firsts.get)
        side = sorted(
            r.id
            for r in rows
            if r.lane == "side"
            and (r.status == "queued" or (r.status == "claimed" and up_for_grabs(r)))
        )
        assert self.run(self.store.side_items(platforms)) == side
        for user_id in self.users:
            queued = sum(
                r.user_id == user_id and r.lane == "line" and r.status == "queued"
                for r in self.items.values()
            )
            assert self.run(self.store.queued_count(user_id)) == queued

    # -- what holds after every step ------------------------------------------------------

    @invariant()
    def promises_hold(self) -> None:
        for user_id in self.users:
            line = [r for r in self.line_of(self.items, user_id) if r.lane == "line"]
            unfinished = [r for r in line if r.status in UNFINISHED]
            for r in line:
                if r.status in ITEM_ACTIVE:  # only the line's head is ever worked on
                    assert r.id == unfinished[0].id, (r, unfinished[0])
        for r in self.items.values():
            assert r.status in ITEM_STATES
            assert r.reached_agent == (r.id in self.sender)  # set by mark_sending only
            if r.reached_agent:
                assert r.status not in ("queued", "claimed"), r  # never to be run again
            if r.status in ITEM_FINAL or r.status == "queued":
                assert r.lease_expires is None, r
            if r.id not in self.order:  # what a refusal keeps is never work
                assert (r.status, r.kind) in (("cancelled", "throttled"), ("cancelled", "repeated"))
        self.checked = True

    def drain(self) -> None:
        """A fresh worker serves what is left: every accepted message ends final."""
        for user_id in self.users:
            for _ in range(len(self.items) + 1):
                claim = self.claim(DRAINER, user_id)
                if claim is None:
                    break
                move = "report" if claim.action == "report" else "finish"
                assert self.end(DRAINER, claim.item.id, move, scrub=False)
            assert self.head(self.items, user_id) is None
        for r in list(self.items.values()):
            if r.lane == "side" and r.id in self.order and r.status not in ITEM_FINAL:
                assert self.take_side(DRAINER, r.id) is not None
                assert self.end(DRAINER, r.id, "finish", scrub=False)
        unfinished = [r for r in self.items.values() if r.status not in ITEM_FINAL]
        assert unfinished == []
        self.promises_hold()


class RenderMachine(StoreMachine):
    """Render jobs followed, delivered and taken over by workers that die at random."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs: dict[str, Job] = {}
        self.created: dict[str, int] = {}  # render id → creation order
        self.messages = 0  # export messages seen
        self.begun: Counter[str] = Counter()  # begin_delivery successes
        self.delivered: Counter[str] = Counter()
        self.resent: Counter[str] = Counter()

    def current(self) -> Iterable[Job]:
        return self.jobs.values()

    def act(
        self, work: Awaitable[T], names: Collection[str], worker: str | None = None
    ) -> tuple[dict[str, Job], T, list[str]]:
        self.checked = False
        before = self.jobs
        result = self.run(work)
        self.jobs = {row["render_id"]: _job(row) for row in self.rows(JOB_QUERY)}
        moved = check_moves(RENDER, before, self.jobs, names, worker, self.clock.now)
        return before, result, moved

    @initialize(first=st.lists(new_exports, min_size=1, max_size=3))
    def exports_start(self, first: list[Export]) -> None:
        """Every example starts with a few renders being followed."""
        for export in first:
            self.create_render(export, 0)

    @rule(export=st.one_of(new_exports, exports), pick=picks)
    def create_render(self, export: Export, pick: int) -> None:
        """Persisted before the submit call; a render id, and a message's render, once."""
        worker, user = export.worker, export.user
        message: int | None = None
        if export.message == "new":
            self.messages += 1
            message = self.messages
        elif export.message == "taken":
            made = sorted({j.item_id for j in self.jobs.values() if j.item_id is not None})
            message = _pick(pick, made, [self.messages + 1])
        reused = export.again and bool(self.jobs)
        render_id = _pick(pick, sorted(self.jobs), []) if reused else f"r{len(self.created)}"
        chat = json.dumps({"chat_id": user, "platform": export.platform})
        new = NewRender(render_id, self.users[user], chat, "7301234567890123456", message)
        made_for = [j for j in self.jobs.values() if message is not None and j.item_id == message]
        if reused or made_for:
            self.checked = False
            try:
                self.run(self.store.create_render(new, worker, LEASE))
            except RenderExistsError as exc:
                existing = None if exc.existing is None else exc.existing.render_id
                assert existing == (made_for[0].render_id if made_for else None)
            else:
                raise AssertionError(f"{render_id} (message {message}) was created twice")
            event(f"create_render: refused ({'message' if made_for else 'id'} taken)")
            before = self.jobs
            self.jobs = {row["render_id"]: _job(row) for row in self.rows(JOB_QUERY)}
            assert self.jobs == before
            return
        _, job, moved = self.act(self.store.create_render(new, worker, LEASE), {"create"}, worker)
        assert moved == [render_id]
        assert (job.status, job.owner, job.lease_expires) == (
            "created",
            worker,
            self.clock.now + LEASE,
        )
        assert self.jobs[render_id].item_id == message
        self.created[render_id] = len(self.created)

    def poll(self, worker: str, render_id: str, status: str, progress: int) -> RenderJob | None:
        before, job, moved = self.act(
            self.store.record_status(render_id, worker, StatusAnswer(status, progress)),
            {"progress"},
            worker,
        )
        row = before[render_id]
        assert set(moved) <= {render_id}
        assert (job is not None) == (
            row.owner == worker and row.status in RENDER.sources("progress")
        )
        if job is not None:
            assert (job.status, job.progress) == (
                status,
                100 if status == "completed" else progress,
            )
        else:
            assert self.jobs == before
        return job

    @precondition(_any(RENDER.sources("progress")))
    @rule(
        worker=workers,
        pick=picks,
        as_holder=holders,
        status=st.sampled_from(["completed", "pending", "processing"]),
        progress=st.integers(0, 100),
    )
    def record_status(
        self, worker: str, pick: int, as_holder: bool, status: str, progress: int
    ) -> None:
        """The holder polled the backend."""
        target = _target(pick, self.jobs.values(), RENDER.sources("progress"))
        self.poll(_actor(target, as_holder, worker), target.render_id, status, progress)

    def send(self, worker: str, render_id: str) -> bool:
        before, begun, moved = self.act(
            self.store.begin_delivery(render_id, worker), {"begin_delivery"}, worker
        )
        row = before[render_id]
        live = row.lease_expires is not None and row.lease_expires > self.clock.now
        assert begun == (row.owner == worker and row.status == "completed" and live)
        event(f"begin_delivery: {begun}")
        assert moved == ([render_id] if begun else [])
        if begun:
            self.begun[render_id] += 1
        return begun

    @precondition(_any({"completed"}))
    @rule(worker=workers, pick=picks, as_holder=holders)
    def begin_delivery(self, worker: str, pick: int, as_holder: bool) -> None:
        """The holder is about to send the video."""
        target = _target(pick, self.jobs.values(), {"completed"})
        self.send(_actor(target, as_holder, worker), target.render_id)

    def end(self, worker: str, render_id: str, move: str, detach: bool = False) -> bool:
        before, ended, moved = self.act(
            self.store.end_render(render_id, worker, move, "why", detach=detach), {move}, worker
        )
        row = before[render_id]
        assert ended == (row.owner == worker and row.status in RENDER.sources(move))
        event(f"end_render {move}: {ended}")
        assert moved == ([render_id] if ended else [])
        if ended:
            after = self.jobs[render_id]
            assert after.status == RENDER.target(move, row.status)
            assert after.item_id == (None if detach else row.item_id)
            if move == "delivered":
                assert (after.delivered, after.owner, after.lease_expires) == (True, worker, None)
                self.delivered[render_id] += 1
        else:
            assert self.jobs == before
        return ended

    @precondition(_any(RENDER_ACTIVE))
    @rule(
        worker=workers,
        pick=picks,
        as_holder=holders,
        move=st.sampled_from(["delivered", "send_failed", "fail", "cancel"]),
        detach=st.booleans(),
    )
    def end_render(self, worker: str, pick: int, as_holder: bool, move: str, detach: bool) -> None:
        """The holder ends a job it may end by `move`: sent, maybe sent, failed, cancelled
        (`detach`: its message may have another render, this id was not ours)."""
        target = _target(pick, self.jobs.values(), RENDER.sources(move))
        self.end(_actor(target, as_holder, worker), target.render_id, move, detach)

    def take_over(self, worker: str) -> list[RenderJob]:
        before, taken, moved = self.act(
            self.store.take_over_renders(worker, LEASE, CONNECTED[worker]), {"takeover"}, worker
        )
        now = self.clock.now
        expected = sorted(
            (
                j
                for j in before.values()
                if j.status in RENDER_ACTIVE
                and _expired(j.lease_expires, now)
                and j.platform in CONNECTED[worker]
            ),
            key=lambda j: (j.created_at, j.render_id),
        )
        assert [j.render_id for j in taken] == [j.render_id for j in expected]
        for job in taken:
            assert (job.owner, job.lease_expires) == (worker, now + LEASE)
            assert job.status == RENDER.target("takeover", before[job.render_id].status)
            event(f"take_over_renders: {before[job.render_id].status} → {job.status}")
        assert set(moved) <= {j.render_id for j in taken}
        return taken

    @rule(worker=workers)
    def take_over_renders(self, worker: str) -> None:
        """A worker looks for renders whose holder died, on the platforms it serves."""
        self.take_over(worker)

    @precondition(_any(RENDER_ACTIVE))
    @rule(worker=workers, pick=picks, as_holder=holders)
    def renew_render(self, worker: str, pick: int, as_holder: bool) -> None:
        """The holder's keeper renews the lease (on its own clock, not the poll's)."""
        target = _target(pick, self.jobs.values(), RENDER_ACTIVE)
        worker = _actor(target, as_holder, worker)
        before, renewed, _ = self.act(
            self.store.renew_render(target.render_id, worker, LEASE), (), worker
        )
        row = before[target.render_id]
        assert renewed == (row.owner == worker and row.status in RENDER_ACTIVE)
        if renewed:
            assert self.jobs[target.render_id].lease_expires == self.clock.now + LEASE
        else:
            assert self.jobs == before

    @precondition(_any(RENDER_ACTIVE))
    @rule(worker=workers, pick=picks, as_holder=holders)
    def release_render(self, worker: str, pick: int, as_holder: bool) -> None:
        """A worker stopping: the next one takes the job over."""
        target = _target(pick, self.jobs.values(), RENDER_ACTIVE)
        worker = _actor(target, as_holder, worker)
        before, released, moved = self.act(
            self.store.release_render(target.render_id, worker), {"release"}, worker
        )
        row = before[target.render_id]
        assert released == (row.owner == worker and row.status in RENDER.sources("release"))
        assert moved == ([target.render_id] if released else [])

    @precondition(_any({"unconfirmed"}))
    @rule(worker=workers, user=users)
    def resend_render(self, worker: str, user: int) -> None:
        """The user pressed Resend: their latest unconfirmed video is sent again, once."""
        user_id = self.users[user]
        before, job, moved = self.act(
            self.store.resend_render(user_id, worker, LEASE), {"resend"}, worker
        )
        offered = sorted(
            (j for j in before.values() if j.user_id == user_id and j.status == "unconfirmed"),
            key=lambda j: (j.created_at, self.created[j.render_id]),
        )
        assert (None if job is None else job.render_id) == (
            offered[-1].render_id if offered else None
        )
        assert moved == ([job.render_id] if job is not None else [])
        event(f"resend_render: {job is not None}")
        if job is not None:
            assert (job.status, job.owner) == ("delivering", worker)
            self.resent[job.render_id] += 1

    @invariant()
    def promises_hold(self) -> None:
        for job in self.jobs.values():
            assert self.begun[job.render_id] <= 1, job  # sent once, unless the user asks again
            assert self.delivered[job.render_id] <= 1 + self.resent[job.render_id], job
            assert job.delivered == (job.status == "delivered"), job
        self.checked = True

    def drain(self) -> None:
        """A fresh worker takes over what is left: every render ends final."""
        for job in self.take_over(DRAINER):
            if job.status in RENDER.sources("progress"):
                assert self.poll(DRAINER, job.render_id, "completed", 100) is not None
            if self.jobs[job.render_id].status == "completed":
                assert self.send(DRAINER, job.render_id)
                assert self.end(DRAINER, job.render_id, "delivered")
        unfinished = [j for j in self.jobs.values() if j.status not in RENDER_FINAL]
        assert unfinished == []
        self.promises_hold()


# -- the tests ------------------------------------------------------------------------------


def _run(machine: type[StoreMachine], backend: Backend) -> None:
    bound = type(machine.__name__, (machine,), {"backend": backend})
    run_state_machine_as_test(bound, settings=SETTINGS)


def test_inbox_lifecycle_on_sqlite(tmp_path: Path) -> None:
    _run(InboxMachine, SqliteBackend(tmp_path))


def test_render_lifecycle_on_sqlite(tmp_path: Path) -> None:
    _run(RenderMachine, SqliteBackend(tmp_path))


def test_inbox_lifecycle_on_postgres(postgres_server: PostgresServer) -> None:
    _run(InboxMachine, PostgresBackend(postgres_server))


def test_render_lifecycle_on_postgres(postgres_server: PostgresServer) -> None:
    _run(RenderMachine, PostgresBackend(postgres_server))
