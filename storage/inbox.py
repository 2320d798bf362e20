"""The inbox's policy, written once for both databases (see `storage/lifecycle.py`).

Accepting: dedupe by platform update id → per-user rate → a repeated button press → the
queue limit → insert → place in line. Claiming: per user, only the line's head (the oldest
item not yet final) may be worked on; a queued head is claimed, a head whose lease ran out
is taken over as the lifecycle says (run again if it never reached the agent, else report
it), and nothing behind it moves until it is final. Every transition is one guarded update:
it names the states it may start from and, for a holder's move, the owner.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Literal

from ._rows import RATE_WINDOW_SECONDS, THROTTLED_KIND, item_of, user_of
from .lifecycle import INBOX, ITEM_ACTIVE
from .queries import Policy, count, nothing, row, rows, value
from .records import Enqueued, InboxItem, UserRecord

__all__ = [
    "REPEATED_KIND",
    "AcceptRules",
    "Claim",
    "NewItem",
    "Newcomer",
    "accept",
    "add_user",
    "cancel_user",
    "claim_next",
    "claim_side",
    "finish",
    "lease_until",
]

REPEATED_KIND = "repeated"  # the row that keeps a repeated press's update id (never served)
Lane = Literal["line", "side"]


def lease_until(now: float, lease_seconds: float) -> float:
    """The expiry time of a lease taken at `now`."""
    if lease_seconds <= 0:
        raise ValueError(f"lease_seconds must be positive, got {lease_seconds!r}")
    return now + lease_seconds


@dataclass(frozen=True, slots=True)
class Newcomer:
    """A sender with no user row yet: one is made in the write that stores the message."""

    platform: str
    platform_user_id: str
    language: str


@dataclass(frozen=True, slots=True)
class NewItem:
    """A message to accept: where it came from, who sent it, what it is (decided once).

    `user_id` is 0 when `newcomer` names a sender whose row is made with the message: a
    first message then costs one write, not two.
    """

    platform: str
    update_id: str
    user_id: int
    chat: str  # a ChatRef as JSON
    kind: str
    intent: str  # the decided intent as JSON
    payload: str  # the message as JSON
    lane: Lane = "line"
    group: str | None = None  # an album's key
    press_key: str | None = None  # a button press: the same press pending is dropped
    newcomer: Newcomer | None = None


@dataclass(frozen=True, slots=True)
class AcceptRules:
    """Limits checked while accepting; None means no limit."""

    limit: int | None = None  # line messages a user may have waiting
    per_minute: int | None = None  # messages a user may send a minute (counted here)
    owner: str | None = None  # store a side message already claimed by this worker
    lease_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed line item and what its new holder must do: "run" it or "report" it."""

    item: InboxItem
    action: Literal["run", "report"]


def _expired(item: InboxItem, now: float) -> bool:
    return item.lease_expires is None or item.lease_expires <= now


def accept(new: NewItem, rules: AcceptRules, now: float) -> Policy[Enqueued]:
    """Store `new` once per (platform, update id), within the user's limits (making its
    sender's row first if `new.newcomer` names one: `Enqueued.user` then has it)."""
    if rules.owner is not None and new.lane != "side":
        raise ValueError("only side-lane messages are stored already claimed")
    if new.newcomer is None:
        return (yield from _accept(new, rules, now))
    user = yield from add_user(new.newcomer, now)
    placed = yield from _accept(replace(new, user_id=user.id, newcomer=None), rules, now)
    return replace(placed, user=user)


def add_user(sender: Newcomer, now: float) -> Policy[UserRecord]:
    """The sender's row, made (in their language) the first time."""
    yield nothing("add_user", sender.platform, sender.platform_user_id, sender.language, now)
    found = yield row("user_by_key", sender.platform, sender.platform_user_id)
    return user_of(found)


def _accept(new: NewItem, rules: AcceptRules, now: float) -> Policy[Enqueued]:
    yield nothing("lock_user_wait", new.user_id)  # the limits hold across workers
    seen = yield row("find_update", new.platform, new.update_id)
    if seen is not None:
        place = yield from _place(seen["id"], seen["user_id"], seen["status"], seen["lane"])
        return Enqueued(seen["id"], place, duplicate=True)
    refused = yield from _refusal(new, rules, now)
    if refused is not None:
        return refused
    leased = rules.owner is not None
    status = "claimed" if leased else "queued"
    expires = lease_until(now, rules.lease_seconds) if leased else None
    new_id = yield value(
        "insert_item",
        *(new.platform, new.update_id, new.user_id, new.chat, new.kind, new.intent),
        *(new.payload, now, new.lane, new.group, status, rules.owner, expires, new.press_key),
    )
    if new_id is None:  # another worker stored the same update a moment ago
        other = yield value("find_update_id", new.platform, new.update_id)
        return Enqueued(int(other), 0, duplicate=True)
    if not leased:
        target = new.user_id if new.lane == "line" else new_id
        yield nothing("announce", f"{new.lane}:{new.platform}:{target}")
    place = yield from _place(new_id, new.user_id, status, new.lane)
    return Enqueued(int(new_id), place, duplicate=False)


