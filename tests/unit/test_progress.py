"""Live messages, message splitting, the typing indicator and heartbeats."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

import pytest

from bot.core.messages import ChatRef
from bot.core.outbox import Button, Limits, OutboxError, OutboxRetryLater
from bot.core.progress import Heartbeat, LiveMessage, keep_typing, split_text

CHAT = ChatRef("test", "chat-1")
BUTTONS = (Button("Export", "nemo:export:s1"),)


@dataclass
class FakeOutbox:
    """Records what the core asked for; can be told to refuse edits or typing."""

    limits: Limits = field(default_factory=Limits)
    calls: list[tuple[object, ...]] = field(default_factory=list)
    typing: int = 0
    fail_edits: bool = False
    fail_sends: bool = False
    retry_after: float | None = None
    fail_typing: bool = False

    async def send_text(self, chat: ChatRef, text: str, buttons: tuple[Button, ...] = ()) -> str:
        """Send and return a new id, or refuse."""
        if self.fail_sends:
            raise OutboxError("chat not found")
        message_id = f"m{sum(1 for c in self.calls if c[0] == 'send') + 1}"
        self.calls.append(("send", message_id, text, buttons))
        return message_id

    async def edit_text(
        self, chat: ChatRef, message_id: str, text: str, buttons: tuple[Button, ...] = ()
    ) -> None:
        """Record the edit, or refuse it."""
        if self.fail_edits:
            raise OutboxError("message to edit not found")
        if self.retry_after is not None:
            raise OutboxRetryLater("flood control", self.retry_after)
        self.calls.append(("edit", message_id, text, buttons))

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool:
        """Record the deletion."""
        self.calls.append(("delete", message_id))
        return True

    async def send_typing(self, chat: ChatRef) -> None:
        """Count typing refreshes."""
        self.typing += 1
        if self.fail_typing:
            raise OutboxError("typing refused")


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _live(limits: Limits | None = None) -> tuple[LiveMessage, FakeOutbox, FakeClock]:
    outbox = FakeOutbox(limits or Limits(max_text=4096, edit_interval=1.0))
    clock = FakeClock()
    return LiveMessage(outbox, CHAT, clock=clock), outbox, clock


async def _yield_to_loop(times: int = 5) -> None:
    for _ in range(times):
        await asyncio.sleep(0)


# -- split_text


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
    """Nothing to cut."""
    assert split_text("hello world", 100) == ["hello world"]
    assert split_text("x" * 10, 10) == ["x" * 10]


def test_empty_text_is_one_empty_chunk() -> None:
    """An empty text still yields one message body."""
    assert split_text("", 10) == [""]


def test_splits_at_a_newline_when_possible() -> None:
    """A line break in the second half of the window is the preferred cut."""
    text = "first line\nsecond part goes on"
    assert split_text(text, 15) == ["first line", "second part", "goes on"]


def test_splits_at_a_space_when_there_is_no_newline() -> None:
    """Words are not cut in half."""
    assert split_text("alpha beta gamma delta", 12) == ["alpha beta", "gamma delta"]


def test_very_long_word_is_cut_hard() -> None:
    """A word longer than the limit is cut at the limit."""
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("ab " + "y" * 30, 10) == ["ab " + "y" * 7, "y" * 10, "y" * 10, "y" * 3]


def test_chinese_without_spaces_is_cut_at_the_limit() -> None:
    """CJK text has no spaces; the limit still holds."""
    text = "生成一张猫的图片" * 20
    chunks = split_text(text, 50)
    assert all(len(chunk) <= 50 for chunk in chunks)
    assert "".join(chunks) == text


def test_split_text_properties_on_random_text() -> None:
    """Within the limit, nothing lost, no empty message, for many shapes of text."""
    rng = random.Random(20240501)
    pieces = ["word", "a", "longerword", "x" * 37, " ", " ", "  ", "\n", "\n\n", "猫", "🐱"]
    for _ in range(500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        limit = rng.randint(1, 40)
        chunks = split_text(text, limit)
        assert chunks
        assert all(len(chunk) <= limit for chunk in chunks), (text, limit, chunks)
        if text.strip():
            assert all(chunk.strip() for chunk in chunks), (text, limit, chunks)
        _assert_same_content(text, chunks)


def test_leading_whitespace_longer_than_half_the_limit() -> None:
    """No empty message comes out of leading blanks."""
    assert split_text(" " * 10 + "abc", 5) == ["abc"]


# -- LiveMessage


async def test_first_show_sends() -> None:
    """The first text is sent at once."""
    live, outbox, _ = _live()
    assert not live.started
    await live.show("Generating")
    assert outbox.calls == [("send", "m1", "Generating", ())]
    assert live.started


async def test_shows_within_the_interval_do_nothing() -> None:
    """Edits are throttled to the platform's interval."""
    live, outbox, clock = _live()
    await live.show("a")
    clock.now += 0.5
    await live.show("ab")
    clock.now += 0.49
    await live.show("abc")
    assert outbox.calls == [("send", "m1", "a", ())]


