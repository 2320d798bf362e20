"""Private-chat drafts (sendMessageDraft) with real PTB against the emulator: a draft stays
on screen through the agent's silences, and never exceeds Telegram's length limit."""

from __future__ import annotations

from pathlib import Path

from tests.engine.harness import fast_sandbox
from tests.telegram.emulator import EmulatorOptions, running_emulator
from tests.telegram.harness import telegram_bot

ALICE = 1001


async def test_a_draft_stays_visible_through_a_long_silence(tmp_path: Path) -> None:
    """The image takes 5 s, each draft lives 1.5 s: the bot sends it again in time."""
    async with (
        running_emulator(EmulatorOptions(draft_ttl_seconds=1.5)) as emu,
        fast_sandbox(generation_delay_seconds=5) as sandbox,
    ):
        emu.private_chat(ALICE, first_name="Alice")
        async with telegram_bot(tmp_path, emu, sandbox, draft_refresh=1.0):
            emu.send_message(ALICE, ALICE, "generate an image of a lighthouse at dusk")
            answer = await emu.wait_for_message(
                ALICE, lambda m: m.kind == "text" and "lighthouse" in (m.text or ""), timeout=30
            )
        drafts = emu.draft_records(ALICE)
        assert drafts[0].text == "🎨 Generating image…"
        assert answer.sent_at - drafts[0].at > 4.5  # the silence outlived three draft lives
        assert emu.draft_gaps(ALICE, until=answer.sent_at) == []
        refreshed = [d for d in drafts if d.text == "🎨 Generating image…"]
        assert len(refreshed) >= 4
        assert not [c for c in emu.calls if c.method == "sendMessageDraft" and not c.ok]


async def test_a_long_answer_streams_within_the_draft_limit(tmp_path: Path) -> None:
    long_text = "\n".join(f"Line {n}: {'word ' * 12}" for n in range(120))
    assert len(long_text) > 7000
    async with running_emulator() as emu, fast_sandbox(chunk_delay_seconds=0.01) as sandbox:
        emu.private_chat(ALICE, first_name="Alice")
        sandbox.sandbox.faults.reply_text_once = long_text
        async with telegram_bot(tmp_path, emu, sandbox):
            emu.send_message(ALICE, ALICE, "tell me a long story")
            await emu.wait_for_message(ALICE, lambda m: "Line 119" in (m.text or ""), timeout=30)
        drafts = emu.drafts(ALICE)
        assert drafts and all(len(text) <= 4096 for _, text in drafts)
        assert not [c for c in emu.calls if c.method == "sendMessageDraft" and not c.ok]
