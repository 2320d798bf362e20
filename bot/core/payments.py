"""Telegram Stars packs in the chat: the ⭐ buttons' invoices, the thanks for a payment,
/paysupport, and the operators' /refund.

A payment is credited when its message is accepted (`bot.core.reception`), keyed by its
charge id; `paid` only thanks the payer for what was stored.
"""

from __future__ import annotations

import logging

from bot.core.admin import is_operator_here, not_here
from bot.core.commands import Handlers
from bot.core.context import TurnContext
from bot.core.intents import Intent
from bot.core.messages import IncomingMessage
from bot.core.outbox import OutboxError, PaymentOutbox
from bot.core.registry import Router
from bot.core.texts import t
from bot.logs import pseudonym
from storage import KINDS, StarPayment

__all__ = ["router"]

log = logging.getLogger(__name__)

_ALREADY_REFUNDED = "charge_already_refunded"  # Telegram's word for a second refund


async def buy(h: Handlers, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
    """⭐ A pack's button: its invoice, in Stars."""
    ref = intent.button.ref if intent.button else None
    invoice = h.stars.invoice(ref, ctx.user_id, ctx.lang) if ref is not None else None
    if invoice is None:
        await h.reply(ctx, "pack_gone")
        return
    if not ctx.pacer.takes_payments:
        await h.reply(ctx, "payments_unavailable")
        return
    await ctx.pacer.send_invoice(ctx.chat, invoice)


async def paid(h: Handlers, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
    """A payment arrived (credited when it was accepted): thank the payer for what it added."""
    payment = await h.store.payment(intent.arg)
    kind = next((k for k in KINDS if payment and payment.bought.of(k)), None)
    if payment is None or kind is None:
        await h.reply(ctx, "paid_unknown")
        return
    what = t(f"allowance_{kind}", ctx.lang)
    await h.reply(ctx, "paid", amount=payment.bought.of(kind), what=what)


async def paysupport(h: Handlers, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
    """How to get help with a payment (Telegram asks every bot that sells for this)."""
    await h.reply(ctx, "paysupport" if h.stars.selling else "paysupport_off")


async def refund(h: Handlers, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
    """Operators: give a payment back, and take back what is left of its pack."""
    if not is_operator_here(ctx, msg):
        await not_here(h, ctx, msg, "refund")
        return
    charge = intent.arg.strip()
    payment = await h.store.payment(charge) if charge and " " not in charge else None
    if not charge or " " in charge:
        await h.reply(ctx, "refund_usage")
    elif payment is None:
        await h.reply(ctx, "refund_unknown", charge=charge)
    elif payment.refunded_at is not None:
        await h.reply(ctx, "refund_already", charge=charge)
    else:
        await _give_back(h, ctx, payment)


async def _give_back(h: Handlers, ctx: TurnContext, payment: StarPayment) -> None:
    """Ask the platform to refund, then mark it (a refund the platform made before counts)."""
    user = await h.store.get_user(payment.user_id)
    pacer = h.platforms.get(user.platform) if user is not None else None
    outbox = pacer.outbox if pacer is not None else None
    if user is None or not isinstance(outbox, PaymentOutbox):
        await h.reply(ctx, "refund_failed", reason="Telegram is not connected here")
        return
    try:
        await outbox.refund(user.platform_user_id, payment.charge_id)
    except OutboxError as exc:
        if _ALREADY_REFUNDED not in str(exc).lower():  # refunded outside the bot: mark it
            await h.reply(ctx, "refund_failed", reason=str(exc))
            return
    await h.store.refund_payment(payment.charge_id)
    who = pseudonym(user.id)
    log.info("payment %s of user %s refunded by an operator", payment.charge_id, who)
    await h.reply(ctx, "refund_done", stars=payment.stars, charge=payment.charge_id, who=who)


def router(*, selling: bool = False) -> Router:
    """The payment intents; /paysupport is listed only while packs are on offer."""
    r = Router("payments")
    if selling:
        r.side("paysupport", paysupport, command=True)
    r.side("buy", buy, buttons=("buy",))
    r.side("paid", paid)
    r.side("refund", refund, operator=True)
    return r
