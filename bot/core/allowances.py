"""Daily allowances on a shared account: checked before the agent is called, counted after.

With `NEMO_TOKEN` set every credit a member spends is the operator's. Each user then has a
day's allowance (UTC) of agent turns, generated images and exports, and the account as a
whole an optional ceiling; a group's admins may also give each member an allowance of turns
in their chat. Operators are exempt. `check` says what ran out before any work starts (so a
refused turn spends nothing), `spend` counts what the work actually produced. The counters
live in the store, shared by every worker, keyed by the day: nothing is deleted at midnight.

Whatever runs work on the shared account (a chat turn, an export, an inline query) asks the
same two questions: build a `Spender`, `check` it, and `spend` afterwards.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from bot.core.texts import how_long, t
from storage import KINDS, Counts, LedgerStore, Quota

__all__ = [
    "EXPORT",
    "TURN",
    "Allowances",
    "Left",
    "Shortfall",
    "Spender",
    "parse_allowance",
    "utc_day",
]

TURN = ("turns", "images")  # a turn needs both: any turn may generate an image
EXPORT = ("exports",)
_UNLIMITED = Quota()
_DAY = 86_400.0


def parse_allowance(raw: str) -> int:
    """A day's allowance as the settings give it: a whole number, 0 or more (ValueError)."""
    if not raw.isascii() or not raw.isdigit():
        raise ValueError(f"expected a whole number (0 or more), got {raw!r}")
    return int(raw)


def utc_day(now: float) -> str:
    """The UTC date of epoch time `now`, as the store keys spending ("2026-12-01")."""
    return dt.datetime.fromtimestamp(now, dt.UTC).date().isoformat()


@dataclass(frozen=True, slots=True)
class Spender:
    """Who is about to spend, and which allowances apply to them.

    `metered`: the work runs on the shared account and they are no operator, so the
    operator's allowances apply. `scope`: a group's key ("telegram:-100…"), where their
    spending is also counted for `member_turns`, the group's own allowance of turns (None:
    the group set none, or they are an operator).
    """

    user_id: int
    metered: bool = True
    scope: str = ""
    member_turns: int | None = None


@dataclass(frozen=True, slots=True)
class Shortfall:
    """What ran out (`kind`: turns, images or exports), whose allowance it was, and when it
    comes back (seconds until midnight UTC)."""

    kind: str
    whose: Literal["user", "chat", "account"]
    limit: int
    resets_in: float

    def line(self, lang: str) -> str:
        """The one line that tells the user."""
        what = t(f"allowance_{self.kind}", lang)
        when = how_long(self.resets_in, lang)
        return t(f"allowance_out_{self.whose}", lang, limit=self.limit, what=what, time=when)


@dataclass(frozen=True, slots=True)
class Left:
    """What a user may still draw on today (None: no limit), bought packs included."""

    turns: int | None
    images: int | None
    exports: int | None
    extras: Counts
    resets_in: float

    def of(self, kind: str) -> int | None:
        """What is left of one kind."""
        value: int | None = getattr(self, kind)
        return value

    def text(self, lang: str) -> str:
        """The lines /credits shows."""
        shown = {
            k: t("allowance_unlimited", lang) if self.of(k) is None else self.of(k) for k in KINDS
        }
        lines = [t("allowance_left", lang, **shown, time=how_long(self.resets_in, lang))]
        if self.extras != Counts():
            extras = self.extras
            lines.append(
                t(
                    "allowance_extras",
                    lang,
                    turns=extras.turns,
                    images=extras.images,
                    exports=extras.exports,
                )
            )
        return "\n".join(lines)


class Allowances:
    """The operator's daily allowances, counted in the store for every worker."""

    def __init__(
        self,
        store: LedgerStore,
        per_user: Quota = _UNLIMITED,
        account: Quota = _UNLIMITED,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._per_user = per_user
        self._account = account
        self._clock = clock

    @property
    def limited(self) -> bool:
        """The operator set an allowance or a ceiling."""
        return not (self._per_user.unlimited and self._account.unlimited)

    def now(self) -> float:
        """The time on the clock the days are counted by (epoch seconds)."""
        return self._clock()

    def day(self) -> str:
        """Today, in UTC."""
        return utc_day(self._clock())

    def resets_in(self) -> float:
        """Seconds until midnight UTC."""
        now = self._clock()
        return _DAY - now % _DAY

    async def check(self, spender: Spender, needs: Iterable[str]) -> Shortfall | None:
        """What of `needs` (`TURN`, `EXPORT`) `spender` has no allowance left for, or None."""
        needs = tuple(needs)
        metered = spender.metered and self.limited
        in_chat = bool(spender.scope) and spender.member_turns is not None and "turns" in needs
        if not (metered or in_chat):
            return None  # nothing to count against: no read at all
        spent = await self._store.spending(self.day(), spender.user_id, spender.scope)
        for kind in needs:
            if metered:
                cap = self._account.of(kind)
                if cap is not None and spent.account.of(kind) >= cap:
                    return Shortfall(kind, "account", cap, self.resets_in())
                allowed = self._per_user.of(kind)
                used = spent.user.of(kind)
                if allowed is not None and _left(allowed, used, spent.extras, kind) <= 0:
                    return Shortfall(kind, "user", allowed, self.resets_in())
            turns = spender.member_turns
            if kind == "turns" and in_chat and turns is not None and spent.chat.turns >= turns:
                return Shortfall(kind, "chat", turns, self.resets_in())
        return None

    async def spend(self, spender: Spender, spent: Counts) -> None:
        """Count what `spender`'s work produced; past their allowance it comes from their packs."""
        if spent == Counts():
            return
        allowed = self._per_user if spender.metered else _UNLIMITED
        await self._store.spend(self.day(), spender.user_id, spender.scope, spent, allowed)

    async def left(self, spender: Spender) -> Left:
        """What `spender` may still draw on today (for /credits)."""
        spent = await self._store.spending(self.day(), spender.user_id)
        found: dict[str, int | None] = {}
        for kind in KINDS:
            allowed = self._per_user.of(kind) if spender.metered else None
            used = spent.user.of(kind)
            found[kind] = None if allowed is None else _left(allowed, used, spent.extras, kind)
        return Left(**found, extras=spent.extras, resets_in=self.resets_in())


def _left(allowed: int, used: int, extras: Counts, kind: str) -> int:
    """The day's allowance not yet used, plus the packs not yet drawn on."""
    return max(0, allowed - used) + extras.of(kind)
