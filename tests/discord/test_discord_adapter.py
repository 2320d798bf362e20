"""The Discord adapter end to end: real discord.py against the fake Discord and the sandbox."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from sandbox import RunningSandbox
from tests.discord.fake import FakeDiscord, FakeDiscordOptions, StoredMessage, running_fake_discord
from tests.discord.harness import discord_bot
from tests.engine.harness import fast_sandbox

GUILD = 1300000000000000001
CHANNEL = 1300000000000000011
THREAD = 1300000000000000031
ROLE = 1300000000000000021
ALICE = 1400000000000000001
BOB = 1400000000000000002
OTHER_BOT = 1400000000000000009


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with fast_sandbox() as running:
        yield running


def _world(fake: FakeDiscord) -> None:
    fake.add_guild(
        GUILD,
        "Studio",
        channels=[(CHANNEL, "general")],
        roles=[(ROLE, "artists")],
        threads=[(THREAD, CHANNEL, "ideas")],
    )
    fake.add_user(ALICE, "alice")
    fake.add_user(BOB, "bob")
    fake.add_user(OTHER_BOT, "otherbot", bot=True)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake_discord() as running:
        _world(running)
        yield running


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "purple").save(buffer, format="PNG")
    return buffer.getvalue()


def _custom_id(message: StoredMessage, label: str) -> str:
    for row in message.components:
        for component in row.get("components", []):
            if component.get("label", "").startswith(label):
                return str(component["custom_id"])
    raise AssertionError(f"no {label!r} button on {message.components}")


def _mention(text: str) -> str:
    return f"<@{FakeDiscordOptions().application_id}> {text}"


async def test_a_mention_in_a_guild_channel_streams_a_reply_and_uploads_the_mp4(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    async with discord_bot(tmp_path, fake, sandbox):
        await fake.user_message(
            CHANNEL,
            ALICE,
            _mention("generate an image of a lighthouse"),
            guild_id=GUILD,
            mentions_bot=True,
        )
        image = await fake.wait_for_message(CHANNEL, lambda m: bool(m.attachments), timeout=20)
        assert image.attachments[0].filename.endswith(".png")
        assert "lighthouse" in image.content
        answer = await fake.wait_for_message(
            CHANNEL, lambda m: "lighthouse" in m.content and bool(m.components)
        )
        assert answer.message_reference and int(answer.message_reference["message_id"]) > 0
        await fake.user_message(
            CHANNEL, ALICE, _mention("export"), guild_id=GUILD, mentions_bot=True
        )
        video = await fake.wait_for_message(
            CHANNEL, lambda m: any(a.filename.endswith(".mp4") for a in m.attachments), timeout=60
        )
        assert video.attachments[0].content[4:8] == b"ftyp"
        assert "1920x1080" in video.content
        assert fake.typing(CHANNEL)
        assert all(not m.pinged for m in fake.messages(CHANNEL))


async def test_unmentioned_messages_and_other_bots_are_ignored(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    async with discord_bot(tmp_path, fake, sandbox):
        await fake.user_message(CHANNEL, ALICE, "generate a cat, said to no one", guild_id=GUILD)
        await fake.user_message(
            CHANNEL, OTHER_BOT, _mention("credits"), guild_id=GUILD, mentions_bot=True
        )
        await fake.user_message(
            CHANNEL, ALICE, _mention("credits"), guild_id=GUILD, mentions_bot=True
        )
        await fake.wait_for_message(CHANNEL, lambda m: m.content.startswith("💳 Credits"))
        assert len(fake.messages(CHANNEL)) == 1
        assert sandbox.sandbox.sse_calls == 0


async def test_a_reply_to_the_bot_and_a_thread_are_answered_where_they_are(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    async with discord_bot(tmp_path, fake, sandbox):
        await fake.user_message(
            CHANNEL, ALICE, _mention("credits"), guild_id=GUILD, mentions_bot=True
        )
        credits = await fake.wait_for_message(CHANNEL, lambda m: m.content.startswith("💳"))
        await fake.user_message(
            CHANNEL, BOB, "status", guild_id=GUILD, reference_message_id=credits.id
        )
        await fake.wait_for_message(CHANNEL, lambda m: "timeline is empty" in m.content)
        await fake.user_message(THREAD, ALICE, _mention("/help"), guild_id=GUILD, mentions_bot=True)
        await fake.wait_for_message(THREAD, lambda m: m.content.startswith("What I understand"))


async def test_a_dm_with_an_image_is_uploaded_and_the_echo_ignored(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    dm = fake.dm_channel(ALICE)
    async with discord_bot(tmp_path, fake, sandbox):
        await fake.user_message(
            dm, ALICE, 'add a title "Postcard"', attachments=[("card.png", "image/png", _png())]
        )
        await fake.wait_for_message(dm, lambda m: m.content.startswith("📎 Added 1 file"))
        await fake.wait_for_message(dm, lambda m: "Postcard" in m.content)
        uploads = [p for _, p, _ in sandbox.sandbox.requests if p.startswith("/api/upload-video")]
        assert len(uploads) == 1
        assert sandbox.sandbox.sse_calls == 1  # the bot's own messages came back and were ignored


async def test_slash_imagine_is_deferred_then_completed_through_the_interaction(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    async with discord_bot(tmp_path, fake, sandbox):
        await fake.wait_for(lambda f: any(c["name"] == "imagine" for c in f.commands))
        imagine = next(c for c in fake.commands if c["name"] == "imagine")
        assert set(imagine["integration_types"]) == {0, 1}  # guild and user installs
        assert set(imagine["contexts"]) == {0, 1, 2}
        record = await fake.slash_command(
            "imagine", ALICE, channel_id=CHANNEL, guild_id=GUILD, options={"prompt": "a red fox"}
        )
        await fake.wait_for(lambda f: record.ack_type == 5)
        assert record.acked_at is not None and record.acked_at - record.created_at < 3
        await fake.wait_for(lambda f: any(m.attachments for m in record.followups), 20)
        texts = [
            record.original.content if record.original else "",
            *(m.content for m in record.followups),
        ]
        assert any("red fox" in text for text in texts)


async def test_an_answer_after_the_token_expired_goes_to_the_channel(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    async with discord_bot(tmp_path, fake, sandbox):
        sandbox.sandbox.options.generation_delay_seconds = 0.5
        record = await fake.slash_command(
            "imagine", ALICE, channel_id=CHANNEL, guild_id=GUILD, options={"prompt": "a slow snail"}
        )
        await fake.wait_for(lambda f: record.ack_type == 5)
        fake.advance_time(16 * 60)  # the token is dead before the answer is ready
        late = await fake.wait_for_message(
            CHANNEL, lambda m: m.via == "channel" and "snail" in m.content, timeout=20
        )
        assert late.content.startswith(f"<@{ALICE}>")
        assert late.pinged == frozenset({f"user:{ALICE}"})  # the asker, and nobody else


async def test_a_button_press_is_acknowledged_and_works_after_a_restart(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    async with discord_bot(tmp_path, fake, sandbox):
        await fake.user_message(
            CHANNEL,
            ALICE,
            _mention("generate an image of a kite"),
            guild_id=GUILD,
            mentions_bot=True,
        )
        answer = await fake.wait_for_message(
            CHANNEL, lambda m: "kite" in m.content and bool(m.components)
        )
    async with discord_bot(tmp_path, fake, sandbox):
        record = await fake.press_button(
            answer.id, _custom_id(answer, "Status"), ALICE, channel_id=CHANNEL, guild_id=GUILD
        )
        await fake.wait_for(lambda f: record.ack_type is not None)
        assert record.acked_at is not None and record.acked_at - record.created_at < 3
        await fake.wait_for(
            lambda f: any(m.content.startswith("Timeline") for m in record.followups), 10
        )
        (status,) = [m for m in record.followups if m.content.startswith("Timeline")]
        assert [a.filename for a in status.attachments] == ["storyboard.png"]  # the picture


async def test_an_mp4_over_the_upload_limit_is_sent_as_a_link(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    async with running_fake_discord(FakeDiscordOptions(default_filesize_limit=3_000)) as fake:
        _world(fake)
        dm = fake.dm_channel(ALICE)
        async with discord_bot(tmp_path, fake, sandbox):
            tiny = [("dot.png", "image/png", _png())]  # the project: one tiny picture
            await fake.user_message(dm, ALICE, "", attachments=tiny)
            await fake.wait_for_message(dm, lambda m: m.content.startswith("📎 Added 1"))
            record = await fake.slash_command("export", ALICE, channel_id=dm)
            await fake.wait_for(
                lambda f: any(
                    "over this chat's upload limit" in m.content for m in record.followups
                ),
                60,
            )
            link = next(m for m in record.followups if "upload limit" in m.content)
            assert "/renders/" in link.content and not link.attachments


async def test_a_3000_character_reply_is_split(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    sandbox.sandbox.faults.reply_text_once = "\n".join(
        f"Paragraph {n}: " + "words " * 20 for n in range(25)
    )
    async with discord_bot(tmp_path, fake, sandbox):
        await fake.user_message(
            CHANNEL, ALICE, _mention("tell me a story"), guild_id=GUILD, mentions_bot=True
        )
        await fake.wait_for_message(CHANNEL, lambda m: "Paragraph 24" in m.content)
        parts = [m for m in fake.messages(CHANNEL) if "Paragraph" in m.content]
        assert len(parts) >= 2 and all(len(m.content) <= 2000 for m in parts)
        assert not [r for r in fake.requests if r.status >= 400]


async def test_everyone_and_role_mentions_in_text_ping_nobody(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    sandbox.sandbox.faults.reply_text_once = (
        f"Hello @everyone and @here and <@&{ROLE}> and <@{BOB}>!"
    )
    async with discord_bot(tmp_path, fake, sandbox):
        await fake.user_message(
            CHANNEL,
            ALICE,
            _mention(f"@everyone <@&{ROLE}> say hi"),
            guild_id=GUILD,
            mentions_bot=True,
            mention_roles=[ROLE],
            mention_everyone=True,
        )
        answer = await fake.wait_for_message(CHANNEL, lambda m: "Hello @everyone" in m.content)
        assert answer.pinged == frozenset()
        assert all(not m.pinged for m in fake.messages(CHANNEL))


async def test_edits_meeting_429_still_land_the_final_text(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    async with running_fake_discord(FakeDiscordOptions(rate_limit_per_channel=(3, 1.0))) as fake:
        _world(fake)
        sandbox.sandbox.options.chunk_delay_seconds = 0.05
        async with discord_bot(tmp_path, fake, sandbox):
            fake.fail_next("PATCH", f"/channels/{CHANNEL}/messages", times=2)
            await fake.user_message(
                CHANNEL, ALICE, _mention("what can you do?"), guild_id=GUILD, mentions_bot=True
            )
            final = await fake.wait_for_message(
                CHANNEL, lambda m: "generate images" in m.content and bool(m.components), timeout=30
            )
            assert final.content.count("generate images") == 1


async def test_without_the_message_content_intent_it_says_so_and_still_answers_mentions(
    tmp_path: Path, sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    options = FakeDiscordOptions(message_content_intent_enabled=False)
    async with running_fake_discord(options) as fake:
        _world(fake)
        async with discord_bot(tmp_path, fake, sandbox):
            await fake.user_message(
                CHANNEL, ALICE, _mention("credits"), guild_id=GUILD, mentions_bot=True
            )
            await fake.wait_for_message(CHANNEL, lambda m: m.content.startswith("💳"))
    lines = [r.getMessage() for r in caplog.records if "Message Content intent" in r.getMessage()]
    assert len(lines) == 1


async def test_a_stop_while_the_gateway_is_down_at_start_ends_the_adapter(
    tmp_path: Path, fake: FakeDiscord, sandbox: RunningSandbox
) -> None:
    fake.gateway_outage(True)
    async with discord_bot(tmp_path, fake, sandbox, connected=False) as bot:
        await fake.wait_for(lambda f: f.refused_connections >= 1)
        assert not bot.engine.platforms.receiving("discord")
    # Leaving the block stopped the adapter within the harness's 10 s, outage or not.
    assert fake.gateway_connections == []