async def test_show_after_the_interval_edits() -> None:
    """Once the interval has passed, the message is edited in place."""
    live, outbox, clock = _live()
    await live.show("a")
    clock.now += 1.0
    await live.show("ab")
    assert outbox.calls == [("send", "m1", "a", ()), ("edit", "m1", "ab", ())]


async def test_unchanged_text_is_not_edited() -> None:
    """No edit call when the text is what is already shown."""
    live, outbox, clock = _live()
    await live.show("same")
    clock.now += 5
    await live.show("same")
    assert len(outbox.calls) == 1


async def test_blank_show_sends_nothing() -> None:
    """Whitespace is not worth a message."""
    live, outbox, _ = _live()
    await live.show("   \n")
    assert outbox.calls == []
    assert not live.started


async def test_finish_renders_regardless_of_the_interval() -> None:
    """The final text always lands, with its buttons."""
    live, outbox, _ = _live()
    await live.show("draft")
    await live.finish("final answer", BUTTONS)
    assert outbox.calls[-1] == ("edit", "m1", "final answer", BUTTONS)


async def test_finish_with_same_text_still_attaches_buttons() -> None:
    """Buttons are added even if the text did not change."""
    live, outbox, _ = _live()
    await live.show("done")
    await live.finish("done", BUTTONS)
    assert outbox.calls == [("send", "m1", "done", ()), ("edit", "m1", "done", BUTTONS)]


async def test_finish_without_show_sends() -> None:
    """A turn with no streamed text sends its final answer."""
    live, outbox, _ = _live()
    await live.finish("only answer", BUTTONS)
    assert outbox.calls == [("send", "m1", "only answer", BUTTONS)]


async def test_long_text_becomes_several_messages_buttons_on_the_last() -> None:
    """Over max_text, the answer continues in new messages; buttons go on the last one."""
    live, outbox, _ = _live(Limits(max_text=10, edit_interval=1.0))
    await live.finish("aaaa bbbb cccc dddd eeee", BUTTONS)
    assert outbox.calls == [
        ("send", "m1", "aaaa bbbb", ()),
        ("send", "m2", "cccc dddd", ()),
        ("send", "m3", "eeee", BUTTONS),
    ]


async def test_growing_text_edits_the_first_and_sends_the_rest() -> None:
    """A live message that outgrows the limit keeps its first message and adds more."""
    live, outbox, clock = _live(Limits(max_text=10, edit_interval=1.0))
    await live.show("aaaa")
    clock.now += 2
    await live.show("aaaa bbbb cccc")
    await live.finish("aaaa bbbb cccc dddd", BUTTONS)
    assert outbox.calls == [
        ("send", "m1", "aaaa", ()),
        ("edit", "m1", "aaaa bbbb", ()),
        ("send", "m2", "cccc", ()),
        ("edit", "m2", "cccc dddd", BUTTONS),
    ]


async def test_without_live_edits_only_finish_sends() -> None:
    """Platforms without cheap edits get the finished text once."""
    live, outbox, clock = _live(Limits(live_edits=False))
    await live.show("partial")
    clock.now += 10
    await live.show("partial answer")
    assert outbox.calls == []
    await live.finish("full answer", BUTTONS)
    assert outbox.calls == [("send", "m1", "full answer", BUTTONS)]


async def test_refused_edit_does_not_propagate() -> None:
    """A rate-limited or deleted message must not end the turn."""
    live, outbox, clock = _live()
    await live.show("a")
    outbox.fail_edits = True
    clock.now += 2
    await live.show("ab")
    await live.finish("abc", BUTTONS)
    assert outbox.calls == [("send", "m1", "a", ())]


async def test_a_refused_send_keeps_ids_in_step_with_chunks() -> None:
    """After a failed send, the next render fills the gap instead of editing the wrong message."""
    live, outbox, _ = _live(Limits(max_text=10, edit_interval=0.0))
    await live.show("aaaa")
    outbox.fail_sends = True
    await live.show("aaaa bbbbbbb cccccc")
    outbox.fail_sends = False
    await live.finish("aaaa bbbbbbb cccccc")
    chunks = split_text("aaaa bbbbbbb cccccc", 10)
    sent = [c for c in outbox.calls if c[0] == "send"]
    assert [c[2] for c in sent] == ["aaaa", *chunks[1:]]
    edits = [c for c in outbox.calls if c[0] == "edit"]
    assert all(c[1] == "m1" for c in edits)


