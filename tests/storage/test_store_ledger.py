"""The ledger on both stores: daily spending, extras bought with Stars, refunds, chat settings."""

from __future__ import annotations

from storage import ChatSettings, Counts, Quota, StarPayment, Store, UserRecord

DAY = "2026-12-01"
NEXT_DAY = "2026-12-02"


def pack(charge: str, user: UserRecord, turns: int = 10) -> StarPayment:
    return StarPayment(charge, user.id, f"turns:{turns}", 50, Counts(turns=turns), 1.0)


async def test_spending_adds_up_per_day_and_a_new_day_starts_from_zero(
    store: Store, user: UserRecord, other_user: UserRecord
) -> None:
    await store.spend(DAY, user.id, "", Counts(turns=1, images=2))
    await store.spend(DAY, user.id, "telegram:-5", Counts(turns=1))
    await store.spend(DAY, other_user.id, "", Counts(exports=1))
    today = await store.spending(DAY, user.id, "telegram:-5")
    assert today.user == Counts(turns=2, images=2)
    assert today.chat == Counts(turns=1)
    assert today.account == Counts(turns=2, images=2, exports=1)
    tomorrow = await store.spending(NEXT_DAY, user.id, "telegram:-5")
    assert tomorrow.user == tomorrow.chat == tomorrow.account == Counts()
    # The day before is still there: nothing was deleted to reset.
    days = await store.spending_by_day("2026-11-01")
    assert [(d.day, d.spent, d.users) for d in days] == [
        (DAY, Counts(turns=2, images=2, exports=1), 2)
    ]
    top = await store.top_spenders(DAY, 1)
    assert [(s.user_id, s.spent) for s in top] == [(user.id, Counts(turns=2, images=2))]


async def test_a_payment_is_credited_once_and_drawn_on_past_the_allowance(
    store: Store, user: UserRecord
) -> None:
    assert await store.credit_payment(pack("ch-1", user))
    assert not await store.credit_payment(pack("ch-1", user))  # redelivered: nothing more
    assert (await store.spending(DAY, user.id)).extras == Counts(turns=10)
    allowed = Quota(turns=2)
    for _ in range(3):
        await store.spend(DAY, user.id, "", Counts(turns=1), allowed)
    # Two turns were the day's own; the third came out of the pack.
    assert (await store.spending(DAY, user.id)).extras == Counts(turns=9)


async def test_a_refund_takes_back_what_is_left_of_the_pack_once(
    store: Store, user: UserRecord
) -> None:
    assert await store.credit_payment(pack("ch-3", user, turns=5))
    assert await store.credit_payment(pack("ch-4", user, turns=5))
    for _ in range(7):  # no allowance: every turn past zero comes from the extras
        await store.spend(DAY, user.id, "", Counts(turns=1), Quota(turns=0))
    refunded = await store.refund_payment("ch-3")
    assert refunded is not None and refunded.bought == Counts(turns=5)
    assert (await store.spending(DAY, user.id)).extras == Counts()  # 3 were left: all gone
    assert await store.refund_payment("ch-3") is None  # once
    assert await store.refund_payment("unknown") is None
    found = await store.payment("ch-3")
    assert found is not None and found.refunded_at is not None
    other = await store.payment("ch-4")
    assert other is not None and other.refunded_at is None


async def test_chat_settings_are_stored_whole_and_replaced(store: Store) -> None:
    assert await store.chat_settings("discord", "42") is None
    chosen = ChatSettings(
        "discord", "42", "admins", "zh", True, 5, ("100", "200"), "discord:7", 3.0
    )
    await store.save_chat_settings(chosen)
    assert await store.chat_settings("discord", "42") == chosen
    later = ChatSettings("discord", "42", quiet=False, set_by="discord:8", set_at=4.0)
    await store.save_chat_settings(later)
    assert await store.chat_settings("discord", "42") == later
    assert await store.chat_settings("telegram", "42") is None
