"""The fake's world: users, guilds, channels, messages, and their Discord payloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.discord.fake.ids import SnowflakeFactory, iso_now
from tests.discord.fake.options import FakeDiscordOptions, MiB
from tests.discord.fake.records import StoredAttachment, StoredMessage

TEXT, DM, PUBLIC_THREAD = 0, 1, 11

VIEW_CHANNEL, SEND_MESSAGES, MANAGE_MESSAGES = 1 << 10, 1 << 11, 1 << 13
EMBED_LINKS, ATTACH_FILES, READ_HISTORY = 1 << 14, 1 << 15, 1 << 16
MENTION_EVERYONE, ADD_REACTIONS, USE_APP_COMMANDS = 1 << 17, 1 << 6, 1 << 31
CREATE_PUBLIC_THREADS, SEND_IN_THREADS = 1 << 35, 1 << 38
ADMINISTRATOR, MANAGE_GUILD = 1 << 3, 1 << 5
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_HISTORY
    | ADD_REACTIONS
    | USE_APP_COMMANDS
    | SEND_IN_THREADS
)
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | MENTION_EVERYONE | MANAGE_MESSAGES | CREATE_PUBLIC_THREADS

# Guild.filesize_limit in discord.py: tiers 0 and 1 keep the default.
PREMIUM_FILESIZE = {2: 50 * MiB, 3: 100 * MiB}
PREMIUM_SUBSCRIPTIONS = {0: 0, 1: 2, 2: 7, 3: 14}


@dataclass
class User:
    """A Discord user."""

    id: int
    name: str
    bot: bool = False


@dataclass
class Role:
    """A guild role."""

    id: int
    name: str
    position: int
    permissions: int = 0
    bot_id: int | None = None


@dataclass
class Channel:
    """A channel the bot may see: guild text channel, thread, or DM."""

    id: int
    type: int
    name: str = ""
    guild_id: int | None = None
    parent_id: int | None = None
    position: int = 0
    recipient_id: int | None = None
    # False for a user-install "private channel" (context 2): the bot is not in it.
    bot_is_member: bool = True


@dataclass
class Guild:
    """A guild with its channels and roles."""

    id: int
    name: str
    premium_tier: int
    roles: list[Role]
    channel_ids: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)


class World:
    """Everything the fake knows, and how it is written in Discord's JSON."""

    def __init__(self, options: FakeDiscordOptions, snowflakes: SnowflakeFactory) -> None:
        self.options = options
        self.snowflakes = snowflakes
        self.bot = User(options.application_id, options.bot_name, bot=True)
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.dms: dict[int, int] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.attachments: dict[int, StoredAttachment] = {}
        self.member_roles: dict[tuple[int, int], set[int]] = {}  # (guild, user) -> role ids

    # --- setup -------------------------------------------------------------------------

    def add_user(self, user_id: int, name: str, *, bot: bool = False) -> User:
        """Register (or rename) a user."""
        user = User(user_id, name, bot=bot)
        self.users[user_id] = user
        return user

    def add_guild(
        self,
        guild_id: int,
        name: str,
        *,
        premium_tier: int,
        channels: list[tuple[int, str]],
        roles: list[tuple[int, str]] | list[tuple[int, str, int]],
        threads: list[tuple[int, int, str]],
    ) -> Guild:
        """Register a guild with its channels, roles (id, name[, permissions]) and threads."""
        everyone = Role(guild_id, "@everyone", 0, EVERYONE_PERMISSIONS)
        bot_role = Role(self.snowflakes.next(), self.bot.name, 1, BOT_PERMISSIONS, self.bot.id)
        extra = [Role(role[0], role[1], i + 2, *role[2:]) for i, role in enumerate(roles)]
        guild = Guild(guild_id, name, premium_tier, [everyone, bot_role, *extra])
        for position, (channel_id, channel_name) in enumerate(channels):
            self._add_channel(Channel(channel_id, TEXT, channel_name, guild_id, position=position))
            guild.channel_ids.append(channel_id)
        for thread_id, parent_id, thread_name in threads:
            self._add_channel(Channel(thread_id, PUBLIC_THREAD, thread_name, guild_id, parent_id))
            guild.channel_ids.append(thread_id)
        self.guilds[guild_id] = guild
        return guild

    def _add_channel(self, channel: Channel) -> None:
        self.channels[channel.id] = channel
        self.channel_messages.setdefault(channel.id, [])

    def dm_channel(self, user_id: int) -> int:
        """The DM channel between the bot and a user, created on first use."""
        if user_id not in self.users:
            raise ValueError(f"unknown user {user_id}: call add_user() first")
        if user_id not in self.dms:
            channel = Channel(self.snowflakes.next(), DM, recipient_id=user_id)
            self._add_channel(channel)
            self.dms[user_id] = channel.id
        return self.dms[user_id]

    def private_channel(self, user_id: int) -> int:
        """A DM between the user and someone else, where only a user-installed app works."""
        channel = Channel(self.snowflakes.next(), DM, recipient_id=user_id, bot_is_member=False)
        self._add_channel(channel)
        return channel.id

    # --- lookups -----------------------------------------------------------------------

    def user(self, user_id: int) -> User:
        """A known user, or a placeholder so payloads stay well formed."""
        return self.users.get(user_id) or User(user_id, f"user{user_id}")

    def channel(self, channel_id: int) -> Channel | None:
        """A known channel."""
        return self.channels.get(channel_id)

    def guild_of(self, channel_id: int) -> Guild | None:
        """The guild a channel belongs to (None for DMs)."""
        channel = self.channels.get(channel_id)
        return self.guilds.get(channel.guild_id) if channel and channel.guild_id else None

    def filesize_limit(self, channel_id: int) -> int:
        """Total attachment bytes one message may carry in this channel."""
        guild = self.guild_of(channel_id)
        tier = guild.premium_tier if guild else 0
        return PREMIUM_FILESIZE.get(tier, self.options.default_filesize_limit)

    def store(self, message: StoredMessage) -> StoredMessage:
        """Remember a message in its channel (and serve its attachments)."""
        for attachment in message.attachments:
            self.attachments[attachment.id] = attachment
        self.messages[message.id] = message
        self.channel_messages.setdefault(message.channel_id, []).append(message.id)
        return message

    def channel_history(self, channel_id: int) -> list[StoredMessage]:
        """Every message of a channel, oldest first."""
        return [self.messages[mid] for mid in self.channel_messages.get(channel_id, [])]

    def bot_messages(self, channel_id: int | None = None) -> list[StoredMessage]:
        """The bot's messages, in one channel or everywhere, oldest first."""
        found = [m for m in self.messages.values() if m.author_id == self.bot.id]
        if channel_id is not None:
            found = [m for m in found if m.channel_id == channel_id]
        return sorted(found, key=lambda m: m.id)

    def member_ids(self, guild_id: int) -> list[int]:
        """Every known user is a member of every guild (the bot included)."""
        return list(self.users)

    def give_role(self, guild_id: int, user_id: int, role_id: int) -> None:
        """Give a member one of the guild's roles."""
        self.member_roles.setdefault((guild_id, user_id), set()).add(role_id)

    def roles_of(self, guild: Guild, user_id: int) -> list[int]:
        """Role ids of a member (the bot holds its managed role; others what they were given)."""
        given = self.member_roles.get((guild.id, user_id), set())
        return [
            r.id
            for r in guild.roles
            if (r.bot_id is not None and r.bot_id == user_id) or r.id in given
        ]

    def permissions_of(self, guild: Guild, user_id: int) -> int:
        """The member's permissions from @everyone and their roles."""
        held = {guild.id, *self.roles_of(guild, user_id)}
        total = 0
        for role in guild.roles:
            if role.id in held:
                total |= role.permissions
        return total

    # --- payloads ----------------------------------------------------------------------

    def user_payload(self, user_id: int) -> dict[str, Any]:
        """A user object."""
        user = self.user(user_id)
        return {
            "id": str(user.id),
            "username": user.name,
            "discriminator": "0",
            "global_name": None if user.bot else user.name.title(),
            "avatar": None,
            "bot": user.bot,
            "public_flags": 0,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
        }

    def me_payload(self) -> dict[str, Any]:
        """GET /users/@me for the bot."""
        body = self.user_payload(self.bot.id)
        body.update(verified=True, mfa_enabled=True, flags=0, locale="en-US", email=None)
        return body

    def member_payload(
        self, guild: Guild, user_id: int, *, with_user: bool = True, permissions: bool = False
    ) -> dict[str, Any]:
        """A guild member object."""
        body: dict[str, Any] = {
            "nick": None,
            "avatar": None,
            "roles": [str(r) for r in self.roles_of(guild, user_id)],
            "joined_at": guild.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            body["user"] = self.user_payload(user_id)
        if permissions:
            body["permissions"] = str(self.permissions_of(guild, user_id))
        return body

    def channel_payload(self, channel: Channel) -> dict[str, Any]:
        """A channel object (text channel, public thread or DM)."""
        base: dict[str, Any] = {"id": str(channel.id), "type": channel.type, "flags": 0}
        last = self.channel_messages.get(channel.id)
        base["last_message_id"] = str(last[-1]) if last else None
        if channel.type == DM:
            base["recipients"] = [self.user_payload(channel.recipient_id or 0)]
            return base
        base.update(
            guild_id=str(channel.guild_id),
            name=channel.name,
            rate_limit_per_user=0,
            nsfw=False,
        )
        if channel.type == PUBLIC_THREAD:
            return base | self._thread_fields(channel)
        return base | {
            "position": channel.position,
            "permission_overwrites": [],
            "parent_id": None,
            "topic": None,
        }

    def _thread_fields(self, channel: Channel) -> dict[str, Any]:
        return {
            "parent_id": str(channel.parent_id),
            "owner_id": str(self.bot.id),
            "message_count": len(self.channel_messages.get(channel.id, [])),
            "member_count": 1,
            "total_message_sent": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": iso_now(),
                "locked": False,
                "create_timestamp": iso_now(),
            },
        }

    def role_payload(self, role: Role) -> dict[str, Any]:
        """A role object."""
        body: dict[str, Any] = {
            "id": str(role.id),
            "name": role.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": role.position,
            "permissions": str(role.permissions),
            "managed": role.bot_id is not None,
            "mentionable": True,
            "flags": 0,
        }
        if role.bot_id is not None:
            body["tags"] = {"bot_id": str(role.bot_id)}
        return body

    def guild_payload(self, guild: Guild, *, gateway: bool) -> dict[str, Any]:
        """A guild object; with gateway=True, the full GUILD_CREATE form."""
        body: dict[str, Any] = {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(next((u for u in self.users if u != self.bot.id), self.bot.id)),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "roles": [self.role_payload(r) for r in guild.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "premium_tier": guild.premium_tier,
            "premium_subscription_count": PREMIUM_SUBSCRIPTIONS.get(guild.premium_tier, 0),
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
        }
        if gateway:
            body.update(self._guild_create_fields(guild))
        return body

    def _guild_create_fields(self, guild: Guild) -> dict[str, Any]:
        channels = [self.channels[cid] for cid in guild.channel_ids]
        members = [self.member_payload(guild, uid) for uid in self.member_ids(guild.id)]
        return {
            "joined_at": guild.joined_at,
            "large": False,
            "unavailable": False,
            # Equal to len(members), so discord.py considers the guild chunked.
            "member_count": len(members),
            "members": members,
            "channels": [self.channel_payload(c) for c in channels if c.type == TEXT],
            "threads": [self.channel_payload(c) for c in channels if c.type == PUBLIC_THREAD],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }
