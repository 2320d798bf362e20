"""Live answers (edits, drafts, none), the typing indicator and silence heartbeats."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.live import Heartbeat, LiveMessage, keep_typing
from bot.core.messages import ChatRef
from bot.core.outbox import Button, Limits, OutboxError
from bot.core.pacing import Pacer
from tests.unit.pacing_support import FakeOutbox

CHAT = ChatRef("test", "chat-1")
BUTTONS = ((Button("Export", "nemo:export:1:s1"),),)


def _live(**limits: object) -> tuple[LiveMessage, FakeOutbox]:
    values: dict[str, object] = {"rates": (), "edit_interval": 0.05, **limits}
    outbox = FakeOutbox(Limits(**values))  # type: ignore[arg-type]
    return LiveMessage(Pacer(outbox), CHAT), outbox


async def test_show_returns_at_once_and_the_preview_follows() -> None:
    live, outbox = _live()
    async with live:
        live.show("Generating")
        assert outbox.calls == []  # nothing was awaited
        await outbox.wait_calls(1)
        assert (outbox.calls[0].kind, outbox.calls[0].text) == ("send", "Generating")


async def test_previews_coalesce_to_the_newest_text() -> None:
    live, outbox = _live(edit_interval=0.2)
    async with live:
        live.show("a")
        await outbox.wait_calls(1)
        for text in ("ab", "abc", "abcd"):
            live.show(text)
        await outbox.wait_calls(2)
        assert [c.text for c in outbox.calls] == ["a", "abcd"]
        await live.finish("abcd!", BUTTONS)
    assert (outbox.calls[-1].kind, outbox.calls[-1].text, outbox.calls[-1].buttons) == (
        "edit",
        "abcd!",
        BUTTONS,
    )


async def test_finish_without_previews_sends_the_answer() -> None:
    live, outbox = _live()
    async with live:
        ids = await live.finish("only answer", BUTTONS)
    assert [(c.kind, c.text, c.buttons) for c in outbox.calls] == [("send", "only answer", BUTTONS)]
    assert ids == ["m1"]


async def test_without_live_updates_only_the_final_text_is_sent() -> None:
    live, outbox = _live(live="off")
    async with live:
        live.show("partial")
        await asyncio.sleep(0)
        await live.finish("full answer", BUTTONS)
    assert [(c.kind, c.text) for c in outbox.calls] == [("send", "full answer")]


async def test_drafts_stream_then_a_real_message_is_sent() -> None:
    live, outbox = _live(live="draft")
    async with live:
        live.show("thinking")
        await outbox.wait_calls(1)
        await live.finish("the answer", BUTTONS)
    assert [c.kind for c in outbox.calls] == ["draft", "send"]
    assert outbox.calls[-1].text == "the answer" and outbox.calls[-1].buttons == BUTTONS


async def test_a_late_result_arrives_as_a_new_message() -> None:
    """Edits are silent: past notify_after, the preview goes and the answer is sent anew."""
    live, outbox = _live(notify_after=0.0)
    async with live:
        live.show("working")
        await outbox.wait_calls(1)
        await asyncio.sleep(0.01)
        await live.finish("done", BUTTONS)
    assert [c.kind for c in outbox.calls] == ["send", "delete", "send"]
    assert outbox.calls[-1].text == "done"


async def test_an_edit_refused_at_the_end_falls_back_to_a_new_message() -> None:
    live, outbox = _live()
    async with live:
        live.show("draft")
        await outbox.wait_calls(1)
        outbox.fail_edits = True
        await live.finish("final answer", BUTTONS)
    assert outbox.calls[-1].kind == "send"
    assert outbox.calls[-1].text == "final answer" and outbox.calls[-1].buttons == BUTTONS


async def test_a_longer_answer_edits_the_first_part_and_sends_the_rest() -> None:
    live, outbox = _live(max_text=10)
    async with live:
        live.show("aaaa")
        await outbox.wait_calls(1)
        await live.finish("aaaa bbbb cccc", BUTTONS)
    assert [(c.kind, c.message_id, c.text) for c in outbox.calls] == [
        ("send", "m1", "aaaa"),
        ("edit", "m1", "aaaa bbbb"),
        ("send", "m2", "cccc"),
    ]
    assert outbox.calls[-1].buttons == BUTTONS


async def test_a_shorter_final_text_removes_leftover_previews() -> None:
    live, outbox = _live(max_text=10)
    async with live:
        live.show("aaaa bbbbbbb")
        await outbox.wait_calls(2)
        await live.finish("aaaa")
    assert outbox.calls[-1].kind == "delete" and outbox.calls[-1].message_id == "m2"


async def test_a_note_is_a_footer_or_its_own_message() -> None:
    live, outbox = _live()
    async with live:
        live.show("answer so far")
        await live.note("⏳ Still working… (2 min so far)")
        await outbox.wait_calls(1)
    assert any("Still working" in c.text and "answer so far" in c.text for c in outbox.calls)
    off, sent = _live(live="off")
    async with off:
        await off.note("⏳ Still working…")
    assert [c.kind for c in sent.calls] == ["send"]


async def test_leaving_the_block_stops_the_flusher() -> None:
    before = asyncio.all_tasks()
    live, _ = _live(edit_interval=60)
    async with live:
        live.show("a")
        live.show("b")
    assert asyncio.all_tasks() == before


# -- keep_typing


async def test_keep_typing_refreshes_and_stops_after_the_block() -> None:
    outbox = FakeOutbox(Limits(typing_refresh=0))
    pacer = Pacer(outbox)
    async with keep_typing(pacer, CHAT):
        assert outbox.typing == 1  # at once
        for _ in range(5):
            await asyncio.sleep(0)
        assert outbox.typing >= 2
    count = outbox.typing
    for _ in range(10):
        await asyncio.sleep(0)
    assert outbox.typing == count


async def test_keep_typing_survives_refusals() -> None:
    outbox = FakeOutbox(Limits(typing_refresh=0), fail_typing=True)
    async with keep_typing(Pacer(outbox), CHAT):
        for _ in range(5):
            await asyncio.sleep(0)
    assert outbox.typing >= 2


# -- Heartbeat


async def test_heartbeat_reports_how_long_it_has_been_running() -> None:
    seen: list[float] = []
    fired = asyncio.Event()

    async def on_silence(elapsed: float) -> None:
        seen.append(elapsed)
        fired.set()

    async with Heartbeat(0.05, on_silence):
        await asyncio.wait_for(fired.wait(), timeout=5)
    assert seen[0] >= 0.05


async def test_heartbeat_keeps_going_after_a_refused_message() -> None:
    calls = 0
    fired_twice = asyncio.Event()

    async def on_silence(elapsed: float) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OutboxError("refused")
        fired_twice.set()

    async with Heartbeat(0.05, on_silence):
        await asyncio.wait_for(fired_twice.wait(), timeout=5)
    assert calls >= 2


@pytest.mark.parametrize("interval", [-1.0, 0.0])
async def test_non_positive_intervals_are_off(interval: float) -> None:
    async def on_silence(elapsed: float) -> None:
        raise AssertionError("must not be called")

    before = asyncio.all_tasks()
    async with Heartbeat(interval, on_silence) as heartbeat:
        heartbeat.touch()
        assert asyncio.all_tasks() == before


# -- render progress


async def test_render_progress_edits_one_message_with_the_time_left() -> None:
    from bot.core.progress import RenderProgress

    outbox = FakeOutbox(Limits(rates=()))
    progress = RenderProgress(Pacer(outbox), CHAT, "en")
    await progress.show(0)
    await progress.show(20)  # under way, nothing to go on yet
    await progress.show(50, 30.0)
    await progress.show(50, 30.2)  # nothing new to say
    await progress.show(99, 1.0)  # too little to be worth a line
    assert [(c.kind, c.message_id) for c in outbox.calls] == [
        ("send", "m1"),
        ("edit", "m1"),
        ("edit", "m1"),
        ("edit", "m1"),
    ]
    assert [c.text for c in outbox.calls] == [
        "🎬 Rendering your video… 0%",
        "🎬 Rendering your video… 20% · about a minute left",
        "🎬 Rendering your video… 50% · about 30 s left",
        "🎬 Rendering your video… 99%",
    ]


async def test_a_draft_is_sent_again_before_it_lapses() -> None:
    """Telegram drops a draft ~30 s after its last send: silence must not empty the chat."""
    live, outbox = _live(live="draft", draft_refresh=0.1)
    async with live:
        live.show("🎨 Generating image…")
        await outbox.wait_calls(4)  # the first send, then refreshes with no new text
        await live.finish("Here it is", BUTTONS)
    drafts = [c for c in outbox.calls if c.kind == "draft"]
    assert len(drafts) >= 4 and {c.text for c in drafts} == {"🎨 Generating image…"}
    assert len({c.message_id for c in drafts}) == 1  # one draft, the same id each time
    assert outbox.calls[-1].kind == "send"


async def test_a_draft_over_the_limit_shows_the_part_being_written() -> None:
    live, outbox = _live(live="draft", max_text=20)
    async with live:
        live.show("first line is long\nsecond line")
        await outbox.wait_calls(1)
        await live.finish("x")
    assert outbox.calls[0].text == "second line"
