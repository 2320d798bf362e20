"""The fake Discord answers the real discord.py the way Discord does."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.discord.fake import (
    FakeDiscord,
    FakeDiscordOptions,
    MiB,
    role_ping,
    running_client,
    running_fake_discord,
    shard_of,
    user_ping,
)

GUILD = 1100000000000000001
CHANNEL = 1100000000000000011
THREAD = 1100000000000000031
ROLE = 1100000000000000021
BOOSTED_GUILD = GUILD + (1 << 22)  # the other shard of two
BOOSTED_CHANNEL = 1100000000000000111
LATE_GUILD = 1100000000000000201
LATE_CHANNEL = 1100000000000000211
USER = 1200000000000000001
OTHER_USER = 1200000000000000002
PNG = b"\x89PNG\r\n\x1a\n" + b"pixels" * 10
WAIT = 5.0

Flow = Callable[[discord.Interaction, str, discord.Attachment | None], Awaitable[None]]


class Bot(discord.Client):
    """A discord.py client that queues what it receives."""

    def __init__(self, *, message_content: bool = True, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(intents=intents, guild_ready_timeout=0.05, **options)
        self.tree = app_commands.CommandTree(self)
        self.inbox: asyncio.Queue[discord.Message] = asyncio.Queue()
        self.presses: asyncio.Queue[int] = asyncio.Queue()
        self.joined: asyncio.Queue[discord.Guild] = asyncio.Queue()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(RetryButton)

    async def on_message(self, message: discord.Message) -> None:
        self.inbox.put_nowait(message)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        self.joined.put_nowait(guild)

    async def next_message(self, *, author_id: int | None = None) -> discord.Message:
        """The next message event (from author_id, when given), within WAIT seconds."""
        async with asyncio.timeout(WAIT):
            while True:
                message = await self.inbox.get()
                if author_id is None or message.author.id == author_id:
                    return message


class RetryButton(discord.ui.DynamicItem[discord.ui.Button], template=r"nemo:retry:(?P<job>\d+)"):
    """A persistent button whose state lives in its custom_id."""

    def __init__(self, job: int) -> None:
        super().__init__(discord.ui.Button(label="Retry", custom_id=f"nemo:retry:{job}"))
        self.job = job

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> RetryButton:
        return cls(int(match["job"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(content=f"retrying {self.job}", view=None)
        client = interaction.client
        assert isinstance(client, Bot)
        client.presses.put_nowait(self.job)


class EagerShards(discord.AutoShardedClient):
    """Identifies every shard at once (discord.py waits 5 s between them, as Discord asks)."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


def add_imagine(bot: Bot, flow: Flow) -> None:
    """Register /imagine prompt:<str> [image:<attachment>] running `flow`."""

    @bot.tree.command(name="imagine", description="Make an image")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def imagine(
        interaction: discord.Interaction, prompt: str, image: discord.Attachment | None = None
    ) -> None:
        await flow(interaction, prompt, image)


def populate(fake: FakeDiscord) -> None:
    """Two users, a tier-0 guild with a thread and a role, a tier-2 guild."""
    fake.add_user(USER, "alice")
    fake.add_user(OTHER_USER, "bob")
    fake.add_guild(
        GUILD,
        "Studio",
        channels=[(CHANNEL, "general")],
        roles=[(ROLE, "artists")],
        threads=[(THREAD, CHANNEL, "renders")],
    )
    fake.add_guild(BOOSTED_GUILD, "Boosted", premium_tier=2, channels=[(BOOSTED_CHANNEL, "big")])


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake_discord() as running:
        populate(running)
        yield running


