"""The per-chat pacing layer: splitting, cutting, rates, priorities, 429s, identical edits."""

from __future__ import annotations

import asyncio
import random

import pytest

from bot.core.budget import LocalBudget
from bot.core.messages import ChatRef
from bot.core.outbox import Button, Limits, OutboxRetryLater, Rate
from bot.core.pacing import Pacer
from bot.core.shaping import cut_text, split_text, utf16_len
from tests.unit.pacing_support import FakeOutbox

CHAT = ChatRef("test", "chat-1")
OTHER = ChatRef("test", "chat-2")
BUTTONS = ((Button("Export", "nemo:export:1:s1"),),)


def _pacer(**limits: object) -> tuple[Pacer, FakeOutbox]:
    outbox = FakeOutbox(Limits(**limits))  # type: ignore[arg-type]
    return Pacer(outbox), outbox


# -- split_text and cut_text


def _assert_same_content(text: str, chunks: list[str]) -> None:
    """The chunks are the text in order; only whitespace at the cuts may be missing."""
    pos = 0
    for chunk in chunks:
        while pos < len(text) and text[pos].isspace() and not text.startswith(chunk, pos):
            pos += 1
        assert text.startswith(chunk, pos), (text, chunks)
        pos += len(chunk)
    assert not text[pos:].strip()


def test_short_text_is_one_chunk() -> None:
    assert split_text("hello world", 100) == ["hello world"]
    assert split_text("x" * 10, 10) == ["x" * 10]
    assert split_text("", 10) == [""]


