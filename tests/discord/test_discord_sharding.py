"""Two workers share one bot's gateway by shards; each answers what its shards receive.

Each worker is a real DiscordAdapter on its own Engine, SQLite store and sandbox, so the
sandbox a turn reached tells which worker ran it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from bot.core.messages import ChatRef
from tests.discord.fake import (
    FakeDiscord,
    FakeDiscordOptions,
    StoredMessage,
    running_fake_discord,
    shard_of,
)
from tests.discord.harness import DiscordBot, discord_bot
from tests.engine.harness import eventually, fast_sandbox

CHANNELS = (1700000000000000011, 1700000000000000111)  # one channel per shard's guild
ALICE = 1800000000000000001
ANSWER = "generate images"  # in the sandbox's reply to "what can you do?"


@dataclass
class Workers:
    """The fake, a guild on each of two shards, and the worker holding each shard."""

    fake: FakeDiscord
    guilds: tuple[int, int]
    workers: tuple[DiscordBot, DiscordBot]

    def receiving(self, shard: int) -> bool:
        return self.workers[shard].engine.platforms.receiving("discord")

    def turns(self, shard: int) -> int:
        """Agent turns run by the worker holding `shard`."""
        return self.workers[shard].sandbox.sandbox.sse_calls

    async def mention(self, shard: int, text: str) -> None:
        await self.fake.user_message(
            CHANNELS[shard],
            ALICE,
            f"<@{FakeDiscordOptions().application_id}> {text}",
            guild_id=self.guilds[shard],
            mentions_bot=True,
        )


@asynccontextmanager
async def two_workers(tmp_path: Path) -> AsyncIterator[Workers]:
    """DISCORD_SHARD_COUNT=2; one worker with DISCORD_SHARD_IDS=0, one with 1."""
    async with running_fake_discord() as fake, fast_sandbox() as zero, fast_sandbox() as one:
        guilds = (fake.guild_id_on_shard(0, 2), fake.guild_id_on_shard(1, 2))
        for shard, guild in enumerate(guilds):
            fake.add_guild(guild, f"Shard {shard}", channels=[(CHANNELS[shard], "general")])
        fake.add_user(ALICE, "alice")
        folders = (tmp_path / "worker0", tmp_path / "worker1")
        for folder in folders:
            folder.mkdir()
        async with (
            discord_bot(
                folders[0], fake, zero, DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="0"
            ) as first,
            discord_bot(
                folders[1], fake, one, DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="1"
            ) as second,
        ):
            yield Workers(fake, guilds, (first, second))


def _answers(fake: FakeDiscord, channel: int) -> list[StoredMessage]:
    """The bot's finished answers to "what can you do?" in a channel."""
    return [m for m in fake.messages(channel) if ANSWER in m.content and m.components]


async def _answered(fake: FakeDiscord, channel: int, count: int) -> None:
    await fake.wait_for(lambda f: len(_answers(f, channel)) >= count, 30, what=f"{count} answers")


async def test_guild_messages_go_to_their_shards_worker_and_dms_to_shard_0s(
    tmp_path: Path,
) -> None:
    async with two_workers(tmp_path) as w:
        fake = w.fake
        assert [shard_of(g, 2) for g in w.guilds] == [0, 1]
        dm = fake.dm_channel(ALICE)
        await w.mention(1, "what can you do?")
        await _answered(fake, CHANNELS[1], 1)
        await fake.user_message(dm, ALICE, "what can you do?")
        await _answered(fake, dm, 1)
        # Each worker serves Alice's messages in order: had worker 0 received the first one
        # (or worker 1 the DM), it would have answered it before the next one below.
        await w.mention(0, "what can you do?")
        await _answered(fake, CHANNELS[0], 1)
        await w.mention(1, "what can you do?")
        await _answered(fake, CHANNELS[1], 2)
        assert (w.turns(0), w.turns(1)) == (2, 2)
        assert [len(_answers(fake, c)) for c in (*CHANNELS, dm)] == [1, 2, 1]
        assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]


