"""How the bot words counts and credits, end to end against the sandbox."""

from __future__ import annotations

from pathlib import Path

from sandbox import RunningSandbox
from tests.engine.harness import running_bot


async def test_credits_say_on_hold_and_never_zero_reserved(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("credits")
        assert bot.outbox.texts()[-1] == "💳 Credits: 100 available (100 total)."
        [user] = sandbox.sandbox.users.values()
        user.credits, user.frozen = 70, 30
        await bot.say("credits")
        assert bot.outbox.texts()[-1] == (
            "💳 Credits: 70 available, 30 more on hold for work in progress (100 total)."
        )
        await bot.say("/lang zh")
        await bot.say("积分")
        assert bot.outbox.texts()[-1] == "💳 积分：可用 70，另有 30 为进行中的任务暂扣（共 100）。"
    assert not any("reserved" in text for text in bot.outbox.everything())
