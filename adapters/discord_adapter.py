"""The Discord adapter: a discord.py `AutoShardedClient` with slash commands and buttons.

`nemobot run` starts it when `DISCORD_BOT_TOKEN` is set. `DISCORD_API_BASE_URL` points it at
a Discord-compatible server instead (REST at `<root>/api/v10`; the gateway URL comes from that
server's `/gateway/bot`, for the first connection and every reconnect). `DISCORD_SHARD_COUNT`
and `DISCORD_SHARD_IDS` give this worker its share of the gateway (`adapters.dc.shards`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket

from adapters.dc.buttons import NemoButton, foreign, refuse
from adapters.dc.commands import install_commands, tree_for
from adapters.dc.events import guard_parsers
from adapters.dc.intake import addressed, message_of, press_of
from adapters.dc.limits import PLATFORM_RATE
from adapters.dc.outbox import PLATFORM, DiscordOutbox
from adapters.dc.shards import ShardLinks, ShardPlan
from adapters.dc.spool import Spool
from bot.config import DiscordConfig
from bot.core.engine import Accepted, Engine
from bot.core.messages import Attachment, IncomingMessage
from bot.core.ports import AdapterFailed

__all__ = ["DiscordAdapter"]

log = logging.getLogger(__name__)

_ATTACHMENT_CAP = 200 * 1024 * 1024  # NemoVideo's upload limit: nothing larger is fetched
_RETRY_SECONDS = 5.0
TOKEN_REFUSED = "Discord refused DISCORD_BOT_TOKEN; copy it again from the developer portal."
NO_CONTENT_INTENT = (
    "Discord: the Message Content intent is not enabled for this bot, so it only sees "
    "mentions, DMs and slash commands. Enable it in the developer portal (Bot → Privileged "
    "Gateway Intents → Message Content Intent) for replies without a mention."
)


def intents(*, message_content: bool = True) -> discord.Intents:
    """Guilds, guild messages, DMs and (when allowed) message content."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = message_content
    return wanted


class _Client(discord.AutoShardedClient):
    """discord.py's client on this worker's shards, handing what is addressed to the engine.

    Sharded or not it is the same client (unset, one shard of one): one path for events,
    health and reconnects, and `shard: [0, 1]` in IDENTIFY is Discord's "unsharded".
    """

    def __init__(
        self,
        engine: Engine,
        spool: Spool,
        wanted: discord.Intents,
        ready_timeout: float,
        plan: ShardPlan,
        *,
        answer_only: bool = False,
    ) -> None:
        super().__init__(
            intents=wanted,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=ready_timeout,
            shard_count=plan.count,
            shard_ids=list(plan.ids),
        )
        guard_parsers(self._connection.parsers)
        self._engine = engine
        self._spool = spool
        self._plan = plan
        # discord.py reconnects shards by itself; meanwhile health says not receiving.
        self._links = ShardLinks(plan, lambda up: engine.platforms.set_receiving(PLATFORM, up))
        self.tree = tree_for(self)
        install_commands(self.tree, self.on_command, engine.registry)
        self.outbox = DiscordOutbox(self)
        self._connected = False
        self._answer_only = answer_only

    def answer_only(self) -> None:
        """Send through the REST API without a gateway connection (NEMOBOT_ROLE=worker)."""
        self._engine.connect(self.outbox, platform_rate=PLATFORM_RATE)
        self._connected = True
        log.info("Discord: answering as %s (role worker: no gateway)", self.user)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(NemoButton)
        if not self._plan.syncs_commands or self._answer_only:
            return  # commands are global: shard 0's worker puts them, once for all workers
        try:
            await self.tree.sync()
        except discord.HTTPException as exc:
            log.warning("could not sync the Discord slash commands (HTTP %s)", exc.status)

    async def on_ready(self) -> None:
        if not self._connected:  # on_ready may come again when a shard identifies anew
            self._engine.connect(self.outbox, platform_rate=PLATFORM_RATE)
            self._connected = True
            log.info("Discord: connected as %s", self.user)
        self._engine.platforms.set_receiving(PLATFORM, self._links.all_up)

    async def on_shard_ready(self, shard_id: int) -> None:
        self._links.connected(shard_id)

    async def on_shard_resumed(self, shard_id: int) -> None:
        self._links.connected(shard_id, resumed=True)

    async def on_shard_disconnect(self, shard_id: int) -> None:
        self._links.disconnected(shard_id)

    async def on_message(self, message: discord.Message) -> None:
        if self.user is None or not addressed(message, self.user):
            return
        files = await self._keep(f"m{message.id}", message.attachments)
        await self._submit(message_of(message, self.user, files))

    async def on_command(
        self,
        interaction: discord.Interaction[Any],
        text: str,
        image: discord.Attachment | None,
        *,
        private: bool = False,
    ) -> None:
        """A slash command: acknowledged at once (3-second rule), then stored; a `private`
        one is answered where only the asker sees it."""
        await interaction.response.defer(thinking=True, ephemeral=private)
        files = await self._keep(f"i{interaction.id}", [image] if image else [])
        await self._submit(press_of(interaction, text, "s", files))

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """A component whose custom id is not one of our payloads gets a line only the
        presser sees and starts nothing (ours are taken by `NemoButton`)."""
        if foreign(interaction):
            await refuse(interaction)

    async def on_press(self, interaction: discord.Interaction[Any], payload: str) -> None:
        """A button press (already acknowledged by the button); what it did at once, if
        anything, is told to the presser alone."""
        accepted = await self._submit(press_of(interaction, payload, "c"))
        if accepted is not None and accepted.toast:
            try:
                await interaction.followup.send(accepted.toast, ephemeral=True)
            except discord.HTTPException as exc:
                log.debug("could not answer a button press (HTTP %s)", exc.status)

    async def _keep(self, key: str, attachments: Sequence[discord.Attachment]) -> list[Attachment]:
        kept = []
        for index, item in enumerate(attachments):
            kept.append(
                await self._spool.keep(
                    f"{key}-{index}", item.filename, item.url, item.size, item.content_type
                )
            )
        return kept

    async def _submit(self, incoming: IncomingMessage) -> Accepted | None:
        try:
            return await self._engine.submit(incoming)
        except Exception as exc:  # noqa: BLE001 - one line for the operator, never a traceback
            log.error("could not store a Discord message (%s: %s)", type(exc).__name__, exc)
            return None


