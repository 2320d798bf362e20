"""Telegram Stars and chat administrators: sendInvoice, the pre-checkout a bot must answer
within 10 s, the payment's message, refundStarPayment, getChatMember(s)/getChatAdministrators.

As the Bot API documents it (https://core.telegram.org/bots/payments-stars): digital goods
are sold in Stars, currency "XTR", with no payment provider and exactly one price; the user
pays an invoice, the bot gets a `pre_checkout_query` and must answer it within 10 seconds,
and only after an `ok` answer does the payment go through and a message with
`successful_payment` (carrying `telegram_payment_charge_id`) reach the bot.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import errors
from .errors import ApiError
from .limits import validate_reply_markup
from .models import JSON, Chat
from .registry import api_method

if TYPE_CHECKING:
    from .chats import ChatStore
    from .emulator import BotApiEmulator
    from .options import EmulatorOptions
    from .request import Params
    from .updates import Notifier, UpdateQueue

PRE_CHECKOUT_SECONDS = 10.0
STARS = "XTR"
_CHARGES = itertools.count(1)
_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


@dataclass
class Checkout:
    """A pre-checkout query the emulator sent, and what became of it."""

    id: str
    chat_id: int
    user_id: int
    currency: str
    total_amount: int
    payload: str
    created: float
    answered: bool = False
    ok: bool | None = None
    error_message: str | None = None
    delay: float | None = None
    charge_id: str | None = None  # set once paid


@dataclass
class StarCharge:
    """A Stars payment that went through."""

    charge_id: str
    user_id: int
    amount: int
    payload: str
    refunded: bool = False


def _invoice_of(p: Params) -> JSON:
    """The invoice of a sendInvoice request, checked as Telegram checks a Stars invoice."""
    title, description = p.string("title") or "", p.string("description") or ""
    payload = p.string("payload") or ""
    if not 1 <= len(title) <= 32:
        raise errors.bad_request("INVOICE_TITLE_INVALID" if title else "title is empty")
    if not 1 <= len(description) <= 255:
        raise errors.bad_request("INVOICE_DESCRIPTION_INVALID")
    if not 1 <= len(payload.encode()) <= 128:
        raise errors.bad_request("INVOICE_PAYLOAD_INVALID")
    if p.string("currency") != STARS or p.string("provider_token"):
        raise errors.bad_request("digital goods must be sold in Telegram Stars (XTR)")
    prices = p.json("prices")
    if not isinstance(prices, list) or len(prices) != 1 or not isinstance(prices[0], dict):
        raise errors.bad_request("STARS_INVOICE_INVALID: exactly one price is allowed")
    amount = prices[0].get("amount")
    if not isinstance(amount, int) or not 1 <= amount <= 10_000:
        raise errors.bad_request("STARS_INVOICE_INVALID: the amount must be 1-10000")
    return {
        "title": title,
        "description": description,
        "start_parameter": p.string("start_parameter") or "",
        "currency": STARS,
        "total_amount": amount,
        "payload": payload,
    }


@api_method("sendInvoice")
async def send_invoice(emu: BotApiEmulator, p: Params) -> Any:
    """An invoice message the user can pay."""
    chat = emu.chats.require(p.json("chat_id"))
    invoice = _invoice_of(p)
    payload = invoice.pop("payload")
    emu.limits.acquire(chat, "sendInvoice")
    message = emu.chats.add_message(
        chat,
        outgoing=True,
        kind="invoice",
        reply_markup=validate_reply_markup(p.json("reply_markup")),
        message_thread_id=p.integer("message_thread_id"),
        method="sendInvoice",
        raw_params=p.summary(),
        extra={"invoice": invoice},
    )
    emu.invoice_payloads[(chat.id, message.message_id)] = payload
    return emu.chats.message_json(message)


@api_method("answerPreCheckoutQuery")
async def answer_pre_checkout_query(emu: BotApiEmulator, p: Params) -> bool:
    """Within 10 s, once; an `ok` answer completes the payment (its message follows)."""
    checkout = emu.checkouts.get(p.string("pre_checkout_query_id") or "")
    now = time.monotonic()
    late = checkout is not None and now - checkout.created > PRE_CHECKOUT_SECONDS
    if checkout is None or checkout.answered or late:
        raise ApiError(400, errors.QUERY_TOO_OLD)
    ok = p.flag("ok")
    message = p.string("error_message")
    if not ok and not message:
        raise errors.bad_request("ERROR_MESSAGE_EMPTY")
    checkout.answered, checkout.ok, checkout.error_message = True, ok, message
    checkout.delay = now - checkout.created
    if ok:
        emu.complete_payment(checkout)
    return True


@api_method("refundStarPayment")
async def refund_star_payment(emu: BotApiEmulator, p: Params) -> bool:
    """Give a user's Stars back, once."""
    charge = emu.star_charges.get(p.string("telegram_payment_charge_id") or "")
    if charge is None or charge.user_id != p.integer("user_id"):
        raise errors.bad_request("CHARGE_NOT_FOUND")
    if charge.refunded:
        raise errors.bad_request("CHARGE_ALREADY_REFUNDED")
    emu.refund_charge(charge)
    return True


