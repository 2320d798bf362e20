"""REST: interaction callbacks and the interaction webhook (follow-ups, @original)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.discord.fake.bodies import MessageBody, read_message_body
from tests.discord.fake.core import MESSAGES_BUCKET, FakeCore
from tests.discord.fake.errors import ApiError, FormErrors, json_response
from tests.discord.fake.messages import MessageService, message_payload
from tests.discord.fake.records import EPHEMERAL, InteractionRecord, StoredMessage
from tests.discord.fake.rest_messages import API, RATELIMIT, record_of, snowflake_arg
from tests.discord.fake.world import Channel

PONG, MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
CHAT_INPUT_COMMAND_MESSAGE = 20
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {MESSAGE, DEFERRED_MESSAGE, MODAL},
    COMPONENT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
    MODAL_SUBMIT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE},
}


def unknown_interaction() -> ApiError:
    """404 10062: too late, or never existed."""
    return ApiError(404, "Unknown interaction", 10062)


def truthy(value: str | None) -> bool:
    """Query flags as discord.py sends them ("1") or people write them ("true")."""
    return (value or "").lower() in ("1", "true")


class InteractionRoutes:
    """POST /interactions/{id}/{token}/callback and /webhooks/{app}/{token}…"""

    def __init__(self, core: FakeCore, messages: MessageService) -> None:
        self.core = core
        self.messages = messages

    def register(self, router: web.UrlDispatcher) -> None:
        """Add the routes."""
        router.add_post(f"{API}/interactions/{{interaction_id}}/{{token}}/callback", self.callback)
        hook = f"{API}/webhooks/{{application_id}}/{{token}}"
        router.add_post(hook, self.followup)
        router.add_get(f"{hook}/messages/{{message_id}}", self.get_message)
        router.add_patch(f"{hook}/messages/{{message_id}}", self.edit_message)
        router.add_delete(f"{hook}/messages/{{message_id}}", self.delete_message)

    # --- callback ----------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        """The initial response: within interaction_ack_seconds, exactly once."""
        record = self.core.interaction_by_token(request.match_info["token"])
        if record is None or str(record.id) != request.match_info["interaction_id"]:
            raise unknown_interaction()
        channel = self._channel(record)
        limit = self.core.world.filesize_limit(channel.id)
        body = await read_message_body(request, record_of(request), keep_up_to=limit)
        kind = int(body.payload.get("type") or 0)
        try:
            response = self._respond(record, channel, kind, body)
        except ApiError as error:
            record.callback_attempts.append((self.core.now(), kind, error.status))
            self.core.changed()
            raise
        record.callback_attempts.append((self.core.now(), kind, 200))
        self.core.changed()
        if truthy(request.query.get("with_response")):
            return json_response(response)
        return web.Response(status=204)

    def _respond(
        self, record: InteractionRecord, channel: Channel, kind: int, body: MessageBody
    ) -> dict[str, Any]:
        if record.acknowledged:
            raise ApiError(400, "Interaction has already been acknowledged.", 40060)
        if self.core.now() - record.created_at > self.core.options.interaction_ack_seconds:
            raise unknown_interaction()
        if kind not in ALLOWED_CALLBACKS.get(record.type, set()):
            errors = FormErrors()
            errors.add(
                ["type"], "INTERACTION_CALLBACK_TYPE_INVALID", "Invalid interaction callback type"
            )
            errors.raise_if_any()
        data = body.payload.get("data") or {}
        message = self._callback_message(record, channel, kind, MessageBody(data, body.files))
        record.ack_type, record.acked_at = kind, self.core.now()
        record.ack_flags = int(data.get("flags") or 0)
        if message is not None:
            record.original = message
        return self._callback_response(record, kind, message)

    def _callback_message(
        self, record: InteractionRecord, channel: Channel, kind: int, body: MessageBody
    ) -> StoredMessage | None:
        flags = int(body.payload.get("flags") or 0) & EPHEMERAL
        if kind == MESSAGE:
            return self.messages.create(
                channel,
                body,
                via="interaction-original",
                flags=flags,
                msg_type=self._message_type(record),
                extra=self._extra(record),
                token=record.token,
            )
        if kind == DEFERRED_MESSAGE:
            return self.messages.placeholder(
                channel,
                flags=flags,
                msg_type=self._message_type(record),
                extra=self._extra(record),
                token=record.token,
            )
        component_message = self._component_message(record)
        if kind == UPDATE and component_message is not None:
            return self.messages.edit(component_message, body)
        return component_message if kind == DEFERRED_UPDATE else None

    def _callback_response(
        self, record: InteractionRecord, kind: int, message: StoredMessage | None
    ) -> dict[str, Any]:
        """The InteractionCallbackResponse discord.py reads when it asks with_response."""
        interaction: dict[str, Any] = {"id": str(record.id), "type": record.type}
        resource: dict[str, Any] = {"type": kind}
        if message is not None and kind in (MESSAGE, DEFERRED_MESSAGE, UPDATE):
            interaction.update(
                response_message_id=str(message.id),
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
            resource["message"] = message_payload(self.core, message)
        return {"interaction": interaction, "resource": resource}

    def _message_type(self, record: InteractionRecord) -> int:
        return CHAT_INPUT_COMMAND_MESSAGE if record.type == APPLICATION_COMMAND else 0

    def _extra(self, record: InteractionRecord) -> dict[str, Any]:
        app = str(self.core.options.application_id)
        user = self.core.world.user_payload(record.user_id)
        metadata: dict[str, Any] = {
            "id": str(record.id),
            "type": record.type,
            "user": user,
            "authorizing_integration_owners": record.payload.get(
                "authorizing_integration_owners", {}
            ),
        }
        if record.message_id is not None:
            metadata["interacted_message_id"] = str(record.message_id)
        legacy = {"id": str(record.id), "type": record.type, "name": record.name, "user": user}
        return {
            "webhook_id": app,
            "application_id": app,
            "interaction_metadata": metadata,
            "interaction": legacy,
        }

    def _component_message(self, record: InteractionRecord) -> StoredMessage | None:
        if record.message_id is None:
            return None
        return self.core.world.messages.get(record.message_id)

    def _channel(self, record: InteractionRecord) -> Channel:
        channel = self.core.world.channel(record.channel_id)
        if channel is None:
            raise ApiError(404, "Unknown Channel", 10003)
        return channel

    # --- webhook: follow-ups and @original ---------------------------------------------

    def _hook(self, request: web.Request) -> InteractionRecord:
        """The interaction behind a webhook URL, if its token still works."""
        if snowflake_arg(request, "application_id") != self.core.options.application_id:
            raise ApiError(404, "Unknown Webhook", 10015)
        record = self.core.interaction_by_token(request.match_info["token"])
        too_old = record is not None and (
            self.core.now() - record.created_at > self.core.options.interaction_token_seconds
        )
        if record is None or too_old:
            raise ApiError(401, "Invalid Webhook Token", 50027)
        if not record.acknowledged:
            # As Discord: the webhook exists only once the interaction was answered.
            raise ApiError(404, "Unknown Webhook", 10015)
        return record

    def _hook_message(self, record: InteractionRecord, request: web.Request) -> StoredMessage:
        raw = request.match_info["message_id"]
        if raw == "@original":
            found = record.original
        else:
            wanted = int(raw) if raw.isdigit() else -1
            candidates = [record.original, *record.followups]
            found = next((m for m in candidates if m is not None and m.id == wanted), None)
        if found is None or found.deleted:
            raise ApiError(404, "Unknown Message", 10008)
        return found

    def _count(self, request: web.Request, channel_id: int) -> None:
        decision = self.core.take_message_slot(request.method, record_of(request).path, channel_id)
        if decision is not None:
            request[RATELIMIT] = (decision, MESSAGES_BUCKET)

    async def followup(self, request: web.Request) -> web.Response:
        """POST: a follow-up; after a defer (type 5) the first one fills the placeholder."""
        record = self._hook(request)
        channel = self._channel(record)
        self._count(request, channel.id)
        limit = self.core.world.filesize_limit(channel.id)
        body = await read_message_body(request, record_of(request), keep_up_to=limit)
        original = record.original
        if record.ack_type == DEFERRED_MESSAGE and original is not None and original.loading:
            msg = self.messages.edit(original, body)
        else:
            msg = self.messages.create(
                channel,
                body,
                via="interaction-followup",
                flags=int(body.payload.get("flags") or 0) & EPHEMERAL,
                extra=self._extra(record),
                token=record.token,
            )
            record.followups.append(msg)
        self.core.changed()
        if truthy(request.query.get("wait")):
            return json_response(message_payload(self.core, msg))
        return web.Response(status=204)

    async def get_message(self, request: web.Request) -> web.Response:
        """GET @original or a follow-up."""
        record = self._hook(request)
        return json_response(message_payload(self.core, self._hook_message(record, request)))

    async def edit_message(self, request: web.Request) -> web.Response:
        """PATCH @original or a follow-up."""
        record = self._hook(request)
        msg = self._hook_message(record, request)
        self._count(request, msg.channel_id)
        limit = self.core.world.filesize_limit(msg.channel_id)
        body = await read_message_body(request, record_of(request), keep_up_to=limit)
        self.messages.edit(msg, body)
        return json_response(message_payload(self.core, msg))

    async def delete_message(self, request: web.Request) -> web.Response:
        """DELETE @original or a follow-up."""
        record = self._hook(request)
        self.messages.delete(self._hook_message(record, request))
        return web.Response(status=204)
