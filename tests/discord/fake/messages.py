"""Messages: Discord's message object, and creating, editing, deleting with echoes."""

from __future__ import annotations

import asyncio
import mimetypes
from typing import Any

from tests.discord.fake.bodies import MessageBody
from tests.discord.fake.core import FakeCore
from tests.discord.fake.errors import ApiError, FormErrors
from tests.discord.fake.gateway import DIRECT_MESSAGES, GUILD_MESSAGES
from tests.discord.fake.ids import iso_now
from tests.discord.fake.limits import check_form, check_not_empty, check_size
from tests.discord.fake.mentions import pinged, user_ping
from tests.discord.fake.records import (
    COMPONENTS_V2,
    LOADING,
    MessageEdit,
    MessageVia,
    StoredAttachment,
    StoredMessage,
    UploadedFile,
)
from tests.discord.fake.world import Channel

SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS = 1 << 2, 1 << 12
SENDABLE_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | COMPONENTS_V2
REPLY = 19


def message_payload(core: FakeCore, msg: StoredMessage, *, nested: bool = True) -> dict[str, Any]:
    """The message object Discord would send for a stored message."""
    world = core.world
    guild = world.guilds.get(msg.guild_id) if msg.guild_id else None
    user_ids = [int(p[5:]) for p in sorted(msg.pinged) if p.startswith("user:")]
    role_ids = [p[5:] for p in sorted(msg.pinged) if p.startswith("role:")]
    mentions = []
    for uid in user_ids:
        entry = world.user_payload(uid)
        if guild is not None:
            entry["member"] = world.member_payload(guild, uid, with_user=False)
        mentions.append(entry)
    body: dict[str, Any] = {
        "id": str(msg.id),
        "channel_id": str(msg.channel_id),
        "author": world.user_payload(msg.author_id),
        "content": msg.content,
        "timestamp": msg.timestamp,
        "edited_timestamp": msg.edited_timestamp,
        "tts": False,
        "mention_everyone": bool({"everyone", "here"} & msg.pinged),
        "mentions": mentions,
        "mention_roles": role_ids,
        "attachments": [a.payload() for a in msg.attachments],
        "embeds": msg.embeds,
        "components": msg.components,
        "pinned": False,
        "type": msg.type,
        "flags": msg.flags,
    }
    if guild is not None:
        body["guild_id"] = str(guild.id)
        body["member"] = world.member_payload(guild, msg.author_id, with_user=False)
    if msg.nonce is not None:
        body["nonce"] = msg.nonce
    if msg.message_reference is not None:
        body["message_reference"] = msg.message_reference
        if nested:
            body["referenced_message"] = _referenced(core, msg.message_reference)
    body.update(msg.extra)
    return body


def _referenced(core: FakeCore, reference: dict[str, Any]) -> dict[str, Any] | None:
    target = core.world.messages.get(int(reference.get("message_id") or 0))
    if target is None or target.deleted:
        return None
    return message_payload(core, target, nested=False)


