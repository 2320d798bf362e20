"""Allowances, Stars payments and chat settings: policies written once for both databases.

Spending is counted per UTC day (the caller names the day), so a new day starts from zero
with nothing deleted. What a user spends beyond their day's allowance is drawn from the
extras they bought, in the same transaction. A payment is credited once: its Telegram
charge id is the key, and crediting is the insert of that key with the extras it adds. A
refund takes back what is left of the pack, once.
"""

from __future__ import annotations

import json

from ._rows import Row
from .queries import Policy, nothing, row, rows, value
from .records import (
    KINDS,
    ChatSettings,
    Counts,
    DaySpending,
    Quota,
    Spending,
    StarPayment,
    TopSpender,
)

__all__ = [
    "chat_settings",
    "credit",
    "find_payment",
    "refund",
    "save_chat_settings",
    "spend",
    "spending",
    "spending_by_day",
    "top_spenders",
]


def _counts(found: Row | None) -> Counts:
    if found is None:
        return Counts()
    return Counts(int(found["turns"] or 0), int(found["images"] or 0), int(found["exports"] or 0))


def _beyond(before: int, added: int, allowed: int | None) -> int:
    """How much of `added` falls past the day's allowance (drawn from the extras)."""
    if allowed is None or added <= 0:
        return 0
    return max(0, before + added - allowed) - max(0, before - allowed)


def spend(day: str, user_id: int, scope: str, spent: Counts, allowed: Quota) -> Policy[None]:
    """Count `spent` for the user's day (and, with a `scope`, their day in that chat); what
    goes past `allowed` comes out of their extras."""
    yield nothing("lock_user", user_id)  # one user's spending adds up across workers
    before = _counts((yield row("day_row", day, "", user_id)))
    yield nothing("add_day", day, "", user_id, spent.turns, spent.images, spent.exports)
    if scope:
        yield nothing("add_day", day, scope, user_id, spent.turns, spent.images, spent.exports)
    drawn = [_beyond(before.of(k), spent.of(k), allowed.of(k)) for k in KINDS]
    if any(drawn):
        yield nothing("use_extras", *drawn, user_id)


def spending(day: str, user_id: int, scope: str) -> Policy[Spending]:
    """The user's day, their day in `scope` ('' for none), everyone's day, their extras."""
    user = _counts((yield row("day_row", day, "", user_id)))
    chat = _counts((yield row("day_row", day, scope, user_id))) if scope else Counts()
    account = _counts((yield row("account_day", day)))
    extras = _counts((yield row("extras_row", user_id)))
    return Spending(user, chat, account, extras)


def credit(payment: StarPayment) -> Policy[bool]:
    """Record a payment and add its pack to the payer's extras; False if it was known."""
    bought = payment.bought
    inserted = yield value(
        "insert_payment",
        *(payment.charge_id, payment.user_id, payment.pack, payment.stars),
        *(bought.turns, bought.images, bought.exports, payment.paid_at),
    )
    if inserted is None:
        return False
    yield nothing("add_extras", payment.user_id, bought.turns, bought.images, bought.exports)
    return True


def refund(charge_id: str, now: float) -> Policy[StarPayment | None]:
    """Mark a payment refunded and take back what is left of its pack; None if it is
    unknown or was refunded already."""
    found = yield row("claim_refund", now, charge_id)
    if found is None:
        return None
    payment = _payment(found)
    yield nothing("lock_user", payment.user_id)
    bought = payment.bought
    yield nothing("use_extras", bought.turns, bought.images, bought.exports, payment.user_id)
    return payment


def find_payment(charge_id: str) -> Policy[StarPayment | None]:
    """One payment by its charge id."""
    found = yield row("find_payment", charge_id)
    return None if found is None else _payment(found)


def _payment(found: Row) -> StarPayment:
    return StarPayment(
        charge_id=found["charge_id"],
        user_id=int(found["user_id"]),
        pack=found["pack"],
        stars=int(found["stars"]),
        bought=_counts(found),
        paid_at=float(found["paid_at"]),
        refunded_at=found["refunded_at"],
    )


def spending_by_day(since: str) -> Policy[list[DaySpending]]:
    """Everyone's spending on each day from `since` on, newest first."""
    found = yield rows("days", since)
    return [DaySpending(r["day"], _counts(r), int(r["users"])) for r in found]


def top_spenders(since: str, limit: int) -> Policy[list[TopSpender]]:
    """The users who spent most from `since` on (images first: they cost credits)."""
    found = yield rows("top_spenders", since, limit)
    return [TopSpender(int(r["user_id"]), _counts(r)) for r in found]


def chat_settings(platform: str, space: str) -> Policy[ChatSettings | None]:
    """A chat's (or server's) settings, or None while its admins never set any."""
    found = yield row("chat_settings", platform, space)
    if found is None:
        return None
    return ChatSettings(
        platform=found["platform"],
        space=found["space"],
        access=found["access"],
        language=found["language"],
        quiet=bool(found["quiet"]),
        member_turns=found["member_turns"],
        channels=tuple(str(c) for c in json.loads(found["channels"] or "[]")),
        set_by=found["set_by"],
        set_at=float(found["set_at"]),
    )


def save_chat_settings(settings: ChatSettings) -> Policy[None]:
    """Store a chat's settings whole (replacing what was there)."""
    yield nothing(
        "save_chat_settings",
        *(settings.platform, settings.space, settings.access, settings.language),
        *(settings.quiet, settings.member_turns, json.dumps(list(settings.channels))),
        *(settings.set_by, settings.set_at),
    )
