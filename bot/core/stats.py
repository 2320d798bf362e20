"""The figures an operator asks for: `/stats` in a chat and `nemobot stats` in a shell."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Protocol

from bot.core.allowances import utc_day
from bot.core.texts import t
from bot.logs import pseudonym
from bot.nemo import Auth, NemoClient
from bot.nemo.errors import NemoError
from storage import (
    KINDS,
    TERMINAL_RENDER_STATUSES,
    Counts,
    DaySpending,
    LedgerStore,
    OperatorStore,
    StoreStats,
    TopSpender,
)

__all__ = ["FigureStores", "Figures", "gather_figures", "start_of_today"]

_DAYS = 7  # spending is shown for the last week
_TOP = 5


class FigureStores(OperatorStore, LedgerStore, Protocol):
    """The store's counts, and what was spent per day."""


@dataclass(frozen=True, slots=True)
class Figures:
    """The store's counts and the shared token's balance (None without a shared token)."""

    store: StoreStats
    credits: int | None
    credits_error: str | None = None
    days: tuple[DaySpending, ...] = ()  # newest first
    top: tuple[TopSpender, ...] = ()

    def render(self, lang: str = "en") -> str:
        """The figures as the lines `/stats` and `nemobot stats` print."""
        if self.credits_error is not None:
            credits = t("stats_credits_unknown", lang, reason=self.credits_error)
        elif self.credits is None:
            credits = t("stats_credits_none", lang)
        else:
            credits = str(self.credits)
        return "\n".join([self._counts(lang, credits), *self._spending(lang)])

    def _counts(self, lang: str, credits: str) -> str:
        renders = self.store.renders
        active = sum(n for status, n in renders.items() if status not in TERMINAL_RENDER_STATUSES)
        return t(
            "stats",
            lang,
            users=self.store.users,
            turns=self.store.turns_since,
            delivered=renders.get("delivered", 0),
            failed=renders.get("failed", 0) + renders.get("cancelled", 0),
            active=active,
            unconfirmed=renders.get("unconfirmed", 0),
            queued=self.store.queued,
            running=self.store.running,
            inbox=self.store.inbox_rows,
            banned=self.store.banned,
            allowed=self.store.allowed,
            credits=credits,
        )

    def _spending(self, lang: str) -> list[str]:
        """Spending per UTC day, and the top spenders by pseudonym."""
        if not self.days:
            return [t("stats_no_spending", lang)]
        lines = [t("stats_days", lang)]
        for day in self.days:
            lines.append(t("stats_day", lang, day=day.day, users=day.users, **_counts(day.spent)))
        lines.append(t("stats_top", lang))
        for spender in self.top:
            who = pseudonym(spender.user_id)
            lines.append(t("stats_spender", lang, who=who, **_counts(spender.spent)))
        return lines


def start_of_today(now: float | None = None) -> float:
    """Midnight of the current day in the server's time zone, as epoch seconds."""
    moment = dt.datetime.fromtimestamp(time.time() if now is None else now).astimezone()
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _counts(spent: Counts) -> dict[str, int]:
    return {kind: spent.of(kind) for kind in KINDS}


async def gather_figures(
    store: FigureStores,
    nemo: NemoClient | None,
    shared_token: str | None,
    now: float | None = None,
) -> Figures:
    """Count what the store holds and was spent in the week up to `now` (the allowances'
    clock); ask NemoVideo for the shared token's balance if there is one."""
    counts = await store.stats(start_of_today())
    since = utc_day((time.time() if now is None else now) - (_DAYS - 1) * 86_400)
    days = tuple(await store.spending_by_day(since))
    top = tuple(await store.top_spenders(since, _TOP))
    if not shared_token or nemo is None:
        return Figures(counts, None, days=days, top=top)
    try:
        balance = await nemo.credits(Auth(shared_token))
    except NemoError as exc:
        return Figures(counts, None, type(exc).__name__, days, top)
    return Figures(counts, balance.available, days=days, top=top)
