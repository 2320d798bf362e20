"""REST: users, application, commands, gateway info, guilds, channels, DMs and the CDN."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from tests.discord.fake.bodies import read_json
from tests.discord.fake.core import FakeCore
from tests.discord.fake.errors import ApiError, FormErrors, json_response
from tests.discord.fake.gateway import app_flags
from tests.discord.fake.rest_messages import API, snowflake_arg

COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
MAX_COMMANDS = 100
MAX_OPTIONS = 25
CHAT_INPUT = 1
CDN_CHUNK = 1024 * 1024


class MiscRoutes:
    """Everything but messages and interactions."""

    def __init__(self, core: FakeCore) -> None:
        self.core = core

    def register(self, router: web.UrlDispatcher) -> None:
        """Add the routes."""
        app = f"{API}/applications/{{application_id}}"
        router.add_get(f"{API}/users/@me", self.me)
        router.add_post(f"{API}/users/@me/channels", self.open_dm)
        router.add_get(f"{API}/users/{{user_id}}", self.user)
        router.add_get(f"{API}/applications/@me", self.application)
        router.add_get(f"{API}/oauth2/applications/@me", self.application)
        router.add_get(f"{API}/gateway", self.gateway)
        router.add_get(f"{API}/gateway/bot", self.gateway_bot)
        router.add_put(f"{app}/commands", self.put_commands)
        router.add_get(f"{app}/commands", self.get_commands)
        router.add_put(f"{app}/guilds/{{guild_id}}/commands", self.put_commands)
        router.add_get(f"{app}/guilds/{{guild_id}}/commands", self.get_commands)
        router.add_get(f"{API}/channels/{{channel_id}}", self.channel)
        router.add_get(f"{API}/guilds/{{guild_id}}", self.guild)
        router.add_get(f"{API}/guilds/{{guild_id}}/members/{{user_id}}", self.member)
        router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self.cdn)

    # --- identity ----------------------------------------------------------------------

    async def me(self, request: web.Request) -> web.Response:
        """The bot user."""
        return json_response(self.core.world.me_payload())

    async def user(self, request: web.Request) -> web.Response:
        """A user by id."""
        user_id = snowflake_arg(request, "user_id")
        if user_id not in self.core.world.users:
            raise ApiError(404, "Unknown User", 10013)
        return json_response(self.core.world.user_payload(user_id))

    async def application(self, request: web.Request) -> web.Response:
        """The bot's application."""
        options = self.core.options
        owner = next((u for u in self.core.world.users if u != options.application_id), 1)
        return json_response(
            {
                "id": str(options.application_id),
                "name": options.bot_name,
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.core.world.user_payload(owner),
                "team": None,
                "verify_key": "0" * 64,
                "flags": app_flags(options),
                "bot": self.core.world.user_payload(options.application_id),
                "install_params": {"scopes": ["bot", "applications.commands"], "permissions": "0"},
                "integration_types_config": {"0": {}, "1": {}},
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "approximate_guild_count": len(self.core.world.guilds),
            }
        )

    async def gateway(self, request: web.Request) -> web.Response:
        """GET /gateway."""
        return json_response({"url": self.core.gateway_url()})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        """GET /gateway/bot."""
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return json_response(
            {
                "url": self.core.gateway_url(),
                "shards": self.core.options.shards,
                "session_start_limit": limit,
            }
        )

    # --- application commands ----------------------------------------------------------

    def _scope(self, request: web.Request) -> int | None:
        if snowflake_arg(request, "application_id") != self.core.options.application_id:
            raise ApiError(403, "Missing Access", 50001)
        if "guild_id" not in request.match_info:
            return None
        guild_id = snowflake_arg(request, "guild_id")
        if guild_id not in self.core.world.guilds:
            raise ApiError(403, "Missing Access", 50001)
        return guild_id

    async def put_commands(self, request: web.Request) -> web.Response:
        """Bulk overwrite: validate like Discord, keep ids of same-named commands."""
        guild_id = self._scope(request)
        payload = await read_json(request)
        validate_commands(payload)
        stored = [self._store_command(guild_id, c) for c in payload]
        if guild_id is None:
            self.core.commands = stored
        else:
            self.core.guild_commands[guild_id] = stored
        self.core.changed()
        return json_response(stored)

    def _store_command(self, guild_id: int | None, sent: dict[str, Any]) -> dict[str, Any]:
        kind = int(sent.get("type") or CHAT_INPUT)
        key = (guild_id, sent["name"], kind)
        command_id = self.core.command_ids.setdefault(key, self.core.snowflakes.next())
        command = {
            "id": str(command_id),
            "application_id": str(self.core.options.application_id),
            "version": str(self.core.snowflakes.next()),
            "type": kind,
            "name": sent["name"],
            "name_localizations": sent.get("name_localizations"),
            "description": sent.get("description", ""),
            "description_localizations": sent.get("description_localizations"),
            "options": sent.get("options") or [],
            # Sent as a number or a string; Discord answers with the bit set as a string.
            "default_member_permissions": _bits(sent.get("default_member_permissions")),
            "dm_permission": sent.get("dm_permission", True),
            "nsfw": sent.get("nsfw", False),
            "integration_types": sent.get("integration_types", [0]),
            "contexts": sent.get("contexts"),
        }
        if guild_id is not None:
            command["guild_id"] = str(guild_id)
        return command

    async def get_commands(self, request: web.Request) -> web.Response:
        """The stored commands."""
        guild_id = self._scope(request)
        if guild_id is None:
            return json_response(self.core.commands)
        return json_response(self.core.guild_commands.get(guild_id, []))

    # --- guilds, channels, DMs ---------------------------------------------------------

    async def channel(self, request: web.Request) -> web.Response:
        """A channel by id."""
        channel = self.core.world.channel(snowflake_arg(request, "channel_id"))
        if channel is None or not channel.bot_is_member:
            raise ApiError(404, "Unknown Channel", 10003)
        return json_response(self.core.world.channel_payload(channel))

    async def guild(self, request: web.Request) -> web.Response:
        """A guild by id (REST form: no channels or members)."""
        guild = self.core.world.guilds.get(snowflake_arg(request, "guild_id"))
        if guild is None:
            raise ApiError(404, "Unknown Guild", 10004)
        return json_response(self.core.world.guild_payload(guild, gateway=False))

    async def member(self, request: web.Request) -> web.Response:
        """A guild member."""
        guild = self.core.world.guilds.get(snowflake_arg(request, "guild_id"))
        if guild is None:
            raise ApiError(404, "Unknown Guild", 10004)
        user_id = snowflake_arg(request, "user_id")
        if user_id not in self.core.world.member_ids(guild.id):
            raise ApiError(404, "Unknown Member", 10007)
        return json_response(self.core.world.member_payload(guild, user_id))

    async def open_dm(self, request: web.Request) -> web.Response:
        """POST /users/@me/channels: the same DM channel every time."""
        payload = await read_json(request) or {}
        try:
            user_id = int(payload.get("recipient_id"))
        except (TypeError, ValueError):
            user_id = 0
        if user_id not in self.core.world.users or user_id == self.core.world.bot.id:
            errors = FormErrors()
            errors.add(["recipient_id"], "INVALID_RECIPIENT", "Invalid Recipient(s)")
            errors.raise_if_any()
        channel = self.core.world.channel(self.core.world.dm_channel(user_id))
        assert channel is not None
        self.core.changed()
        return json_response(self.core.world.channel_payload(channel))

    # --- CDN ---------------------------------------------------------------------------

    async def cdn(self, request: web.Request) -> web.StreamResponse:
        """Attachment bytes; fabricated attachments stream zeros."""
        attachment = self.core.world.attachments.get(snowflake_arg(request, "attachment_id"))
        if attachment is None or attachment.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        headers = {"Content-Type": attachment.content_type or "application/octet-stream"}
        if attachment.data is not None:
            return web.Response(body=attachment.data, headers=headers)
        response = web.StreamResponse(headers=headers)
        response.content_length = attachment.size
        await response.prepare(request)
        left = attachment.size
        while left > 0:
            step = min(left, CDN_CHUNK)
            await response.write(bytes(step))
            left -= step
        await response.write_eof()
        return response


