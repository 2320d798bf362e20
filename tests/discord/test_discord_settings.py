"""/settings on Discord (real discord.py, fake Discord): a slash command with options for
members with Manage Server only, and a channel restriction that holds for mentions and
slash commands alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.texts import t
from sandbox import RunningSandbox
from tests.discord.fake import FakeDiscord, InteractionRecord, running_fake_discord
from tests.discord.fake.world import MANAGE_GUILD
from tests.discord.harness import discord_bot
from tests.engine.harness import fast_sandbox

GUILD = 1300000000000000001
STUDIO = 1300000000000000011  # the channel the bot is kept to
LOBBY = 1300000000000000012
MODS = 1300000000000000021  # a role with Manage Server
ALICE = 1400000000000000001  # a moderator
BOB = 1400000000000000002  # a member
ASK = "what can you do for me?"


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with fast_sandbox() as running:
        yield running


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake_discord() as running:
        channels = [(STUDIO, "studio"), (LOBBY, "lobby")]
        running.add_guild(GUILD, "Studio", channels=channels, roles=[(MODS, "mods", MANAGE_GUILD)])
        running.add_user(ALICE, "alice")
        running.add_user(BOB, "bob")
        running.give_role(GUILD, ALICE, MODS)
        yield running


def said(record: InteractionRecord) -> list[str]:
    messages = [record.original] if record.original else []
    return [m.content for m in [*messages, *record.followups]]


async def slash(fake: FakeDiscord, name: str, who: int, channel: int, **options: object) -> str:
    """What the bot answered a slash command with, once it has."""
    record = await fake.slash_command(
        name, who, channel_id=channel, guild_id=GUILD, options=options
    )
    await fake.wait_for(lambda f: any(said(record)), 20)
    return said(record)[-1]


async def test_settings_is_a_server_command_for_managers_with_options(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    async with discord_bot(tmp_path, fake, sandbox) as bot:
        await fake.wait_for(lambda f: any(c["name"] == "settings" for c in f.commands))
        command = next(c for c in fake.commands if c["name"] == "settings")
        assert command["default_member_permissions"] == str(MANAGE_GUILD)
        assert command["contexts"] == [0]  # servers only
        names = [option["name"] for option in command["options"]]
        assert names == ["access", "language", "quiet", "daily_turns", "channels"]
        with pytest.raises(PermissionError):  # Discord does not offer it to Bob
            await fake.slash_command("settings", BOB, channel_id=STUDIO, guild_id=GUILD)
        # Typed in a mention it reaches the bot, which checks Bob itself.
        await fake.user_message(STUDIO, BOB, "/settings quiet on", mentions_bot=True)
        await fake.wait_for(
            lambda f: any(m.content == t("settings_admins_only") for m in f.messages(STUDIO))
        )
        assert await bot.store.chat_settings("discord", str(GUILD)) is None
        answer = await slash(fake, "settings", ALICE, STUDIO, quiet="on", daily_turns=5)
        assert answer.startswith("⚙️ Changed by an admin: quiet mode: on")
        here = await bot.store.chat_settings("discord", str(GUILD))
        assert here is not None and here.quiet and here.member_turns == 5


async def test_the_channel_restriction_holds_for_mentions_and_slash_commands(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    async with discord_bot(tmp_path, fake, sandbox) as bot:
        await fake.wait_for(lambda f: any(c["name"] == "settings" for c in f.commands))
        answer = await slash(fake, "settings", ALICE, STUDIO, channels="here")
        assert f"<#{STUDIO}>" in answer

        await fake.user_message(LOBBY, BOB, ASK, mentions_bot=True)
        await fake.user_message(STUDIO, BOB, ASK, mentions_bot=True)
        # Bob's messages are answered in order: once the studio has its answer, the lobby's
        # mention was let be.
        await fake.wait_for(
            lambda f: any("generate images" in m.content for m in f.messages(STUDIO)), 20
        )
        await bot.engine.wait_idle()
        assert not [m for m in fake.messages(LOBBY) if m.author_id == fake.options.application_id]
        assert sandbox.sandbox.sse_calls == 1

        assert await slash(fake, "help", BOB, LOBBY) == t("settings_elsewhere")
        assert "What I understand" in await slash(fake, "help", BOB, STUDIO)
        # A manager can still move the bot from anywhere in the server.
        assert f"<#{LOBBY}>" in await slash(fake, "settings", ALICE, LOBBY, channels="add")
        assert "What I understand" in await slash(fake, "help", BOB, LOBBY)
