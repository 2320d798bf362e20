"""A gateway event discord.py cannot read is skipped, never fatal.

Real discord.py against the fake Discord: a MESSAGE_CREATE without its `channel_id` (as a
Discord-compatible server of another version might send) makes discord.py's parser raise
inside the gateway loop, which ends the client unless the adapter guards its parsers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox import RunningSandbox
from tests.discord.fake import FakeDiscord, FakeDiscordOptions, running_fake_discord
from tests.discord.harness import discord_bot
from tests.engine.harness import fast_sandbox

GUILD = 1300000000000000001
CHANNEL = 1300000000000000011
ALICE = 1400000000000000001


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with fast_sandbox() as running:
        yield running


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake_discord() as running:
        running.add_guild(GUILD, "Studio", channels=[(CHANNEL, "general")])
        running.add_user(ALICE, "alice")
        yield running


async def test_an_event_discord_py_cannot_read_is_skipped_and_the_next_served(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    bot_id = FakeDiscordOptions().application_id
    async with discord_bot(tmp_path, fake, sandbox):
        sessions = len(fake.sessions)
        unreadable = {
            "id": "1300000000000000099",
            "content": f"<@{bot_id}> credits, says alice's secret plan",
            "author": {"id": str(ALICE), "username": "alice", "discriminator": "0"},
            "guild_id": str(GUILD),
        }  # no channel_id
        await fake.send_raw("MESSAGE_CREATE", unreadable, guild_id=GUILD)
        await fake.user_message(
            CHANNEL, ALICE, f"<@{bot_id}> credits", guild_id=GUILD, mentions_bot=True
        )
        await fake.wait_for_message(CHANNEL, lambda m: m.content.startswith("💳"))
        assert len(fake.sessions) == sessions  # the same session: nothing reconnected
    skipped = [r.getMessage() for r in caplog.records if "cannot read" in r.getMessage()]
    assert skipped == [
        "skipped a Discord MESSAGE_CREATE event: discord.py cannot read it (KeyError)"
    ]
    assert "secret plan" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]