class DiscordAdapter:
    """One Discord bot, run until told to stop."""

    platform = PLATFORM

    def __init__(self, config: DiscordConfig, *, ready_timeout: float = 2.0) -> None:
        self._config = config
        self._token = config.token
        self._ready_timeout = ready_timeout
        self._plan = ShardPlan.of(config)

    async def run(self, engine: Engine, stop: asyncio.Event) -> None:
        """Connect, receive into `engine` until `stop`, then disconnect."""
        async with self._pointed(), aiohttp.ClientSession() as cdn:
            spool = Spool(self._spool_folder(), cdn, _ATTACHMENT_CAP)
            spool.prepare()
            wanted = intents()
            while not stop.is_set():
                client = _Client(
                    engine,
                    spool,
                    wanted,
                    self._ready_timeout,
                    self._plan,
                    answer_only=self._config.answer_only,
                )
                try:
                    refused = await self._serve(client, stop)
                finally:
                    engine.disconnect(PLATFORM)
                    await client.close()
                if not refused or not wanted.message_content:
                    return
                log.warning("%s", NO_CONTENT_INTENT)
                wanted = intents(message_content=False)

    async def _serve(self, client: _Client, stop: asyncio.Event) -> bool:
        """Run one client until `stop`; True if Discord refused the message content intent."""
        await self._login(client, stop)
        if self._config.answer_only:
            # Answers only: the REST API is enough, the gateway is the ingress workers' job.
            client.answer_only()
            await stop.wait()
            return False
        connection = asyncio.create_task(client.connect(reconnect=True))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not connection.done():
            await client.close()
            # AutoShardedClient.launch_shard retries a failed first connection even once
            # closed (during a gateway outage at start, say): end it here.
            connection.cancel()
            await asyncio.gather(connection, return_exceptions=True)
            return False
        error = connection.exception()
        if isinstance(error, discord.PrivilegedIntentsRequired):
            return True
        if isinstance(error, discord.LoginFailure):
            raise AdapterFailed(TOKEN_REFUSED)
        if error is not None:
            raise AdapterFailed(f"the Discord connection ended ({type(error).__name__})")
        return False

    async def _login(self, client: _Client, stop: asyncio.Event) -> None:
        warned = False
        while not stop.is_set():
            try:
                await client.login(self._token)
                return
            except discord.LoginFailure:
                raise AdapterFailed(TOKEN_REFUSED) from None
            except (aiohttp.ClientError, discord.HTTPException) as exc:
                if not warned:
                    log.warning("cannot reach Discord yet (%s); retrying", type(exc).__name__)
                warned = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), _RETRY_SECONDS)

    def _spool_folder(self) -> Path:
        # Attachments are kept at arrival (their links expire) and read by whichever worker
        # runs the turn: with several workers this folder must be shared (NEMOBOT_SPOOL_DIR).
        root = self._config.spool_dir
        return root / "nemobot-spool" / PLATFORM

    @asynccontextmanager
    async def _pointed(self) -> AsyncIterator[None]:
        """Aim discord.py at DISCORD_API_BASE_URL for the adapter's life (then as it was)."""
        root = self._config.api_base_url
        if not root:
            yield
            return
        saved = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = f"{root}/api/v10"
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(await self._gateway(root))
        try:
            yield
        finally:
            discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved

    async def _gateway(self, root: str) -> str:
        headers = {"Authorization": f"Bot {self._token}"}
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"{root}/api/v10/gateway/bot", headers=headers) as response,
            ):
                if response.status == 401:
                    raise AdapterFailed(TOKEN_REFUSED)
                data = await response.json()
        except (aiohttp.ClientError, ValueError) as exc:
            raise AdapterFailed(f"cannot reach the Discord server at {root} ({exc})") from None
        url = data.get("url") if isinstance(data, dict) else None
        if not isinstance(url, str):
            raise AdapterFailed(f"{root} gave no gateway URL")
        return url