def test_splits_at_a_newline_then_a_space_then_hard() -> None:
    assert split_text("first line\nsecond part goes on", 15) == [
        "first line",
        "second part",
        "goes on",
    ]
    assert split_text("alpha beta gamma delta", 12) == ["alpha beta", "gamma delta"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_limits_count_utf16_units_like_the_platforms() -> None:
    """An emoji outside the BMP is two units: ten of them do not fit in 10."""
    assert utf16_len("🐱") == 2
    chunks = split_text("🐱" * 10, 10)
    assert all(utf16_len(chunk) <= 10 for chunk in chunks)
    assert "".join(chunks) == "🐱" * 10


def test_split_text_properties_on_random_text() -> None:
    """Within the limit, nothing lost, no empty message, for many shapes of text."""
    rng = random.Random(20240501)
    pieces = ["word", "a", "longerword", "x" * 37, " ", "  ", "\n", "\n\n", "猫", "🐱", "<b>"]
    for _ in range(500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        limit = rng.randint(2, 40)
        chunks = split_text(text, limit)
        assert chunks
        assert all(utf16_len(chunk) <= limit for chunk in chunks), (text, limit, chunks)
        if text.strip():
            assert all(chunk.strip() for chunk in chunks), (text, limit, chunks)
        _assert_same_content(text, chunks)


def test_cut_text_marks_the_cut() -> None:
    assert cut_text("short", 10) == "short"
    cut = cut_text("one two three four five", 12)
    assert cut.endswith("…") and utf16_len(cut) <= 12
    assert cut == "one two…"


# -- the pacer


async def test_long_text_becomes_several_messages_buttons_on_the_last() -> None:
    pacer, outbox = _pacer(max_text=10, rates=())
    ids = await pacer.send_text(CHAT, "aaaa bbbb cccc dddd eeee", BUTTONS)
    assert [(c.text, c.buttons) for c in outbox.calls] == [
        ("aaaa bbbb", ()),
        ("cccc dddd", ()),
        ("eeee", BUTTONS),
    ]
    assert ids == ["m1", "m2", "m3"]


async def test_sends_in_one_chat_keep_to_its_rate() -> None:
    """No window of `per` seconds holds more than `count` sends."""
    pacer, outbox = _pacer(rates=(Rate(2, 0.2),))
    await asyncio.gather(*(pacer.send_text(CHAT, f"message {n}") for n in range(6)))
    times = [c.at for c in outbox.calls]
    assert [c.text for c in outbox.calls] == [f"message {n}" for n in range(6)]  # in order
    # Counted from each grant; a send may start a moment after its grant on a busy loop.
    assert all(times[i + 2] - times[i] >= 0.2 - 0.05 for i in range(len(times) - 2)), times


async def test_a_busy_chat_does_not_hold_up_another() -> None:
    pacer, outbox = _pacer(rates=(Rate(1, 0.3),))
    busy = asyncio.gather(*(pacer.send_text(CHAT, f"a{n}") for n in range(3)))
    await pacer.send_text(OTHER, "b")
    assert [c.chat for c in outbox.calls].index("chat-2") < 2  # before chat-1's backlog
    await busy


async def test_the_platform_rate_is_shared_by_every_chat() -> None:
    outbox = FakeOutbox(Limits(rates=()))
    pacer = Pacer(outbox, platform_rate=Rate(2, 0.2))
    chats = [ChatRef("test", f"c{n}") for n in range(6)]
    await asyncio.gather(*(pacer.send_text(chat, "hi") for chat in chats))
    times = sorted(c.at for c in outbox.calls)
    # Counted from each grant; a send may start a moment after its grant on a busy loop.
    assert all(times[i + 2] - times[i] >= 0.2 - 0.05 for i in range(len(times) - 2)), times


async def test_final_answers_go_before_waiting_live_previews() -> None:
    pacer, outbox = _pacer(rates=(Rate(1, 0.2),))
    first = await pacer.send_text(CHAT, "preview")
    previews = [
        asyncio.create_task(pacer.edit_text(CHAT, first[0], f"preview {n}", live=True))
        for n in range(3)
    ]
    await asyncio.sleep(0)  # the previews are waiting for the chat's next slot
    await pacer.send_text(CHAT, "final answer")
    await asyncio.gather(*previews)
    texts = [c.text for c in outbox.calls]
    assert texts.index("final answer") == 1, texts


async def test_a_final_answer_waits_out_rate_limits_and_lands() -> None:
    pacer, outbox = _pacer(rates=())
    outbox.retry_after = [0.05, 0.05]
    await pacer.send_text(CHAT, "the answer")
    assert [c.text for c in outbox.calls] == ["the answer"]
    assert pacer.waits == 2


async def test_a_live_preview_meeting_a_rate_limit_is_dropped() -> None:
    pacer, outbox = _pacer(rates=())
    outbox.retry_after = [5.0]
    with pytest.raises(OutboxRetryLater):
        await pacer.send_text(CHAT, "preview", live=True)
    assert outbox.calls == []


async def test_a_rate_limit_holds_back_the_whole_chat() -> None:
    pacer, outbox = _pacer(rates=())
    outbox.retry_after = [0.2]
    loop = asyncio.get_running_loop()
    started = loop.time()
    await pacer.send_text(CHAT, "first")
    await pacer.send_text(CHAT, "second")
    assert outbox.calls[0].at - started >= 0.2 - 1e-3


async def test_identical_edits_are_skipped() -> None:
    pacer, outbox = _pacer(rates=())
    (message_id,) = await pacer.send_text(CHAT, "same")
    await pacer.edit_text(CHAT, message_id, "same")
    await pacer.edit_text(CHAT, message_id, "same", BUTTONS)
    await pacer.edit_text(CHAT, message_id, "same", BUTTONS)
    assert outbox.kinds() == ["send", "edit"]


async def test_captions_are_cut_to_their_limit() -> None:
    from pathlib import Path

    pacer, outbox = _pacer(rates=(), max_caption=20)
    await pacer.send_images(CHAT, [Path("a.png")], "a caption that is far too long for this chat")
    caption = outbox.calls[0].text
    assert utf16_len(caption) <= 20 and caption.endswith("…")


async def test_albums_are_cut_to_the_chat_size() -> None:
    from pathlib import Path

    pacer, outbox = _pacer(rates=(), max_images=2)
    await pacer.send_images(CHAT, [Path(f"{n}.png") for n in range(5)], "cap", BUTTONS)
    assert [(c.message_id, c.text, c.buttons) for c in outbox.calls] == [
        ("2", "cap", BUTTONS),
        ("2", "", ()),
        ("1", "", ()),
    ]


async def test_a_cancelled_waiter_does_not_block_the_chat() -> None:
    pacer, outbox = _pacer(rates=(Rate(1, 0.2),))
    await pacer.send_text(CHAT, "one")
    waiting = asyncio.create_task(pacer.send_text(CHAT, "never"))
    await asyncio.sleep(0)
    waiting.cancel()
    await pacer.send_text(CHAT, "two")
    assert [c.text for c in outbox.calls] == ["one", "two"]


async def test_a_live_preview_that_could_not_go_for_a_while_is_skipped() -> None:
    pacer, outbox = _pacer(rates=(Rate(1, 30.0),))
    (message_id,) = await pacer.send_text(CHAT, "the answer so far")
    async with asyncio.timeout(1.0):  # skipped at once, not after the chat's 30 s
        with pytest.raises(OutboxRetryLater):
            await pacer.edit_text(CHAT, message_id, "a newer preview", live=True)
    assert [c.text for c in outbox.calls] == ["the answer so far"]


async def test_pacers_sharing_a_budget_keep_the_platform_rate_together() -> None:
    """Two workers' pacers, one budget: together they send no faster than one would."""
    budget = LocalBudget()
    outboxes = [FakeOutbox(Limits(rates=())) for _ in range(2)]
    pacers = [Pacer(o, platform_rate=Rate(2, 0.2), budget=budget) for o in outboxes]
    chats = [ChatRef("test", f"c{n}") for n in range(4)]
    await asyncio.gather(*(p.send_text(chat, "hi") for p in pacers for chat in chats))
    times = sorted(c.at for o in outboxes for c in o.calls)
    assert len(times) == 8 and all(o.calls for o in outboxes)
    # Counted from each grant; a send may start a moment after its grant on a busy loop.
    assert all(times[i + 2] - times[i] >= 0.2 - 0.05 for i in range(len(times) - 2)), times
