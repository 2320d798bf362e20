"""Discord slash commands beyond /imagine: /help and /lang like Telegram's menu, and the
image /imagine makes arriving through the interaction (real discord.py, fake Discord)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.root_router import build_registry
from sandbox import RunningSandbox
from tests.discord.fake import FakeDiscord, InteractionRecord, running_fake_discord
from tests.discord.harness import discord_bot
from tests.engine.harness import fast_sandbox
from tests.extra_command import STYLE_EN, with_style

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
        listed = [spec.name for spec in build_registry().menu]
        assert [c["name"] for c in fake.commands] == ["imagine", *listed]

        record = await _slash(fake, "help")
        await fake.wait_for(lambda f: any("What I understand" in s for s in _said(record)))
        record = await _slash(fake, "lang", language="zh")
        await fake.wait_for(lambda f: "好的，之后我会用中文回复。" in _said(record))
        record = await _slash(fake, "credits")
        await fake.wait_for(lambda f: any(s.startswith("💳 积分") for s in _said(record)))


async def test_login_asks_for_the_token_and_answers_the_asker_alone(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    """A secret in a command: the answer is ephemeral, and the token shows nowhere."""
    async with discord_bot(tmp_path, fake, sandbox) as bot:
        await fake.wait_for(lambda f: any(c["name"] == "login" for c in f.commands))
        [token] = next(c for c in fake.commands if c["name"] == "login")["options"]
        assert token["name"] == "token" and token["required"] and "choices" not in token
        record = await _slash(fake, "login", token="nmv_usr_secret_in_a_server")
        await fake.wait_for(lambda f: any("private chat" in s for s in _said(record)))
        assert record.ack_flags & 64 and record.original is not None
        assert record.original.ephemeral
        await bot.engine.wait_idle()
        assert not any("nmv_usr_secret" in m.content for m in fake.messages(CHANNEL))


async def test_a_new_command_is_a_slash_command_in_help_and_answered(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/style, added as one handler and one line of strings, is synced, listed and run."""
    async with discord_bot(tmp_path, fake, sandbox, registry=with_style(monkeypatch)):
        await fake.wait_for(lambda f: any(c["name"] == "style" for c in f.commands))
        style = next(c for c in fake.commands if c["name"] == "style")
        assert style["description"] == STYLE_EN and not style.get("options")
        record = await _slash(fake, "help")
        await fake.wait_for(lambda f: any(f"• /style — {STYLE_EN}" in s for s in _said(record)))
        record = await _slash(fake, "style")
        await fake.wait_for(lambda f: "style: none" in _said(record))


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