async def test_a_shorter_final_text_removes_leftover_messages() -> None:
    """GUI lines removed at the end must not leave a stale second message behind."""
    live, outbox, _ = _live(Limits(max_text=10, edit_interval=0.0))
    await live.show("aaaa bbbbbbb")
    await live.finish("aaaa")
    assert ("delete", "m2") in outbox.calls
    assert outbox.calls[-1] == ("delete", "m2")


async def test_a_platform_rate_limit_holds_edits_back() -> None:
    """After RetryAfter(5), shows within the next 5 s are skipped; then editing resumes."""
    live, outbox, clock = _live(Limits(edit_interval=1.0))
    await live.show("a")
    outbox.retry_after = 5.0
    clock.now += 1
    await live.show("ab")
    outbox.retry_after = None
    clock.now += 3
    await live.show("abc")
    assert [c[0] for c in outbox.calls] == ["send"]
    clock.now += 3.5
    await live.show("abcd")
    assert outbox.calls[-1] == ("edit", "m1", "abcd", ())


# -- keep_typing


async def test_keep_typing_refreshes_and_stops_after_the_block() -> None:
    """Typing starts at once, repeats, and no call happens after the block."""
    outbox = FakeOutbox(Limits(typing_refresh=0))
    async with keep_typing(outbox, CHAT):
        await asyncio.sleep(0)
        assert outbox.typing >= 1
        await _yield_to_loop()
        assert outbox.typing >= 2
    count = outbox.typing
    await _yield_to_loop(10)
    assert outbox.typing == count


async def test_keep_typing_survives_refusals() -> None:
    """A refused typing indicator is retried, not raised."""
    outbox = FakeOutbox(Limits(typing_refresh=0), fail_typing=True)
    async with keep_typing(outbox, CHAT):
        await _yield_to_loop()
    assert outbox.typing >= 2


async def test_keep_typing_leaves_no_task_behind() -> None:
    """The refresher is gone after the block."""
    before = asyncio.all_tasks()
    async with keep_typing(FakeOutbox(Limits(typing_refresh=60)), CHAT):
        await asyncio.sleep(0)
        assert len(asyncio.all_tasks()) == len(before) + 1
    assert asyncio.all_tasks() == before


# -- Heartbeat


async def test_heartbeat_calls_on_silence() -> None:
    """Nothing touches it: the callback fires after the interval."""
    fired = asyncio.Event()

    async def on_silence() -> None:
        fired.set()

    async with Heartbeat(0.05, on_silence):
        await asyncio.wait_for(fired.wait(), timeout=5)


async def test_heartbeat_keeps_going_after_a_refused_message() -> None:
    """An OutboxError from the callback does not stop later heartbeats."""
    calls = 0
    fired_twice = asyncio.Event()

    async def on_silence() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OutboxError("refused")
        fired_twice.set()

    async with Heartbeat(0.05, on_silence):
        await asyncio.wait_for(fired_twice.wait(), timeout=5)
    assert calls >= 2


async def test_heartbeat_with_zero_interval_starts_no_task() -> None:
    """An interval of 0 disables it."""
    calls = 0

    async def on_silence() -> None:
        nonlocal calls
        calls += 1

    before = asyncio.all_tasks()
    async with Heartbeat(0, on_silence) as heartbeat:
        heartbeat.touch()
        await _yield_to_loop()
        assert asyncio.all_tasks() == before
    assert calls == 0


async def test_heartbeat_leaves_no_task_behind() -> None:
    """Leaving the block cancels the watcher."""

    async def on_silence() -> None:
        return None

    before = asyncio.all_tasks()
    async with Heartbeat(60, on_silence) as heartbeat:
        heartbeat.touch()
        assert len(asyncio.all_tasks()) == len(before) + 1
    assert asyncio.all_tasks() == before


@pytest.mark.parametrize("interval", [-1.0, 0.0])
async def test_non_positive_intervals_are_off(interval: float) -> None:
    """Negative intervals are treated like 0."""

    async def on_silence() -> None:
        raise AssertionError("must not be called")

    before = asyncio.all_tasks()
    async with Heartbeat(interval, on_silence):
        assert asyncio.all_tasks() == before
