"""The user side: messages, slash commands and button presses sent to the bot."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from tests.discord.fake.core import FakeCore
from tests.discord.fake.ids import interaction_token, iso_now
from tests.discord.fake.interactions import APPLICATION_COMMAND, COMPONENT
from tests.discord.fake.mentions import role_ping, user_ping
from tests.discord.fake.messages import REPLY, MessageService, message_payload
from tests.discord.fake.records import InteractionRecord, StoredAttachment, StoredMessage
from tests.discord.fake.world import ADMINISTRATOR, Channel, Guild

# (filename, content_type, bytes) or (filename, content_type, size) for a fabricated file.
AttachmentSpec = tuple[str, str | None, bytes | int]
DM_APP_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 6)
OPTION_TYPES: dict[type, int] = {bool: 5, int: 4, float: 10, str: 3}
ATTACHMENT_OPTION = 11


class Driver:
    """Builds user-side payloads, records them, and dispatches them to the bot."""

    def __init__(self, core: FakeCore, messages: MessageService) -> None:
        self.core = core
        self._service = messages

    # --- messages ----------------------------------------------------------------------

    async def user_message(
        self,
        channel_id: int,
        user_id: int,
        content: str = "",
        *,
        guild_id: int | None = None,
        attachments: Sequence[AttachmentSpec] = (),
        attachment_size: int | None = None,
        mentions_bot: bool = False,
        mention_roles: Sequence[int] = (),
        mention_everyone: bool = False,
        reference_message_id: int | None = None,
        referenced_message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """MESSAGE_CREATE from a user; returns the message object sent."""
        channel, guild = self._place(channel_id, guild_id)
        self._user(user_id)
        specs = list(attachments)
        if attachment_size is not None:
            specs.append(("large.bin", "application/octet-stream", attachment_size))
        pings = {role_ping(r) for r in mention_roles}
        if mentions_bot:
            pings.add(user_ping(self.core.world.bot.id))
        if mention_everyone:
            pings.add("everyone")
        reference = None
        if reference_message_id is not None:
            reference = {
                "type": 0,
                "message_id": str(reference_message_id),
                "channel_id": str(channel.id),
            }
            if guild is not None:
                reference["guild_id"] = str(guild.id)
        msg = StoredMessage(
            id=self.core.snowflakes.next(),
            channel_id=channel.id,
            guild_id=guild.id if guild else None,
            author_id=user_id,
            via="user",
            created_at=self.core.now(),
            timestamp=iso_now(),
            content=content,
            sent={"content": content},
            type=REPLY if reference else 0,
            pinged=frozenset(pings),
            message_reference=reference,
        )
        msg.attachments = [self._attachment(channel.id, spec) for spec in specs]
        self.core.world.store(msg)
        payload = message_payload(self.core, msg)
        if referenced_message is not None:
            payload["referenced_message"] = referenced_message
        await _flushed(self._service.dispatch("MESSAGE_CREATE", msg, payload))
        return payload

    def _attachment(self, channel_id: int, spec: AttachmentSpec) -> StoredAttachment:
        filename, content_type, content = spec
        attachment_id = self.core.snowflakes.next()
        data = content if isinstance(content, bytes) else None
        size = len(content) if isinstance(content, bytes) else int(content)
        attachment = StoredAttachment(
            id=attachment_id,
            channel_id=channel_id,
            filename=filename,
            size=size,
            content_type=content_type,
            url=self.core.cdn_url(channel_id, attachment_id, filename),
            data=data,
        )
        self.core.world.attachments[attachment_id] = attachment
        return attachment

    # --- interactions ------------------------------------------------------------------

    async def slash_command(
        self,
        name: str,
        user_id: int,
        *,
        channel_id: int,
        guild_id: int | None = None,
        options: dict[str, Any] | None = None,
        attachment: AttachmentSpec | None = None,
        context: int | None = None,
        authorizing_integration_owners: dict[str, str] | None = None,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """INTERACTION_CREATE type 2 for a chat-input command."""
        channel, guild = self._place(channel_id, guild_id)
        command = self._registered(name, guild)
        self._may_use(command, guild, user_id)
        data: dict[str, Any] = {
            "id": command["id"] if command else str(self.core.snowflakes.next()),
            "name": name,
            "type": 1,
            "options": self._options(command, options or {}),
        }
        if command and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if attachment is not None:
            self._attach_option(data, command, self._attachment(channel.id, attachment))
        payload = self._interaction_payload(
            APPLICATION_COMMAND,
            channel,
            guild,
            user_id,
            context,
            authorizing_integration_owners,
            locale,
        )
        payload["data"] = data
        return await self._send(payload, name=name, message_id=None)

    def _registered(self, name: str, guild: Guild | None) -> dict[str, Any] | None:
        scoped = self.core.guild_commands.get(guild.id, []) if guild else []
        for command in [*scoped, *self.core.commands]:
            if command["name"] == name and command.get("type", 1) == 1:
                return command
        return None

    def _may_use(self, command: dict[str, Any] | None, guild: Guild | None, user_id: int) -> None:
        """Discord offers a command with `default_member_permissions` only to members who
        hold them (or are administrators), and a guild-only one nowhere else."""
        if command is None:
            return
        if guild is None and command.get("contexts") == [0]:
            raise PermissionError(f"/{command['name']} can only be used in servers")
        needed = command.get("default_member_permissions")
        if needed is None or guild is None:
            return
        held = self.core.world.permissions_of(guild, user_id)
        if not held & ADMINISTRATOR and held & int(needed) != int(needed):
            raise PermissionError(f"Discord does not offer /{command['name']} to this member")

    def _options(
        self, command: dict[str, Any] | None, values: dict[str, Any]
    ) -> list[dict[str, Any]]:
        declared = {o["name"]: o for o in (command or {}).get("options", [])}
        built = []
        for key, value in values.items():
            kind = declared.get(key, {}).get("type") or OPTION_TYPES.get(type(value), 3)
            built.append({"name": key, "type": kind, "value": value})
        return built

    def _attach_option(
        self, data: dict[str, Any], command: dict[str, Any] | None, attachment: StoredAttachment
    ) -> None:
        declared = [
            o for o in (command or {}).get("options", []) if o.get("type") == ATTACHMENT_OPTION
        ]
        option_name = declared[0]["name"] if declared else "attachment"
        data["options"].append(
            {"name": option_name, "type": ATTACHMENT_OPTION, "value": str(attachment.id)}
        )
        entry = attachment.payload() | {"ephemeral": True}
        data.setdefault("resolved", {}).setdefault("attachments", {})[str(attachment.id)] = entry

    async def press_button(
        self,
        message_id: int,
        custom_id: str,
        user_id: int,
        *,
        channel_id: int,
        guild_id: int | None = None,
        require_component: bool = True,
    ) -> InteractionRecord:
        """INTERACTION_CREATE type 3 for a component on a bot message (one that must exist
        unless told not: a forged press, or another app's keyboard through a relay)."""
        channel, guild = self._place(channel_id, guild_id)
        msg = self.core.world.messages.get(message_id)
        if msg is None or msg.deleted or msg.channel_id != channel.id:
            raise ValueError(f"no message {message_id} in channel {channel_id}")
        if require_component and custom_id not in msg.custom_ids():
            raise ValueError(
                f"message {message_id} has no component {custom_id!r}: {msg.custom_ids()}"
            )
        payload = self._interaction_payload(COMPONENT, channel, guild, user_id, None, None, "en-US")
        payload["data"] = {
            "custom_id": custom_id,
            "component_type": _component_type(msg, custom_id),
        }
        if payload["data"]["component_type"] != 2:
            payload["data"]["values"] = []
        payload["message"] = message_payload(self.core, msg)
        return await self._send(payload, name=custom_id, message_id=msg.id)

    def _interaction_payload(
        self,
        kind: int,
        channel: Channel,
        guild: Guild | None,
        user_id: int,
        context: int | None,
        owners: dict[str, str] | None,
        locale: str,
    ) -> dict[str, Any]:
        world = self.core.world
        self._user(user_id)
        if context is None:
            context = 0 if guild else (1 if channel.bot_is_member else 2)
        payload: dict[str, Any] = {
            "id": str(self.core.snowflakes.next()),
            "application_id": str(self.core.options.application_id),
            "type": kind,
            "token": interaction_token(),
            "version": 1,
            "channel_id": str(channel.id),
            "channel": world.channel_payload(channel),
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": owners or _default_owners(context, guild, user_id),
            "context": context,
            "attachment_size_limit": world.filesize_limit(channel.id),
        }
        if guild is not None:
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=world.member_payload(guild, user_id, permissions=True),
                app_permissions=str(world.permissions_of(guild, world.bot.id)),
            )
        else:
            payload.update(
                user=world.user_payload(user_id), app_permissions=str(DM_APP_PERMISSIONS)
            )
        return payload

    async def _send(
        self, payload: dict[str, Any], *, name: str, message_id: int | None
    ) -> InteractionRecord:
        guild_id = int(payload["guild_id"]) if "guild_id" in payload else None
        user = (payload.get("member") or payload)["user"]
        record = InteractionRecord(
            id=int(payload["id"]),
            token=payload["token"],
            type=payload["type"],
            name=name,
            channel_id=int(payload["channel_id"]),
            guild_id=guild_id,
            user_id=int(user["id"]),
            created_at=self.core.now(),
            payload=payload,
            message_id=message_id,
        )
        self.core.interactions[record.token] = record
        await _flushed(self.core.hub.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id))
        self.core.changed()
        return record

    # --- helpers -----------------------------------------------------------------------

    def _place(self, channel_id: int, guild_id: int | None) -> tuple[Channel, Guild | None]:
        channel = self.core.world.channel(channel_id)
        if channel is None:
            raise ValueError(f"unknown channel {channel_id}: add_guild() or dm_channel() first")
        if guild_id is not None and channel.guild_id != guild_id:
            raise ValueError(f"channel {channel_id} is not in guild {guild_id}")
        guild = self.core.world.guilds.get(channel.guild_id) if channel.guild_id else None
        return channel, guild

    def _user(self, user_id: int) -> None:
        if user_id not in self.core.world.users:
            raise ValueError(f"unknown user {user_id}: call add_user() first")


def _default_owners(context: int, guild: Guild | None, user_id: int) -> dict[str, str]:
    if context == 0 and guild is not None:
        return {"0": str(guild.id)}
    if context == 1:
        return {"0": "0"}
    return {"1": str(user_id)}


def _component_type(msg: StoredMessage, custom_id: str) -> int:
    stack = list(msg.components)
    while stack:
        component = stack.pop()
        if component.get("custom_id") == custom_id:
            return int(component.get("type", 2))
        stack.extend(component.get("components", []))
        if isinstance(component.get("accessory"), dict):
            stack.append(component["accessory"])
    return 2


async def _flushed(frames: list[asyncio.Future[bool]]) -> None:
    if frames:
        await asyncio.gather(*frames)
