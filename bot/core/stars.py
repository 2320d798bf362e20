"""Packs of extra turns, images or exports sold for Telegram Stars (`NEMOBOT_STARS_PACKS`).

A pack is offered when a user's own allowance runs out (buttons under the refusal and under
/credits, where the platform takes payments). The invoice's payload names the buyer and the
pack; the platform's pre-checkout is answered from it at once (`precheck`, no network), and
the payment is credited when its message is accepted (`credit`), keyed by the platform's
charge id, so a payment redelivered, or delivered to another worker, adds its pack once.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core import codec
from bot.core.messages import Payment
from bot.core.outbox import Button, Invoice, Keyboard
from bot.core.texts import t
from bot.logs import pseudonym
from storage import KINDS, Counts, LedgerStore, StarPayment

__all__ = ["CURRENCY", "Pack", "Stars", "parse_packs"]

log = logging.getLogger(__name__)

CURRENCY = "XTR"  # Telegram Stars: the only currency for digital goods
_PAYLOAD = re.compile(r"pack:(\d{1,12}):([a-z]+):(\d{1,6}):(\d{1,6})\Z")
_MAX_STARS = 10_000  # Telegram's largest price in Stars for one item


@dataclass(frozen=True, slots=True)
class Pack:
    """`amount` more of one kind (turns, images, exports) for `stars` Telegram Stars."""

    kind: str
    amount: int
    stars: int

    @property
    def name(self) -> str:
        """How payments name it: "turns:10"."""
        return f"{self.kind}:{self.amount}"

    def what(self, lang: str) -> str:
        """The kind, in words."""
        return t(f"allowance_{self.kind}", lang)

    def payload(self, user_id: int) -> str:
        """The invoice payload: who buys which pack at which price."""
        return f"pack:{user_id}:{self.kind}:{self.amount}:{self.stars}"


def parse_packs(raw: str) -> tuple[Pack, ...]:
    """`kind:amount:stars` separated by commas ("turns:10:50,images:20:100"); ValueError."""
    packs = []
    for part in (p.strip() for p in raw.split(",")):
        kind, _, rest = part.partition(":")
        amount, _, stars = rest.partition(":")
        if kind not in KINDS or not amount.isdigit() or not stars.isdigit():
            raise ValueError(f"expected kind:amount:stars with kind one of {KINDS}, got {part!r}")
        pack = Pack(kind, int(amount), int(stars))
        if not (1 <= pack.amount <= 999_999 and 1 <= pack.stars <= _MAX_STARS):
            raise ValueError(f"amount must be 1-999999 and stars 1-{_MAX_STARS}, got {part!r}")
        packs.append(pack)
    return tuple(packs)


def _read_payload(payload: str) -> tuple[int, Pack] | None:
    found = _PAYLOAD.match(payload)
    if found is None or found[2] not in KINDS:
        return None
    return int(found[1]), Pack(found[2], int(found[3]), int(found[4]))


class Stars:
    """The packs on offer, their invoices, the pre-checkout answer and crediting a payment."""

    def __init__(
        self,
        packs: Sequence[Pack],
        store: LedgerStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.packs = tuple(packs)
        self._store = store
        self._clock = clock

    def on(self, store: LedgerStore) -> Stars:
        """The same packs, crediting through `store` (the accepting thread's twin)."""
        return Stars(self.packs, store, self._clock)

    @property
    def selling(self) -> bool:
        """The operator offers packs."""
        return bool(self.packs)

    def offer(self, user_id: int, kinds: Sequence[str], lang: str) -> Keyboard:
        """A button for each pack of `kinds` (the buttons' ref is the pack's place)."""
        rows = []
        for index, pack in enumerate(self.packs):
            if pack.kind in kinds:
                label = t(
                    "btn_pack", lang, amount=pack.amount, what=pack.what(lang), stars=pack.stars
                )
                rows.append((Button(label, codec.encode("buy", user_id, "", ref=index)),))
        return tuple(rows)

    def invoice(self, index: int, user_id: int, lang: str) -> Invoice | None:
        """The invoice for pack number `index`, or None if there is no such pack now."""
        if not 0 <= index < len(self.packs):
            return None
        pack = self.packs[index]
        what = pack.what(lang)
        return Invoice(
            title=t("invoice_title", lang, amount=pack.amount, what=what),
            description=t("invoice_description", lang, amount=pack.amount, what=what),
            payload=pack.payload(user_id),
            label=t("invoice_title", lang, amount=pack.amount, what=what),
            amount=pack.stars,
        )

    def precheck(self, payer: int, payload: str, currency: str, amount: int) -> bool:
        """May the platform take this payment: our payload, for this payer, a pack on offer
        at its price? (Answered at once: Telegram waits 10 s at most.)"""
        read = _read_payload(payload)
        if read is None or currency != CURRENCY:
            return False
        user_id, pack = read
        return user_id == payer and pack in self.packs and amount == pack.stars

    async def credit(self, user_id: int, payment: Payment) -> bool:
        """Add the paid pack to the payer's extras, once per charge id; False if this charge
        was credited before. A pack that cannot be read is recorded with nothing bought (the
        operator can still refund it)."""
        read = _read_payload(payment.payload)
        pack = read[1] if read is not None and payment.currency == CURRENCY else None
        record = StarPayment(
            charge_id=payment.charge_id,
            user_id=user_id,
            pack=pack.name if pack else "unknown",
            stars=payment.amount,
            bought=Counts.one(pack.kind, pack.amount) if pack else Counts(),
            paid_at=self._clock(),
        )
        if not await self._store.credit_payment(record):
            log.info("payment %s came again; it was credited before", payment.charge_id)
            return False
        log.info(
            "payment %s of user %s credited: %s for %d Stars",
            *(payment.charge_id, pseudonym(user_id), record.pack, record.stars),
        )
        return True