def _bits(value: Any) -> str | None:
    return None if value is None else str(int(value))


def validate_commands(payload: Any) -> None:
    """Raise 50035 for the command mistakes Discord rejects."""
    errors = FormErrors()
    if not isinstance(payload, list):
        errors.add([], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType.")
        errors.raise_if_any()
    if len(payload) > MAX_COMMANDS:
        errors.add([], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_COMMANDS} or fewer in length.")
    seen: set[tuple[str, int]] = set()
    for index, command in enumerate(payload):
        name = str(command.get("name", ""))
        kind = int(command.get("type") or CHAT_INPUT)
        if (name, kind) in seen:
            errors.add(
                [index, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        seen.add((name, kind))
        if kind == CHAT_INPUT:
            _check_chat_input([index], command, errors)
        elif not 1 <= len(name) <= 32:
            errors.add(
                [index, "name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length."
            )
    errors.raise_if_any()


def _check_chat_input(path: list[str | int], item: dict[str, Any], errors: FormErrors) -> None:
    name = str(item.get("name", ""))
    if not COMMAND_NAME.match(name) or name != name.lower():
        errors.add([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    if not 1 <= len(item.get("description") or "") <= 100:
        errors.add(
            [*path, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )
    options = item.get("options") or []
    if len(options) > MAX_OPTIONS:
        errors.add(
            [*path, "options"], "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_OPTIONS} or fewer in length."
        )
    optional_seen = False
    for index, option in enumerate(options):
        here = [*path, "options", index]
        if option.get("type") in (1, 2):
            _check_chat_input(here, option, errors)
            continue
        if option.get("required"):
            if optional_seen:
                errors.add(
                    here,
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        opt_name = str(option.get("name", ""))
        if not COMMAND_NAME.match(opt_name) or opt_name != opt_name.lower():
            errors.add(
                [*here, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
            )
        if not 1 <= len(option.get("description") or "") <= 100:
            errors.add(
                [*here, "description"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )
