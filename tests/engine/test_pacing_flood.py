"""Every send is paced and shaped: floods in one group, long answers, captions, 429s."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.outbox import Limits, Rate
from bot.core.shaping import utf16_len
from sandbox import RunningSandbox
from tests.engine.harness import RecordingOutbox, Sent, running_bot

GROUP_RATE = Rate(6, 0.5)


def _over_rate(sends: list[Sent], rate: Rate) -> list[float]:
    """Start times of windows that held more sends than `rate` allows."""
    times = sorted(s.at for s in sends)
    return [
        times[i]
        for i in range(len(times) - rate.count)
        if times[i + rate.count] - times[i] < rate.per - 1e-3
    ]


async def test_a_flood_in_one_group_keeps_to_the_rate_and_loses_no_answer(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """30 users at once in one group: each gets their final answer, no burst over the rate."""
    limits = Limits(rates=(GROUP_RATE,), edit_interval=0.05)
    outbox = RecordingOutbox(tmp_path / "out", limits_value=limits, throttle=GROUP_RATE)
    async with running_bot(tmp_path, sandbox.url, outbox=outbox) as bot:
        names = [f"u{n}" for n in range(30)]
        for name in names:
            await bot.engine.submit(
                bot.message(f'add a title "T-{name}"', user=name, chat="g", private=False)
            )
        await asyncio.wait_for(bot.engine.wait_idle(), 120)
        finals = "\n".join(bot.outbox.final_texts())
        assert all(f"T-{name}" in finals for name in names)
        sends = bot.outbox.of("text", "edit", "image")
        assert not _over_rate(sends, GROUP_RATE)
        assert outbox.refused.count("rate") <= 2  # the pacer keeps ahead of the platform


async def test_no_final_answer_is_lost_to_rate_limits(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Even unpaced, a platform answering 429 to most sends gets every answer in the end."""
    limits = Limits(rates=(), edit_interval=0.05)
    outbox = RecordingOutbox(
        tmp_path / "out", limits_value=limits, throttle=Rate(2, 0.3), retry_after=0.1
    )
    async with running_bot(tmp_path, sandbox.url, outbox=outbox) as bot:
        names = [f"v{n}" for n in range(8)]
        for name in names:
            await bot.engine.submit(
                bot.message(f'add a title "F-{name}"', user=name, chat="g", private=False)
            )
        await asyncio.wait_for(bot.engine.wait_idle(), 120)
        finals = "\n".join(bot.outbox.final_texts())
        assert all(f"F-{name}" in finals for name in names)
        assert outbox.refused.count("rate") > 0  # the platform did say no
        pacer = bot.engine.platforms.get("console")
        assert pacer is not None and pacer.waits > 0


async def test_a_long_answer_is_split_at_the_chat_limit(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    limits = Limits(max_text=60, rates=(), edit_interval=0.0)
    async with running_bot(tmp_path, sandbox.url, limits=limits) as bot:
        await bot.say("what can you do for me today, and how?")
        finals = bot.outbox.final_texts()
        assert len(finals) > 1
        assert all(utf16_len(text) <= 60 for text in finals)
        assert "refused" not in " ".join(bot.outbox.refused)
        assert bot.outbox.log[-1].kind in ("text", "edit")
        last = [s for s in bot.outbox.of("text", "edit") if s.buttons]
        assert last, "the buttons went under the last part"


async def test_captions_are_cut_to_the_chat_limit(sandbox: RunningSandbox, tmp_path: Path) -> None:
    limits = Limits(max_caption=24, rates=(), edit_interval=0.0)
    async with running_bot(tmp_path, sandbox.url, limits=limits) as bot:
        await bot.say("generate an image of a very long and winding mountain road at dusk")
        (image,) = bot.outbox.of("image")
        assert utf16_len(image.text) <= 24 and image.text.endswith("…")
        await bot.say("export")
        await asyncio.wait_for(bot.engine.wait_idle(), 60)
        (video,) = bot.outbox.of("video")
        assert utf16_len(video.text) <= 24
        assert not bot.outbox.refused


async def test_live_edits_in_a_group_stay_within_the_rate(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """A streamed answer edits its message at the chat's pace, not at the stream's."""
    sandbox.sandbox.options.chunk_delay_seconds = 0.01
    limits = Limits(rates=(Rate(3, 0.3),), edit_interval=0.05)
    async with running_bot(tmp_path, sandbox.url, limits=limits) as bot:
        await bot.say("tell me everything about what you can do", chat="g", private=False)
        assert not _over_rate(bot.outbox.of("text", "edit"), Rate(3, 0.3))
        assert "refused" not in bot.outbox.refused