def _member(emu: BotApiEmulator, chat: Chat, user_id: int) -> JSON:
    user = dict(emu.chats.user(user_id)) if user_id != emu.bot_user["id"] else emu.bot_user
    status = emu.chat_roles.get(chat.id, {}).get(user_id, "member")
    member: JSON = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update({"can_be_edited": False, "is_anonymous": False})
        member.update({right: True for right in _RIGHTS})
        member["can_promote_members"] = False
    return member


def _group(emu: BotApiEmulator, p: Params) -> Chat:
    chat = emu.chats.require(p.json("chat_id"))
    if chat.type == "private":
        raise errors.bad_request("there are no administrators in the private chat")
    return chat


@api_method("getChatAdministrators")
async def get_chat_administrators(emu: BotApiEmulator, p: Params) -> list[JSON]:
    """The group's creator and administrators."""
    chat = _group(emu, p)
    roles = emu.chat_roles.get(chat.id, {})
    return [_member(emu, chat, user_id) for user_id in roles]


@api_method("getChatMember")
async def get_chat_member(emu: BotApiEmulator, p: Params) -> JSON:
    """One member of a chat, with their status."""
    chat = emu.chats.require(p.json("chat_id"))
    user_id = p.integer("user_id")
    if user_id is None:
        raise errors.bad_request("user_id is empty")
    return _member(emu, chat, user_id)


class PaymentSide:
    """Mixin of BotApiEmulator: users paying invoices, and who administers a group."""

    options: EmulatorOptions
    notifier: Notifier
    chats: ChatStore
    updates: UpdateQueue
    invoice_payloads: dict[tuple[int, int], str]
    checkouts: dict[str, Checkout]
    star_charges: dict[str, StarCharge]
    chat_roles: dict[int, dict[int, str]]

    def set_admins(self, chat_id: int, admins: list[int], creator: int | None = None) -> None:
        """Who administers a group (getChatAdministrators, getChatMember)."""
        roles = {user_id: "administrator" for user_id in admins}
        if creator is not None:
            roles = {creator: "creator", **roles}
        self.chat_roles[chat_id] = roles
        self.notifier.notify()

    def pay_invoice(self, chat_id: int, user_id: int, message_id: int) -> Checkout:
        """The user taps Pay on the bot's invoice: the bot gets a pre_checkout_query."""
        payload = self.invoice_payloads.get((chat_id, message_id))
        message = self.chats.get(chat_id, message_id)
        if payload is None or message is None:
            raise ValueError(f"no invoice {message_id} in chat {chat_id}")
        invoice = message.extra["invoice"]
        query_id = str(7_000_000_000 + len(self.checkouts) + 1)
        checkout = Checkout(
            *(query_id, chat_id, user_id, invoice["currency"], invoice["total_amount"]),
            *(payload, time.monotonic()),
        )
        self.checkouts[query_id] = checkout
        self.deliver(
            {
                "pre_checkout_query": {
                    "id": query_id,
                    "from": dict(self.chats.user(user_id)),
                    "currency": checkout.currency,
                    "total_amount": checkout.total_amount,
                    "invoice_payload": payload,
                }
            }
        )
        return checkout

    def refund_charge(self, charge: StarCharge) -> JSON:
        """The Stars go back (by the bot, or by Telegram's support): the service message
        about it reaches the bot, in the private chat with the payer."""
        charge.refunded = True
        chat = self.chats.chats.get(charge.user_id) or self.chats.add_chat(
            Chat(id=charge.user_id, type="private", user=self.chats.user(charge.user_id))
        )
        refunded = {
            "currency": STARS,
            "total_amount": charge.amount,
            "invoice_payload": charge.payload,
            "telegram_payment_charge_id": charge.charge_id,
        }
        message = self.chats.add_message(
            chat,
            outgoing=False,
            kind="refunded_payment",
            from_user=dict(self.chats.user(charge.user_id)),
            extra={"refunded_payment": refunded},
        )
        return self.deliver({"message": self.chats.message_json(message)})

    def complete_payment(self, checkout: Checkout) -> JSON:
        """The payment went through: the message with `successful_payment` reaches the bot."""
        charge_id = f"stxEmu{next(_CHARGES):08d}"
        checkout.charge_id = charge_id
        self.star_charges[charge_id] = StarCharge(
            charge_id, checkout.user_id, checkout.total_amount, checkout.payload
        )
        chat = self.chats.chats[checkout.chat_id]
        paid = {
            "currency": checkout.currency,
            "total_amount": checkout.total_amount,
            "invoice_payload": checkout.payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": "",
        }
        message = self.chats.add_message(
            chat,
            outgoing=False,
            kind="successful_payment",
            from_user=dict(self.chats.user(checkout.user_id)),
            extra={"successful_payment": paid},
        )
        return self.deliver({"message": self.chats.message_json(message)})

    if TYPE_CHECKING:

        def deliver(self, update: JSON) -> JSON: ...  # UserSide's
