"""REST: channel messages and typing."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.discord.fake.bodies import read_message_body
from tests.discord.fake.core import MESSAGES_BUCKET, FakeCore
from tests.discord.fake.errors import ApiError, json_response
from tests.discord.fake.limits import RateDecision
from tests.discord.fake.messages import MessageService, message_payload
from tests.discord.fake.records import RecordedRequest, StoredMessage
from tests.discord.fake.world import Channel

API = "/api/v10"
MAX_HISTORY = 100
RECORD = web.RequestKey("record", RecordedRequest)
# The counted rate-limit decision and bucket of a message create/edit.
RATELIMIT = web.RequestKey("ratelimit", tuple[RateDecision, str])


def snowflake_arg(request: web.Request, name: str) -> int:
    """A snowflake path parameter; anything else is a 404 like Discord's router gives."""
    raw = request.match_info[name]
    if not raw.isdigit():
        raise web.HTTPNotFound()
    return int(raw)


def record_of(request: web.Request) -> RecordedRequest:
    """The RecordedRequest the middleware attached."""
    return request[RECORD]


class ChannelMessageRoutes:
    """POST/GET/PATCH/DELETE /channels/{id}/messages… and POST /channels/{id}/typing."""

    def __init__(self, core: FakeCore, messages: MessageService) -> None:
        self.core = core
        self.messages = messages

    def register(self, router: web.UrlDispatcher) -> None:
        """Add the routes."""
        base = f"{API}/channels/{{channel_id}}"
        router.add_post(f"{base}/messages", self.create)
        router.add_get(f"{base}/messages", self.history)
        router.add_get(f"{base}/messages/{{message_id}}", self.fetch)
        router.add_patch(f"{base}/messages/{{message_id}}", self.edit)
        router.add_delete(f"{base}/messages/{{message_id}}", self.delete)
        router.add_post(f"{base}/typing", self.typing)

    def _sendable_channel(self, request: web.Request) -> Channel:
        channel = self.core.world.channel(snowflake_arg(request, "channel_id"))
        if channel is None:
            raise ApiError(404, "Unknown Channel", 10003)
        if not channel.bot_is_member:
            raise ApiError(403, "Missing Access", 50001)
        return channel

    def _message(self, channel: Channel, request: web.Request) -> StoredMessage:
        msg = self.core.world.messages.get(snowflake_arg(request, "message_id"))
        if msg is None or msg.deleted or msg.channel_id != channel.id:
            raise ApiError(404, "Unknown Message", 10008)
        return msg

    def _count(self, request: web.Request, channel: Channel) -> None:
        decision = self.core.take_message_slot(request.method, record_of(request).path, channel.id)
        if decision is not None:
            request[RATELIMIT] = (decision, MESSAGES_BUCKET)

    async def create(self, request: web.Request) -> web.Response:
        """Send a message (JSON or multipart)."""
        channel = self._sendable_channel(request)
        self._count(request, channel)
        limit = self.core.world.filesize_limit(channel.id)
        body = await read_message_body(request, record_of(request), keep_up_to=limit)
        earlier = self.messages.existing_by_nonce(channel.id, body.payload)
        if earlier is not None:
            return json_response(message_payload(self.core, earlier))
        msg = self.messages.create(channel, body, via="channel")
        return json_response(message_payload(self.core, msg))

    async def edit(self, request: web.Request) -> web.Response:
        """Edit one of the bot's messages."""
        channel = self._sendable_channel(request)
        msg = self._message(channel, request)
        if msg.author_id != self.core.world.bot.id:
            raise ApiError(403, "Cannot edit a message authored by another user", 50005)
        self._count(request, channel)
        limit = self.core.world.filesize_limit(channel.id)
        body = await read_message_body(request, record_of(request), keep_up_to=limit)
        self.messages.edit(msg, body)
        return json_response(message_payload(self.core, msg))

    async def delete(self, request: web.Request) -> web.Response:
        """Delete a message (any in a guild; only the bot's own in a DM)."""
        channel = self._sendable_channel(request)
        msg = self._message(channel, request)
        if channel.guild_id is None and msg.author_id != self.core.world.bot.id:
            raise ApiError(403, "Cannot execute action on a DM channel", 50003)
        self.messages.delete(msg)
        return web.Response(status=204)

    async def fetch(self, request: web.Request) -> web.Response:
        """GET one message."""
        channel = self._sendable_channel(request)
        return json_response(message_payload(self.core, self._message(channel, request)))

    async def history(self, request: web.Request) -> web.Response:
        """GET messages, newest first, honouring limit/before/after/around (simply)."""
        channel = self._sendable_channel(request)
        raw_limit = request.query.get("limit", "50")
        if not raw_limit.isdigit():
            raise ApiError(
                400,
                "Invalid Form Body",
                50035,
                {
                    "limit": {
                        "_errors": [
                            {
                                "code": "NUMBER_TYPE_COERCE",
                                "message": f'Value "{raw_limit}" is not int.',
                            }
                        ]
                    }
                },
            )
        limit = min(int(raw_limit), MAX_HISTORY)
        found = [m for m in self.core.world.channel_history(channel.id) if not m.deleted]
        found = _window(found, request.query)
        newest_first = sorted(found, key=lambda m: m.id, reverse=True)[:limit]
        return json_response([message_payload(self.core, m) for m in newest_first])

    async def typing(self, request: web.Request) -> web.Response:
        """Typing indicator: 204, and the time is recorded."""
        channel = self._sendable_channel(request)
        self.core.typing.setdefault(channel.id, []).append(self.core.now())
        self.core.changed()
        return web.Response(status=204)


def _window(found: list[StoredMessage], query: Any) -> list[StoredMessage]:
    if "before" in query:
        found = [m for m in found if m.id < int(query["before"])]
    if "after" in query:
        found = [m for m in found if m.id > int(query["after"])]
    return found