async def test_slash_commands_are_synced_once_and_imagine_works_on_either_shard(
    tmp_path: Path,
) -> None:
    async with two_workers(tmp_path) as w:
        fake = w.fake
        puts = [r for r in fake.requests if r.method == "PUT" and r.path.endswith("/commands")]
        assert len(puts) == 1 and puts[0].status == 200
        assert "imagine" in {c["name"] for c in fake.commands}
        await _imagine(w, 1)
        assert w.turns(0) == 0 and w.turns(1) >= 1
        on_one = w.turns(1)
        await _imagine(w, 0)
        assert w.turns(0) >= 1 and w.turns(1) == on_one
        # Had both workers received one, the second acknowledgement would be refused (40060).
        assert [str(r) for r in fake.requests if (r.status or 0) >= 400] == []


async def _imagine(w: Workers, shard: int) -> None:
    """/imagine in the guild on `shard`, answered with an image through the interaction."""
    record = await w.fake.slash_command(
        "imagine",
        ALICE,
        channel_id=CHANNELS[shard],
        guild_id=w.guilds[shard],
        options={"prompt": f"a fox on shard {shard}"},
    )
    await w.fake.wait_for(lambda f: record.ack_type == 5)
    await w.fake.wait_for(lambda f: any(m.attachments for m in record.followups), 30)


async def test_a_worker_answers_in_a_channel_of_another_workers_shard(tmp_path: Path) -> None:
    async with two_workers(tmp_path) as w:
        fake = w.fake
        pacer = w.workers[0].engine.platforms.get("discord")
        assert pacer is not None
        chat = ChatRef("discord", str(CHANNELS[1]), private=False, mention=str(ALICE))
        await pacer.send_typing(chat)
        [sent] = await pacer.send_text(chat, "from the other worker")
        await pacer.edit_text(chat, sent, "edited by the other worker")
        message = await fake.wait_for_message(
            CHANNELS[1], lambda m: m.content == "edited by the other worker"
        )
        assert message.via == "channel" and fake.typing(CHANNELS[1])
        lookups = [r for r in fake.requests if r.method == "GET" and str(CHANNELS[1]) in r.path]
        assert lookups == []  # straight to REST by channel id, no fetch of the channel first


async def test_health_follows_each_workers_own_shards_through_an_outage(
    tmp_path: Path,
) -> None:
    async with two_workers(tmp_path) as w:
        fake = w.fake
        assert w.receiving(0) and w.receiving(1)
        fake.gateway_outage(True)
        assert await fake.disconnect_bot(4000, shard=1) == 1
        await eventually(lambda: not w.receiving(1))
        await fake.wait_for(lambda f: f.refused_connections >= 1)  # it tried, and was refused
        assert not w.receiving(1) and w.receiving(0)
        fake.gateway_outage(False)
        await eventually(lambda: w.receiving(1), 30)
        assert w.receiving(0)
        await fake.wait_connected(shard=1)
        await w.mention(1, "what can you do?")
        await _answered(fake, CHANNELS[1], 1)


@pytest.mark.parametrize(
    ("env", "problems"),
    [
        ({"DISCORD_SHARD_IDS": "0"}, ["DISCORD_SHARD_IDS: needs DISCORD_SHARD_COUNT"]),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "2"}, ["DISCORD_SHARD_IDS"]),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "1,x"}, ["DISCORD_SHARD_IDS"]),
        ({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "1,1"}, ["DISCORD_SHARD_IDS"]),
        ({"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "-1"}, ["DISCORD_SHARD_IDS"]),
        (
            {"DISCORD_SHARD_COUNT": "0", "NEMOBOT_QUEUE_LIMIT": "x"},
            ["DISCORD_SHARD_COUNT", "NEMOBOT_QUEUE_LIMIT"],
        ),
    ],
)
def test_bad_shard_settings_are_named(env: dict[str, str], problems: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    message = str(caught.value)
    assert all(problem in message for problem in problems), message


def test_shard_settings_are_read() -> None:
    assert Settings.from_env({}).discord_shard_ids is None
    settings = Settings.from_env({"DISCORD_SHARD_COUNT": "4", "DISCORD_SHARD_IDS": "3, 1"})
    assert (settings.discord_shard_count, settings.discord_shard_ids) == (4, (3, 1))
    every = Settings.from_env({"DISCORD_SHARD_COUNT": "4"})
    assert (every.discord_shard_count, every.discord_shard_ids) == (4, None)
