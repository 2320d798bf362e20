"""The figures an operator asks for: `/stats` in a chat and `nemobot stats` in a shell."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from bot.core.texts import t
from bot.nemo import Auth, NemoClient
from bot.nemo.errors import NemoError
from storage import TERMINAL_RENDER_STATUSES, OperatorStore, StoreStats

__all__ = ["Figures", "gather_figures", "start_of_today"]


@dataclass(frozen=True, slots=True)
class Figures:
    """The store's counts and the shared token's balance (None without a shared token)."""

    store: StoreStats
    credits: int | None
    credits_error: str | None = None

    def render(self, lang: str = "en") -> str:
        """The figures as the lines `/stats` and `nemobot stats` print."""
        renders = self.store.renders
        active = sum(n for status, n in renders.items() if status not in TERMINAL_RENDER_STATUSES)
        if self.credits_error is not None:
            credits = t("stats_credits_unknown", lang, reason=self.credits_error)
        elif self.credits is None:
            credits = t("stats_credits_none", lang)
        else:
            credits = str(self.credits)
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


def start_of_today(now: float | None = None) -> float:
    """Midnight of the current day in the server's time zone, as epoch seconds."""
    moment = dt.datetime.fromtimestamp(time.time() if now is None else now).astimezone()
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


async def gather_figures(
    store: OperatorStore, nemo: NemoClient | None, shared_token: str | None
) -> Figures:
    """Count what the store holds; ask NemoVideo for the shared token's balance if there is one."""
    counts = await store.stats(start_of_today())
    if not shared_token or nemo is None:
        return Figures(counts, None)
    try:
        balance = await nemo.credits(Auth(shared_token))
    except NemoError as exc:
        return Figures(counts, None, type(exc).__name__)
    return Figures(counts, balance.available)
