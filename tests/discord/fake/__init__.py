"""An in-process fake of Discord's REST API (v10) and Gateway for discord.py tests.

async with running_fake_discord() as fake:
    fake.add_guild(GUILD, channels=[(CHANNEL, "general")])
    with fake.point_discord_py_here():
        ...  # run a real discord.Client against it
"""

from tests.discord.fake.clients import running_client
from tests.discord.fake.gateway import GatewayConnection, GatewaySession
from tests.discord.fake.ids import shard_of
from tests.discord.fake.mentions import role_ping, user_ping
from tests.discord.fake.options import FakeDiscordOptions, MiB
from tests.discord.fake.records import (
    InteractionRecord,
    MessageEdit,
    RateLimitHit,
    RecordedRequest,
    StoredAttachment,
    StoredMessage,
)
from tests.discord.fake.server import FakeDiscord, running_fake_discord

__all__ = [
    "FakeDiscord",
    "FakeDiscordOptions",
    "GatewayConnection",
    "GatewaySession",
    "InteractionRecord",
    "MessageEdit",
    "MiB",
    "RateLimitHit",
    "RecordedRequest",
    "StoredAttachment",
    "StoredMessage",
    "role_ping",
    "running_client",
    "running_fake_discord",
    "shard_of",
    "user_ping",
]
