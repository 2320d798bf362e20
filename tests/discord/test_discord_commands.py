"""Discord slash commands beyond /imagine: /help and /lang like Telegram's menu, and the
image /imagine makes arriving through the interaction (real discord.py, fake Discord)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox import RunningSandbox
from tests.discord.fake import FakeDiscord, InteractionRecord, running_fake_discord
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


def _said(record: InteractionRecord) -> list[str]:
    messages = [record.original] if record.original else []
    return [m.content for m in [*messages, *record.followups]]


async def _slash(fake: FakeDiscord, name: str, **options: str) -> InteractionRecord:
    return await fake.slash_command(
        name, ALICE, channel_id=CHANNEL, guild_id=GUILD, options=options
    )


async def test_help_and_lang_are_slash_commands(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    async with discord_bot(tmp_path, fake, sandbox):
        await fake.wait_for(lambda f: any(c["name"] == "lang" for c in f.commands))
        lang = next(c for c in fake.commands if c["name"] == "lang")
        [option] = lang["options"]
        assert [c["value"] for c in option["choices"]] == ["en", "zh"] and option["required"]
        assert {"help", "lang"} <= {c["name"] for c in fake.commands}

        record = await _slash(fake, "help")
        await fake.wait_for(lambda f: any("What I understand" in s for s in _said(record)))
        record = await _slash(fake, "lang", language="zh")
        await fake.wait_for(lambda f: "好的，之后我会用中文回复。" in _said(record))
        record = await _slash(fake, "credits")
        await fake.wait_for(lambda f: any(s.startswith("💳 积分") for s in _said(record)))


async def test_imagine_answers_with_the_image_through_the_interaction(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    async with discord_bot(tmp_path, fake, sandbox):
        await fake.wait_for(lambda f: any(c["name"] == "imagine" for c in f.commands))
        record = await _slash(fake, "imagine", prompt="a red fox")
        await fake.wait_for(lambda f: any(m.attachments for m in record.followups), 20)
        image = next(m for m in record.followups if m.attachments)
        assert image.content == "🖼 a red fox"
        [attachment] = image.attachments
        assert attachment.data[:8] == b"\x89PNG\r\n\x1a\n"
        labels = [c["label"] for row in image.components for c in row["components"]]
        assert labels == ["🔁 Again", "✨ Variation"]


@pytest.mark.parametrize(
    "custom_id",
    ["nemo:login:nmv_usr_0123456789abcdef", "nemo:new:/new", "other_app:vote:42", "/new"],
)
async def test_a_component_that_is_not_ours_gets_a_private_line_and_starts_nothing(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox, custom_id: str
) -> None:
    async with discord_bot(tmp_path, fake, sandbox) as bot:
        record = await _slash(fake, "help")
        await fake.wait_for(lambda f: any("What I understand" in s for s in _said(record)))
        assert record.original is not None
        sessions = sandbox.sandbox.sessions_created
        press = await fake.press_button(
            record.original.id,
            custom_id,
            ALICE,
            channel_id=CHANNEL,
            guild_id=GUILD,
            require_component=False,
        )
        await fake.wait_for(lambda f: press.original is not None)
        assert press.original is not None
        assert press.original.content == "That button isn't one of mine, so I did nothing."
        assert press.ack_type == 4 and press.ack_flags & 64  # a reply only the presser sees
        await bot.engine.wait_idle()
        assert sandbox.sandbox.sse_calls == 0
        assert sandbox.sandbox.sessions_created == sessions  # not even /new ran
