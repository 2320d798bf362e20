"""The allowance, payment and chat-settings operations of both stores (policy: `storage.ledger`).

A store class mixes this in beside `InboxOps` and provides its dialect's `_LEDGER_SQL`.
"""

from __future__ import annotations

from . import ledger
from ._ops import _Runner
from .queries import Dialect
from .records import (
    ChatSettings,
    Counts,
    DaySpending,
    Quota,
    Spending,
    StarPayment,
    TopSpender,
)

__all__ = ["LedgerOps"]

_UNLIMITED = Quota()


class LedgerOps(_Runner):
    """Daily spending, Stars payments and the extras they bought, and chat settings."""

    _LEDGER_SQL: Dialect

    async def spend(
        self, day: str, user_id: int, scope: str, spent: Counts, allowed: Quota = _UNLIMITED
    ) -> None:
        """Count what a user spent on `day` (and in chat `scope`); past `allowed`, from extras."""
        await self._transact(self._LEDGER_SQL, ledger.spend(day, user_id, scope, spent, allowed))

    async def spending(self, day: str, user_id: int, scope: str = "") -> Spending:
        """The user's spending on `day` (also in `scope`), everyone's, and their extras."""
        return await self._look(self._LEDGER_SQL, ledger.spending(day, user_id, scope))

    async def credit_payment(self, payment: StarPayment) -> bool:
        """Record a payment and add its pack; False if its charge id was credited before."""
        return await self._transact(self._LEDGER_SQL, ledger.credit(payment))

    async def refund_payment(self, charge_id: str) -> StarPayment | None:
        """Mark a payment refunded, taking back what is left of its pack; None if unknown or
        refunded before."""
        return await self._transact(self._LEDGER_SQL, ledger.refund(charge_id, self._now()))

    async def payment(self, charge_id: str) -> StarPayment | None:
        """One payment by its Telegram charge id."""
        return await self._look(self._LEDGER_SQL, ledger.find_payment(charge_id))

    async def spending_by_day(self, since: str) -> list[DaySpending]:
        """Everyone's spending per UTC day from `since` ('YYYY-MM-DD') on, newest first."""
        return await self._look(self._LEDGER_SQL, ledger.spending_by_day(since))

    async def top_spenders(self, since: str, limit: int = 5) -> list[TopSpender]:
        """Who spent most from `since` on, images first."""
        return await self._look(self._LEDGER_SQL, ledger.top_spenders(since, limit))

    async def chat_settings(self, platform: str, space: str) -> ChatSettings | None:
        """A group's or server's settings, or None if none were ever set."""
        return await self._look(self._LEDGER_SQL, ledger.chat_settings(platform, space))

    async def save_chat_settings(self, settings: ChatSettings) -> None:
        """Store a group's or server's settings (replacing the old ones)."""
        await self._transact(self._LEDGER_SQL, ledger.save_chat_settings(settings))