def _refusal(new: NewItem, rules: AcceptRules, now: float) -> Policy[Enqueued | None]:
    """Why `new` is not stored as work (throttled, a repeated press, a full line), or None."""
    if rules.per_minute is not None:
        counts = yield row("rate_counts", new.user_id, now - RATE_WINDOW_SECONDS)
        if counts[0] >= rules.per_minute:
            yield from _keep_update_id(new, THROTTLED_KIND, now)
            return Enqueued(0, 0, duplicate=False, throttled=True, first_refusal=counts[1] == 0)
    if new.press_key is not None:
        pending = yield value("pending_press", new.user_id, new.press_key)
        if pending is not None:
            yield from _keep_update_id(new, REPEATED_KIND, now)
            return Enqueued(int(pending), 0, duplicate=False, repeat=True)
    if rules.limit is not None and new.lane == "line":
        waiting = yield value("waiting", new.user_id)
        if waiting >= rules.limit:
            return Enqueued(0, 0, duplicate=False, refused=True)
    return None


def _keep_update_id(new: NewItem, kind: str, now: float) -> Policy[None]:
    """A refused message keeps only its update id, so a redelivery stays refused."""
    yield nothing("insert_refused", new.platform, new.update_id, new.user_id, new.chat, kind, now)


def _place(item_id: int, user_id: int, status: str, lane: str) -> Policy[int]:
    """Place in the user's line: 1 runs next, 0 when not waiting in the line."""
    if status != "queued" or lane != "line":
        return 0
    ahead = yield value("ahead", user_id, item_id)
    return int(ahead) + 1


def claim_next(user_id: int, owner: str, lease_seconds: float, now: float) -> Policy[Claim | None]:
    """The user's line head for `owner`: claimed, taken over, or None while it is held."""
    mine = yield value("lock_user_skip", user_id)
    if mine is None:  # another worker is claiming for this user right now
        return None
    found = yield row("line_head", user_id)
    if found is None:
        return None
    head = item_of(found)
    expires = lease_until(now, lease_seconds)
    if head.status == "queued":
        taken = yield row("claim_queued", owner, expires, head.id)
    elif head.status in ITEM_ACTIVE and _expired(head, now):
        target = INBOX.target("takeover", head.status)
        taken = yield row("take_over", target, owner, expires, head.id, head.status, now)
    else:
        return None
    if taken is None:
        return None
    item = item_of(taken)
    return Claim(item, "run" if item.status == "claimed" else "report")


def claim_side(
    item_id: int, owner: str, lease_seconds: float, now: float
) -> Policy[InboxItem | None]:
    """A side message for `owner`: queued, or claimed by a worker whose lease ran out."""
    taken = yield row("claim_side", owner, lease_until(now, lease_seconds), item_id, now)
    return None if taken is None else item_of(taken)


def finish(
    item_id: int, owner: str, move: Literal["finish", "fail", "report"], scrub: bool, now: float
) -> Policy[bool]:
    """End `owner`'s item by `move`; `scrub` erases its text (a token) in the same step."""
    sources = list(INBOX.sources(move))
    target = INBOX.target(move, sources[0])
    changed = yield count("finish", target, now, item_id, owner, sources)
    if changed and scrub:
        yield nothing("scrub", item_id)
    return bool(changed)


def cancel_user(user_id: int, now: float) -> Policy[tuple[int, InboxItem | None]]:
    """/cancel: the user's queued messages dropped and their line's active one ended."""
    dropped = yield count("cancel_queued", user_id, now)
    stopped = yield row("cancel_active", user_id, now, list(INBOX.sources("cancel")))
    return int(dropped), None if stopped is None else item_of(stopped)


def users_with_work(platforms: Collection[str], now: float) -> Policy[list[int]]:
    """Users whose line has a queued head or one whose holder's lease ran out."""
    found = yield rows("users_with_work", list(platforms), now)
    return [r[0] for r in found]


def side_items(platforms: Collection[str], now: float) -> Policy[list[int]]:
    """Side messages waiting (or left by a worker whose lease ran out), oldest first."""
    found = yield rows("side_items", list(platforms), now)
    return [r[0] for r in found]


def one_change(name: str, *args: object) -> Policy[bool]:
    """A single guarded update: True if it changed exactly one row."""
    changed = yield count(name, *args)
    return bool(changed == 1)


def absorb_group(item_id: int, user_id: int, group: str, now: float) -> Policy[list[InboxItem]]:
    """The user's other queued parts of album `group`, folded into item `item_id` (done)."""
    found = yield rows("absorb_group", now, user_id, group, item_id)
    return sorted((item_of(r) for r in found), key=lambda item: item.id)


def resend(item_id: int, user_id: int, now: float) -> Policy[InboxItem | None]:
    """A reported item the user asked to send again (once): reported → resent."""
    found = yield row("resend", now, item_id, user_id)
    return None if found is None else item_of(found)


def get_item(item_id: int) -> Policy[InboxItem | None]:
    """One item by id."""
    found = yield row("get_item", item_id)
    return None if found is None else item_of(found)


def changed(name: str, *args: object) -> Policy[int]:
    """Run one statement; how many rows it changed."""
    found = yield count(name, *args)
    return int(found)