@pytest.fixture
async def fake_factory() -> AsyncIterator[Callable[..., Awaitable[FakeDiscord]]]:
    """Fakes with non-default options, stopped (and checked) after the test."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(**options: Any) -> FakeDiscord:
            fake_options = FakeDiscordOptions(**options)
            running = await stack.enter_async_context(running_fake_discord(fake_options))
            populate(running)
            return running

        yield make


def text_channel(bot: discord.Client, channel_id: int = CHANNEL) -> discord.TextChannel:
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


# --- connecting ----------------------------------------------------------------------------


async def test_connect_fires_on_ready_with_guilds_channels_and_threads(fake: FakeDiscord) -> None:
    bot = Bot()
    ready = asyncio.Event()
    bot.event(_set_on(ready, "on_ready"))
    async with running_client(fake, bot):
        await asyncio.wait_for(ready.wait(), WAIT)
        guild = bot.get_guild(GUILD)
        assert guild is not None and guild.name == "Studio"
        assert text_channel(bot).name == "general"
        thread = guild.get_thread(THREAD)
        assert thread is not None and thread.parent_id == CHANNEL
        assert guild.get_role(ROLE) is not None and guild.me.id == fake.options.application_id
        assert bot.user is not None and bot.user.bot and bot.user.name == "nemobot"
        assert bot.latency < 1.0  # the first heartbeat was ACKed
        assert bot.get_guild(BOOSTED_GUILD).filesize_limit == 50 * MiB
        assert (await bot.fetch_channel(THREAD)).name == "renders"
        assert (await bot.fetch_guild(GUILD)).premium_tier == 0
        assert (await guild.fetch_member(USER)).name == "alice"
        session = await fake.wait_connected()
        fake.add_guild(LATE_GUILD, "Late", channels=[(LATE_CHANNEL, "new")])
        joined = await asyncio.wait_for(bot.joined.get(), WAIT)
        assert joined.id == LATE_GUILD and text_channel(bot, LATE_CHANNEL).name == "new"
    assert session.intents == bot.intents.value
    assert fake.identifies[0]["token"] == "<redacted>"


def _set_on(event: asyncio.Event, name: str) -> Callable[[], Awaitable[None]]:
    async def handler() -> None:
        event.set()

    handler.__name__ = name
    return handler


async def test_wrong_token_is_a_login_failure_and_never_recorded(fake: FakeDiscord) -> None:
    with pytest.raises(discord.LoginFailure):
        async with running_client(fake, Bot(), token="not-the-token"):
            pass
    assert fake.requests[0].status == 401 and fake.requests[0].auth == "wrong"
    assert fake.options.token not in repr(fake.requests)


async def test_rest_routing_answers_like_discord(fake: FakeDiscord) -> None:
    api = f"{fake.url}/api/v10"
    auth = {"Authorization": f"Bot {fake.options.token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api}/no/such/route", headers=auth) as response:
            assert response.status == 404
            assert await response.json() == {"message": "404: Not Found", "code": 0}
        async with http.get(f"{api}/users/@me") as response:
            assert response.status == 401
            assert await response.json() == {"message": "401: Unauthorized", "code": 0}
        async with http.get(f"{api}/gateway/bot", headers=auth) as response:
            body = await response.json()
            assert body["url"] == fake.gateway_url and body["shards"] == 1
            assert response.headers["X-RateLimit-Remaining"]
        dm = {"recipient_id": str(USER)}
        async with http.post(f"{api}/users/@me/channels", json=dm, headers=auth) as response:
            assert (await response.json())["id"] == str(fake.dm_channel(USER))
    with pytest.raises(TimeoutError, match=r"(?s)last requests:.*POST /users/@me/channels -> 200"):
        await fake.wait_for(lambda f: False, timeout=0.05, what="nothing")


async def test_message_content_intent_not_enabled_raises_privileged_intents_required(
    fake_factory: Callable[..., Awaitable[FakeDiscord]],
) -> None:
    fake = await fake_factory(message_content_intent_enabled=False)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_client(fake, Bot()):
            pass
    assert fake.gateway_connections[0].close_code == 4014
    # Without asking for the intent the bot connects, and sees content only when mentioned.
    async with running_client(fake, Bot(message_content=False)) as bot:
        await fake.user_message(CHANNEL, USER, "hidden words", guild_id=GUILD)
        assert (await bot.next_message()).content == ""
        mention = f"<@{fake.options.application_id}> draw a cat"
        await fake.user_message(CHANNEL, USER, mention, guild_id=GUILD, mentions_bot=True)
        assert (await bot.next_message()).content == mention


async def test_clean_close_ends_connect_and_the_socket(fake: FakeDiscord) -> None:
    bot = Bot()
    async with running_client(fake, bot):
        await fake.wait_connected()
    assert bot.is_closed()
    # aiohttp's close() interrupts discord.py's reader, which closes with 4000 first.
    assert fake.gateway_connections[0].close_code in (1000, 4000)
    assert not fake.live_sessions()


async def test_forced_disconnect_resumes_and_replays_missed_events(fake: FakeDiscord) -> None:
    async with running_client(fake, Bot()) as bot:
        assert await fake.disconnect_bot(4000) == 1
        await fake.user_message(CHANNEL, USER, "sent while away", guild_id=GUILD)
        assert (await bot.next_message()).content == "sent while away"
        await fake.wait_for(lambda f: any(c.resumed for c in f.gateway_connections))
    assert len(fake.identifies) == 1


async def test_shards_get_only_their_guilds_and_dms_go_to_shard_zero(fake: FakeDiscord) -> None:
    shard_of = {g: (g >> 22) % 2 for g in (GUILD, BOOSTED_GUILD)}
    assert sorted(shard_of.values()) == [0, 1]
    zero, one = Bot(shard_id=0, shard_count=2), Bot(shard_id=1, shard_count=2)
    async with running_client(fake, zero), running_client(fake, one):
        assert [g.id for g in zero.guilds] == [g for g, s in shard_of.items() if s == 0]
        assert [g.id for g in one.guilds] == [g for g, s in shard_of.items() if s == 1]
        await fake.user_message(fake.dm_channel(USER), USER, "psst")
        assert (await zero.next_message()).content == "psst"
        assert one.inbox.empty()
    assert sorted(i["shard"][0] for i in fake.identifies) == [0, 1]


async def test_an_autosharded_client_takes_the_recommended_count_and_guilds_land_as_asked(
    fake_factory: Callable[..., Awaitable[FakeDiscord]],
) -> None:
    fake = await fake_factory(shards=3)
    placed = {shard: fake.guild_id_on_shard(shard, 3) for shard in (2, 0, 1)}
    assert {shard: shard_of(guild, 3) for shard, guild in placed.items()} == {2: 2, 0: 0, 1: 1}
    for shard, guild in placed.items():
        fake.add_guild(guild, f"On {shard}")
    bot = EagerShards(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    async with running_client(fake, bot):
        assert bot.shard_count == 3
        assert set(placed.values()) <= {g.id for g in bot.guilds}
        assert await fake.disconnect_bot(4000, shard=2) == 1
        await fake.wait_for(lambda f: any(c.resumed for c in f.gateway_connections))
        resumed = [c.session.shard for c in fake.gateway_connections if c.resumed and c.session]
        assert resumed == [(2, 3)]
    assert sorted(i["shard"] for i in fake.identifies) == [[0, 3], [1, 3], [2, 3]]


# --- messages --------------------------------------------------------------------------------


async def test_user_message_with_attachments_reaches_on_message(fake: FakeDiscord) -> None:
    async with running_client(fake, Bot()) as bot:
        sent = await fake.user_message(
            CHANNEL,
            USER,
            "make this blue",
            guild_id=GUILD,
            attachments=[("cat.png", "image/png", PNG)],
            attachment_size=3 * MiB,
        )
        message = await bot.next_message()
        assert message.id == int(sent["id"]) and message.content == "make this blue"
        assert message.author.id == USER and isinstance(message.author, discord.Member)
        image, large = message.attachments
        assert (image.filename, image.content_type, image.size) == (
            "cat.png",
            "image/png",
            len(PNG),
        )
        assert await image.read() == PNG
        assert large.size == 3 * MiB and len(await large.read()) == 3 * MiB


async def test_bot_messages_are_echoed_edited_and_deleted(fake: FakeDiscord) -> None:
    async with running_client(fake, Bot()) as bot:
        sent = await text_channel(bot).send(
            "rendering…", file=discord.File(io.BytesIO(PNG), "a.png")
        )
        echo = await bot.next_message()
        assert echo.id == sent.id and echo.author == bot.user
        await sent.edit(content="done")
        await sent.delete()
        await fake.user_message(CHANNEL, USER, "not yours", guild_id=GUILD)
        theirs = await bot.next_message()
        with pytest.raises(discord.Forbidden) as caught:
            await theirs.edit(content="hijack")
        assert caught.value.code == 50005
    (stored,) = fake.messages(CHANNEL)
    assert stored.content_history == ["rendering…", "done"] and stored.deleted
    assert stored.via == "channel" and stored.attachments[0].content == PNG
    assert stored.attachments[0].content_type == "image/png"


async def test_message_limits_are_enforced_like_discord(fake: FakeDiscord) -> None:
    async with running_client(fake, Bot()) as bot:
        channel = text_channel(bot)
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert (too_long.value.status, too_long.value.code) == (400, 50035)
        assert "2000 or fewer" in too_long.value.text
        await channel.send("x" * 2000)
        for empty in ({"content": ""}, {"content": "   "}, {}):
            with pytest.raises(discord.HTTPException) as caught:
                await channel.send(**empty)
            assert (caught.value.status, caught.value.code) == (400, 50006)
        files = [discord.File(io.BytesIO(b"x"), f"{i}.txt") for i in range(11)]
        with pytest.raises(discord.HTTPException) as too_many:
            await channel.send(files=files)
        assert too_many.value.code == 50035 and "10 or fewer" in too_many.value.text
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="go", custom_id="c" * 101))
        with pytest.raises(discord.HTTPException) as long_id:
            await channel.send("pick", view=view)
        assert long_id.value.code == 50035
    assert [m.content for m in fake.messages(CHANNEL)] == ["x" * 2000]


async def test_file_size_limit_follows_the_guild_boost_tier(fake: FakeDiscord) -> None:
    def over(limit: int) -> discord.File:
        return discord.File(io.BytesIO(bytes(limit + 1)), "render.mp4")

    async with running_client(fake, Bot()) as bot:
        with pytest.raises(discord.HTTPException) as too_big:
            await text_channel(bot).send(file=over(10 * MiB))
        assert (too_big.value.status, too_big.value.code) == (413, 40005)
        boosted = text_channel(bot, BOOSTED_CHANNEL)
        await boosted.send(file=over(10 * MiB))
        with pytest.raises(discord.HTTPException) as still_too_big:
            await boosted.send(file=over(50 * MiB))
        assert still_too_big.value.code == 40005
    (accepted,) = fake.messages(BOOSTED_CHANNEL)
    assert accepted.attachments[0].size == 10 * MiB + 1
    assert fake.messages(CHANNEL) == []


async def test_pings_follow_allowed_mentions(fake: FakeDiscord) -> None:
    async with running_client(fake, Bot()) as bot:
        channel = text_channel(bot)
        content = f"@everyone <@&{ROLE}> <@{USER}>"
        await channel.send(content, allowed_mentions=discord.AllowedMentions.none())
        await channel.send(content)
        # AllowedMentions(users=...) alone would still allow @everyone and roles.
        only = discord.AllowedMentions(everyone=False, roles=False, users=[discord.Object(USER)])
        await channel.send(content, allowed_mentions=only)
        await fake.user_message(CHANNEL, OTHER_USER, "draw me", guild_id=GUILD)
        question = await bot.next_message(author_id=OTHER_USER)
        await question.reply("on it")
        await question.reply("quietly", mention_author=False)
    silent, loud, only_user, reply, quiet_reply = fake.messages(CHANNEL)
    assert silent.pinged == frozenset() and silent.allowed_mentions == {"parse": []}
    assert loud.allowed_mentions is None
    assert loud.pinged == {"everyone", role_ping(ROLE), user_ping(USER)}
    assert only_user.pinged == {user_ping(USER)}
    assert reply.pinged == {user_ping(OTHER_USER)} and reply.message_reference is not None
    assert quiet_reply.pinged == frozenset()


async def test_dm_reaches_on_message_with_a_dm_channel(fake: FakeDiscord) -> None:
    dm = fake.dm_channel(USER)
    async with running_client(fake, Bot()) as bot:
        await fake.user_message(dm, USER, "hi bot")
        message = await bot.next_message()
        assert isinstance(message.channel, discord.DMChannel) and message.guild is None
        await message.channel.send("hi alice")
        user = await bot.fetch_user(USER)
        assert (await user.create_dm()).id == dm
        async with message.channel.typing():
            pass
    assert [m.content for m in fake.messages(dm)] == ["hi alice"]
    assert fake.typing(dm)


async def test_rate_limited_sends_still_all_arrive(
    fake_factory: Callable[..., Awaitable[FakeDiscord]],
) -> None:
    fake = await fake_factory(rate_limit_per_channel=(2, 1.0), retry_after=0.2)
    async with running_client(fake, Bot()) as bot:
        channel = text_channel(bot)
        first = await channel.send("0")
        # Different discord.py buckets, one channel limit: one of these two gets a 429.
        await asyncio.gather(channel.send("1"), first.edit(content="0 edited"))
        await asyncio.gather(*(channel.send(str(n)) for n in range(2, 6)))
    contents = sorted(m.content for m in fake.messages(CHANNEL))
    assert contents == ["0 edited", "1", "2", "3", "4", "5"]
    assert fake.rate_limited and fake.rate_limited[0].retry_after == 0.2
    assert any(r.status == 429 for r in fake.requests)


async def test_injected_failures_surface_as_discord_py_errors(fake: FakeDiscord) -> None:
    path = f"/channels/{CHANNEL}/messages"
    fake.fail_next("POST", path)
    async with running_client(fake, Bot()) as bot:
        await text_channel(bot).send("after one 429")
        fake.fail_next(
            "POST", path, status=403, body={"message": "Missing Permissions", "code": 50013}
        )
        with pytest.raises(discord.Forbidden) as caught:
            await text_channel(bot).send("forbidden")
        assert caught.value.code == 50013
    assert [r.status for r in fake.requests if r.path == path] == [429, 200, 403]
    assert fake.rate_limited[0].injected


# --- interactions ----------------------------------------------------------------------------


async def test_slash_command_defer_followup_and_edit(fake: FakeDiscord) -> None:
    done: asyncio.Future[tuple[int, int, bytes]] = asyncio.get_running_loop().create_future()

    async def flow(
        interaction: discord.Interaction, prompt: str, image: discord.Attachment | None
    ) -> None:
        await interaction.response.defer()
        first = await interaction.followup.send(f"working on {prompt}")
        second = await interaction.followup.send("second")
        await interaction.edit_original_response(content="done")
        assert image is not None
        done.set_result((first.id, second.id, await image.read()))

    bot = Bot()
    add_imagine(bot, flow)
    async with running_client(fake, bot):
        await bot.tree.sync()
        record = await fake.slash_command(
            "imagine",
            USER,
            channel_id=CHANNEL,
            guild_id=GUILD,
            options={"prompt": "a cat"},
            attachment=("cat.png", "image/png", PNG),
        )
        first_id, second_id, image_bytes = await asyncio.wait_for(done, WAIT)
    (command,) = fake.commands
    assert command["integration_types"] == [0, 1] and command["contexts"] == [0, 1, 2]
    assert record.payload["data"]["id"] == command["id"]
    assert record.ack_type == 5 and image_bytes == PNG
    original = record.original
    assert original is not None and original.id == first_id
    assert original.content_history == ["", "working on a cat", "done"]
    assert [m.id for m in record.followups] == [second_id]
    assert [m.via for m in fake.messages(CHANNEL)] == [
        "interaction-original",
        "interaction-followup",
    ]


async def test_acknowledging_after_the_deadline_is_unknown_interaction(
    fake_factory: Callable[..., Awaitable[FakeDiscord]],
) -> None:
    fake = await fake_factory(interaction_ack_seconds=0.2)
    started, proceed = asyncio.Event(), asyncio.Event()
    outcome: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    async def flow(
        interaction: discord.Interaction, prompt: str, image: discord.Attachment | None
    ) -> None:
        started.set()
        await proceed.wait()
        try:
            await interaction.response.defer()
        except discord.HTTPException as error:
            outcome.set_result(error)

    bot = Bot()
    add_imagine(bot, flow)
    async with running_client(fake, bot):
        record = await fake.slash_command(
            "imagine", USER, channel_id=CHANNEL, options={"prompt": "x"}
        )
        await asyncio.wait_for(started.wait(), WAIT)
        fake.advance_time(0.5)
        proceed.set()
        error = await asyncio.wait_for(outcome, WAIT)
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert not record.acknowledged and [a[1:] for a in record.callback_attempts] == [(5, 404)]


async def test_second_acknowledgement_is_rejected(fake: FakeDiscord) -> None:
    outcomes: asyncio.Queue[int] = asyncio.Queue()

    async def flow(
        interaction: discord.Interaction, prompt: str, image: discord.Attachment | None
    ) -> None:
        try:
            await interaction.response.send_message("mine")
            outcomes.put_nowait(0)
        except discord.HTTPException as error:
            outcomes.put_nowait(error.code)

    # Two processes on one token (e.g. an old instance still running) both answer.
    old, new = Bot(), Bot()
    add_imagine(old, flow)
    add_imagine(new, flow)
    async with running_client(fake, old), running_client(fake, new):
        record = await fake.slash_command(
            "imagine", USER, channel_id=CHANNEL, options={"prompt": "x"}
        )
        codes = sorted([await asyncio.wait_for(outcomes.get(), WAIT) for _ in range(2)])
    assert codes == [0, 40060]
    assert (
        record.ack_type == 4 and record.original is not None and record.original.content == "mine"
    )


async def test_followup_after_the_token_expired_is_invalid_webhook_token(
    fake_factory: Callable[..., Awaitable[FakeDiscord]],
) -> None:
    fake = await fake_factory(interaction_token_seconds=1.0)
    deferred, proceed = asyncio.Event(), asyncio.Event()
    outcome: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    async def flow(
        interaction: discord.Interaction, prompt: str, image: discord.Attachment | None
    ) -> None:
        await interaction.response.defer(ephemeral=True)
        deferred.set()
        await proceed.wait()
        try:
            await interaction.followup.send("too late")
        except discord.HTTPException as error:
            outcome.set_result(error)

    bot = Bot()
    add_imagine(bot, flow)
    async with running_client(fake, bot):
        record = await fake.slash_command(
            "imagine", USER, channel_id=CHANNEL, options={"prompt": "x"}
        )
        await asyncio.wait_for(deferred.wait(), WAIT)
        fake.advance_time(2.0)
        proceed.set()
        error = await asyncio.wait_for(outcome, WAIT)
    assert isinstance(error, discord.HTTPException) and (error.status, error.code) == (401, 50027)
    assert record.original is not None and record.original.loading and record.original.ephemeral


async def test_dynamic_button_works_after_a_client_restart(fake: FakeDiscord) -> None:
    async with running_client(fake, Bot()) as first:
        view = discord.ui.View(timeout=None)
        view.add_item(RetryButton(42))
        sent = await text_channel(first).send("render failed", view=view)
    assert fake.messages(CHANNEL)[0].custom_ids() == ["nemo:retry:42"]
    async with running_client(fake, Bot()) as second:
        record = await fake.press_button(
            sent.id, "nemo:retry:42", USER, channel_id=CHANNEL, guild_id=GUILD
        )
        assert await asyncio.wait_for(second.presses.get(), WAIT) == 42
    assert record.ack_type == 7 and len(fake.identifies) == 2
    (message,) = fake.messages(CHANNEL)
    assert message.content == "retrying 42" and message.components == []


async def test_user_installed_command_in_a_private_channel(fake: FakeDiscord) -> None:
    outcome: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    async def flow(
        interaction: discord.Interaction, prompt: str, image: discord.Attachment | None
    ) -> None:
        await interaction.response.send_message(f"drawing {prompt}")
        assert interaction.channel is not None
        try:
            await interaction.channel.send("the bot is not in this channel")
        except discord.HTTPException as error:
            outcome.set_result(error)

    bot = Bot()
    add_imagine(bot, flow)
    private = fake.private_channel(USER)
    async with running_client(fake, bot):
        record = await fake.slash_command(
            "imagine", USER, channel_id=private, options={"prompt": "x"}
        )
        error = await asyncio.wait_for(outcome, WAIT)
    assert isinstance(error, discord.Forbidden) and error.code == 50001
    assert record.payload["context"] == 2
    assert record.payload["authorizing_integration_owners"] == {"1": str(USER)}
    assert [m.content for m in fake.messages(private)] == ["drawing x"]