class MessageService:
    """Creates, edits and deletes messages the way Discord checks and echoes them."""

    def __init__(self, core: FakeCore) -> None:
        self.core = core

    # --- create ------------------------------------------------------------------------

    def create(
        self,
        channel: Channel,
        body: MessageBody,
        *,
        via: MessageVia,
        flags: int = 0,
        msg_type: int = 0,
        extra: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> StoredMessage:
        """Validate and store a new bot message, then echo MESSAGE_CREATE."""
        payload = body.payload
        check_size(body.total_bytes, self.core.world.filesize_limit(channel.id))
        check_form(payload, attachment_count=len(body.files))
        content = payload.get("content") or ""
        embeds = payload.get("embeds") or []
        components = payload.get("components") or []
        check_not_empty(
            content,
            embeds=embeds,
            attachments=len(body.files),
            components=components,
            payload=payload,
        )
        reference, replied = self._reference(channel, payload.get("message_reference"))
        mentions = payload.get("allowed_mentions")
        msg = StoredMessage(
            id=self.core.snowflakes.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=self.core.world.bot.id,
            via=via,
            created_at=self.core.now(),
            timestamp=iso_now(),
            content=content,
            sent=payload,
            embeds=embeds,
            components=components,
            flags=(int(payload.get("flags") or 0) & SENDABLE_FLAGS) | flags,
            type=REPLY if reference and msg_type == 0 else msg_type,
            allowed_mentions=mentions,
            message_reference=reference,
            nonce=_nonce(payload),
            interaction_token=token,
            extra=extra or {},
        )
        if not msg.loading:
            msg.pinged = pinged(
                content, mentions, replied_author=replied, in_guild=channel.guild_id is not None
            )
        msg.attachments = self._attachments(channel.id, body.files)
        self.core.world.store(msg)
        self.echo("MESSAGE_CREATE", msg)
        return msg

    def placeholder(
        self, channel: Channel, *, flags: int, msg_type: int, extra: dict[str, Any], token: str
    ) -> StoredMessage:
        """The "thinking..." message a deferred (type 5) interaction response creates."""
        msg = StoredMessage(
            id=self.core.snowflakes.next(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author_id=self.core.world.bot.id,
            via="interaction-original",
            created_at=self.core.now(),
            timestamp=iso_now(),
            flags=flags | LOADING,
            type=msg_type,
            interaction_token=token,
            extra=extra,
        )
        self.core.world.store(msg)
        self.echo("MESSAGE_CREATE", msg)
        return msg

    def existing_by_nonce(self, channel_id: int, payload: dict[str, Any]) -> StoredMessage | None:
        """enforce_nonce: the bot's earlier message with the same nonce, if any."""
        nonce = _nonce(payload)
        if nonce is None or not payload.get("enforce_nonce"):
            return None
        for msg in self.core.world.bot_messages(channel_id):
            if msg.nonce == nonce:
                return msg
        return None

    def _reference(
        self, channel: Channel, reference: dict[str, Any] | None
    ) -> tuple[dict[str, Any] | None, int | None]:
        if not reference:
            return None, None
        target = self.core.world.messages.get(int(reference.get("message_id") or 0))
        if target is None or target.deleted or target.channel_id != channel.id:
            if reference.get("fail_if_not_exists", True):
                errors = FormErrors()
                errors.add(
                    ["message_reference"],
                    "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                    "Unknown message",
                )
                errors.raise_if_any()
            return None, None
        normalized = {
            "type": 0,
            "message_id": str(target.id),
            "channel_id": str(channel.id),
        }
        if channel.guild_id is not None:
            normalized["guild_id"] = str(channel.guild_id)
        bot = self.core.world.bot.id
        return normalized, (target.author_id if target.author_id != bot else None)

    def _attachments(self, channel_id: int, files: list[UploadedFile]) -> list[StoredAttachment]:
        stored = []
        for upload in files:
            attachment_id = self.core.snowflakes.next()
            content_type = upload.content_type
            if content_type in (None, "application/octet-stream"):
                content_type = mimetypes.guess_type(upload.filename)[0] or content_type
            stored.append(
                StoredAttachment(
                    id=attachment_id,
                    channel_id=channel_id,
                    filename=upload.filename,
                    size=upload.size,
                    content_type=content_type,
                    url=self.core.cdn_url(channel_id, attachment_id, upload.filename),
                    data=upload.data if upload.data is not None else b"",
                )
            )
        return stored

    # --- edit / delete -----------------------------------------------------------------

    def edit(self, msg: StoredMessage, body: MessageBody) -> StoredMessage:
        """Validate and apply an edit, then echo MESSAGE_UPDATE. Edits never ping."""
        payload = body.payload
        check_size(body.total_bytes, self.core.world.filesize_limit(msg.channel_id))
        kept = self._kept_attachments(msg, payload)
        check_form(payload, attachment_count=len(kept) + len(body.files))
        content = (payload.get("content") or "") if "content" in payload else msg.content
        embeds = (payload.get("embeds") or []) if "embeds" in payload else msg.embeds
        components = (
            (payload.get("components") or []) if "components" in payload else msg.components
        )
        check_not_empty(
            content,
            embeds=embeds,
            attachments=len(kept) + len(body.files),
            components=components,
            payload=payload,
        )
        was_loading = msg.loading
        msg.content, msg.embeds, msg.components = content, embeds, components
        msg.attachments = kept + self._attachments(msg.channel_id, body.files)
        for attachment in msg.attachments:
            self.core.world.attachments[attachment.id] = attachment
        if "flags" in payload:
            wanted = int(payload.get("flags") or 0)
            msg.flags = (msg.flags & ~SUPPRESS_EMBEDS) | (wanted & SUPPRESS_EMBEDS)
        msg.flags &= ~LOADING
        if "allowed_mentions" in payload:
            msg.allowed_mentions = payload["allowed_mentions"]
        msg.edits.append(MessageEdit(self.core.now(), payload, content))
        if not was_loading:
            msg.edited_timestamp = iso_now()
        self.echo("MESSAGE_UPDATE", msg)
        return msg

    def _kept_attachments(
        self, msg: StoredMessage, payload: dict[str, Any]
    ) -> list[StoredAttachment]:
        if "attachments" not in payload:
            return list(msg.attachments)
        wanted = {str(entry.get("id")) for entry in payload.get("attachments") or []}
        return [a for a in msg.attachments if str(a.id) in wanted]

    def delete(self, msg: StoredMessage) -> None:
        """Mark deleted and echo MESSAGE_DELETE."""
        if msg.deleted:
            raise ApiError(404, "Unknown Message", 10008)
        msg.deleted = True
        data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        self.dispatch("MESSAGE_DELETE", msg, data)

    # --- gateway echo ------------------------------------------------------------------

    def echo(self, event: str, msg: StoredMessage) -> None:
        """Send MESSAGE_CREATE/UPDATE for a message the bot may see."""
        self.dispatch(event, msg, message_payload(self.core, msg))

    def dispatch(
        self, event: str, msg: StoredMessage, data: dict[str, Any]
    ) -> list[asyncio.Future[bool]]:
        """Send a message event to the sessions entitled to it (intents, content rules)."""
        channel = self.core.world.channel(msg.channel_id)
        self.core.changed()
        if msg.ephemeral or channel is None or not channel.bot_is_member:
            return []
        bot = self.core.world.bot.id
        exempt = msg.author_id == bot or msg.guild_id is None or user_ping(bot) in msg.pinged
        return self.core.hub.dispatch(
            event,
            data,
            guild_id=msg.guild_id,
            intent=GUILD_MESSAGES if msg.guild_id is not None else DIRECT_MESSAGES,
            message_content_exempt=exempt,
        )


def _nonce(payload: dict[str, Any]) -> str | None:
    nonce = payload.get("nonce")
    return None if nonce is None else str(nonce)
