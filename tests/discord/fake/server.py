"""FakeDiscord: the aiohttp app and the public API tests use."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import yarl
from aiohttp import web
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.discord.fake.core import FakeCore
from tests.discord.fake.driving import Driver
from tests.discord.fake.gateway import GatewayConnection, GatewaySession
from tests.discord.fake.interactions import InteractionRoutes
from tests.discord.fake.messages import MessageService
from tests.discord.fake.middleware import fake_middleware
from tests.discord.fake.options import FakeDiscordOptions
from tests.discord.fake.records import (
    Fault,
    InteractionRecord,
    RateLimitHit,
    RecordedRequest,
    StoredMessage,
)
from tests.discord.fake.rest_messages import API, ChannelMessageRoutes
from tests.discord.fake.rest_misc import MiscRoutes
from tests.discord.fake.world import Guild, User


class FakeDiscord(Driver):
    """An in-process Discord (REST v10 + Gateway) that the real discord.py connects to."""

    def __init__(self, options: FakeDiscordOptions | None = None) -> None:
        self.options = options or FakeDiscordOptions()
        core = FakeCore(self.options)
        super().__init__(core, MessageService(core))
        self._runner: web.AppRunner | None = None

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on 127.0.0.1, on a free port."""
        app = web.Application(middlewares=[fake_middleware(self.core)])
        for routes in (
            ChannelMessageRoutes(self.core, self._service),
            InteractionRoutes(self.core, self._service),
            MiscRoutes(self.core),
        ):
            routes.register(app.router)
        app.router.add_get("/gateway", self.core.hub.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.core.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Close websockets, stop serving, finish pending notifications."""
        await self.core.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.core.stop_notifier()

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        return self.core.url

    @property
    def gateway_url(self) -> str:
        """ws://127.0.0.1:PORT/gateway"""
        return self.core.gateway_url()

    @contextlib.contextmanager
    def point_discord_py_here(self) -> Iterator[None]:
        """Aim discord.py's Route.BASE and DEFAULT_GATEWAY at this fake; restore on exit."""
        old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = f"{self.url}{API}"
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway

    # --- world setup -------------------------------------------------------------------

    def add_guild(
        self,
        guild_id: int,
        name: str = "Guild",
        *,
        premium_tier: int = 0,
        channels: list[tuple[int, str]] | None = None,
        roles: list[tuple[int, str]] | list[tuple[int, str, int]] | None = None,
        threads: list[tuple[int, int, str]] | None = None,
    ) -> Guild:
        """Add a guild (roles: id, name and optionally permissions); a connected bot gets
        its GUILD_CREATE at once."""
        guild = self.core.world.add_guild(
            guild_id,
            name,
            premium_tier=premium_tier,
            channels=channels or [],
            roles=roles or [],
            threads=threads or [],
        )
        payload = self.core.world.guild_payload(guild, gateway=True)
        # A guild joined mid-session has no "unavailable" key: discord.py then fires guild_join.
        del payload["unavailable"]
        self.core.hub.dispatch("GUILD_CREATE", payload, guild_id=guild_id)
        self.core.changed()
        return guild

    def guild_id_on_shard(self, shard_id: int, shard_count: int) -> int:
        """A new guild id whose events go to `shard_id` of `shard_count` (for add_guild)."""
        return self.core.snowflakes.next_on_shard(shard_id, shard_count)

    def add_user(self, user_id: int, name: str, *, bot: bool = False) -> User:
        """Add a user (a member of every guild)."""
        return self.core.world.add_user(user_id, name, bot=bot)

    def give_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        """Give a member a role (before the bot connects: it learns members at GUILD_CREATE)."""
        self.core.world.give_role(guild_id, user_id, role_id)

    def dm_channel(self, user_id: int) -> int:
        """The bot's DM channel with a user (the one POST /users/@me/channels returns)."""
        return self.core.world.dm_channel(user_id)

    def private_channel(self, user_id: int) -> int:
        """A DM between the user and someone else: only a user-installed app can answer there."""
        return self.core.world.private_channel(user_id)

    def advance_time(self, seconds: float) -> None:
        """Move the fake's clock: interaction deadlines and rate-limit windows pass at once."""
        self.core.advance_time(seconds)

    # --- gateway control ---------------------------------------------------------------

    async def send_raw(
        self, op_or_event: int | str, data: Any = None, *, guild_id: int | None = None
    ) -> None:
        """An opcode frame to every live connection, or a named dispatch to the sessions."""
        if isinstance(op_or_event, str):
            frames = self.core.hub.dispatch(op_or_event, data or {}, guild_id=guild_id)
        else:
            frames = [c.send_op(op_or_event, data) for c in self.core.hub.connections if c.live]
        if frames:
            await asyncio.gather(*frames)

    def gateway_outage(self, on: bool) -> None:
        """While on, new gateway connections are refused (503); live ones are left alone."""
        self.core.hub.refusing = on

    async def disconnect_bot(self, code: int = 4000, *, shard: int | None = None) -> int:
        """Close every live gateway connection (or only `shard`'s) with `code`; returns how many."""
        frames = self.core.hub.disconnect(code, shard)
        if frames:
            await asyncio.gather(*frames)
        return len(frames)

    @property
    def refused_connections(self) -> int:
        """How many websockets gateway_outage() refused."""
        return self.core.hub.refused

    @property
    def gateway_connections(self) -> list[GatewayConnection]:
        """Every websocket ever opened, oldest first."""
        return self.core.hub.connections

    @property
    def sessions(self) -> dict[str, GatewaySession]:
        """Sessions that are connected or still resumable."""
        return self.core.hub.sessions

    def live_sessions(self) -> list[GatewaySession]:
        """Sessions with an open connection."""
        return self.core.hub.live_sessions()

    @property
    def identifies(self) -> list[dict[str, Any]]:
        """Every IDENTIFY payload received (token redacted)."""
        return [f["d"] for c in self.gateway_connections for f in c.received if f["op"] == 2]

    # --- inspection --------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every HTTP request, oldest first."""
        return self.core.requests

    @property
    def internal_errors(self) -> list[BaseException]:
        """Bugs the fake hit while answering (each also logged)."""
        return self.core.internal_errors

    @property
    def rate_limited(self) -> list[RateLimitHit]:
        """Every 429 answered (injected ones included)."""
        return self.core.rate_limited

    @property
    def interactions(self) -> dict[str, InteractionRecord]:
        """Interactions sent to the bot, by token."""
        return self.core.interactions

    @property
    def commands(self) -> list[dict[str, Any]]:
        """Global application commands as last synced."""
        return self.core.commands

    @property
    def guild_commands(self) -> dict[int, list[dict[str, Any]]]:
        """Guild application commands as last synced, by guild id."""
        return self.core.guild_commands

    def messages(self, channel_id: int) -> list[StoredMessage]:
        """The bot's messages in a channel, oldest first (deleted ones flagged, not dropped)."""
        return self.core.world.bot_messages(channel_id)

    def all_bot_messages(self) -> list[StoredMessage]:
        """The bot's messages everywhere, oldest first."""
        return self.core.world.bot_messages()

    def channel_history(self, channel_id: int) -> list[StoredMessage]:
        """Every message of a channel, the users' included."""
        return self.core.world.channel_history(channel_id)

    def typing(self, channel_id: int) -> list[float]:
        """When the bot triggered typing in a channel (fake clock)."""
        return list(self.core.typing.get(channel_id, []))

    def fail_next(
        self,
        method: str,
        path_prefix: str,
        *,
        times: int = 1,
        status: int = 429,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` matching requests with an error instead.

        path_prefix is matched against the path after /api/v10 (or the full path when it
        starts with /api/). A 429 gets Discord's body and headers unless given.
        """
        self.core.faults.append(
            Fault(method.upper(), path_prefix, times, status, body, headers or {})
        )

    # --- waiting -----------------------------------------------------------------------

    async def wait_for(
        self, predicate: Callable[[FakeDiscord], object], timeout: float = 10.0, *, what: str = ""
    ) -> object:
        """Wait until predicate(fake) is truthy, re-checked on every change; returns its value."""
        condition = self.core.condition
        try:
            async with condition:
                return await asyncio.wait_for(condition.wait_for(lambda: predicate(self)), timeout)
        except TimeoutError:
            raise TimeoutError(self._timeout_report(what or repr(predicate), timeout)) from None

    async def wait_for_message(
        self,
        channel_id: int,
        predicate: Callable[[StoredMessage], bool] | None = None,
        timeout: float = 10.0,
    ) -> StoredMessage:
        """The first live bot message in the channel matching predicate."""

        def find(_: FakeDiscord) -> StoredMessage | None:
            for msg in self.messages(channel_id):
                if not msg.deleted and (predicate is None or predicate(msg)):
                    return msg
            return None

        found = await self.wait_for(find, timeout, what=f"a bot message in channel {channel_id}")
        assert isinstance(found, StoredMessage)
        return found

    async def wait_connected(
        self, timeout: float = 10.0, *, shard: int | None = None
    ) -> GatewaySession:
        """A session (on `shard`, when given) whose READY and GUILD_CREATEs were delivered."""

        def ready(_: FakeDiscord) -> GatewaySession | None:
            live = self.core.hub.live_sessions()
            return next(
                (s for s in live if s.ready_complete and (shard is None or _shard(s) == shard)),
                None,
            )

        found = await self.wait_for(ready, timeout, what="a connected, READY bot")
        assert isinstance(found, GatewaySession)
        return found

    def _timeout_report(self, what: str, timeout: float) -> str:
        recent = "\n  ".join(str(r) for r in self.requests[-12:]) or "(none)"
        live = len(self.core.hub.live_sessions())
        report = (
            f"timed out after {timeout}s waiting for {what}\n"
            f"live gateway sessions: {live}\nlast requests:\n  {recent}"
        )
        if self.internal_errors:
            report += f"\nfake Discord internal errors: {self.internal_errors!r}"
        return report


def _shard(session: GatewaySession) -> int | None:
    return session.shard[0] if session.shard is not None else None


@contextlib.asynccontextmanager
async def running_fake_discord(
    options: FakeDiscordOptions | None = None,
) -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord, stopped (websockets closed, tasks ended) on exit."""
    fake = FakeDiscord(options)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    if fake.internal_errors:
        raise AssertionError(f"the fake Discord itself failed: {fake.internal_errors!r}")
