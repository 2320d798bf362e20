"""`DiscordOutbox`: the core's Outbox on discord.py.

An answer to an interaction goes through the interaction (its follow-ups; the first one
fills the deferred "thinking" message) while the token lives; later answers go to the
channel, or to the user's DMs, as plain messages that mention the user. Everything is sent
with mentions that ping nobody, but for that one deliberate mention of the person asked.
Message ids carry how they were sent: `w:<id>` through an interaction, `c:<id>` in a channel.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import discord

from adapters.dc.buttons import view_of
from adapters.dc.handles import Handle
from adapters.dc.limits import DEFAULT_UPLOAD, limits_for
from bot.core.files import copy_capped
from bot.core.messages import Attachment, ChatRef
from bot.core.outbox import (
    Keyboard,
    Limits,
    OutboxError,
    OutboxRetryLater,
    VideoFile,
)

__all__ = ["PLATFORM", "DiscordOutbox", "InteractionGone"]

log = logging.getLogger(__name__)
T = TypeVar("T")

PLATFORM = "discord"
NOBODY = discord.AllowedMentions.none()
_NETWORK_RETRY_SECONDS = 2.0


class InteractionGone(OutboxError):
    """Discord no longer accepts the interaction's token (it expired sooner than we thought)."""


async def _translate(what: str, make: Callable[[], Awaitable[T]]) -> T:
    """Run one Discord call; its failures as the core's Outbox errors."""
    try:
        return await make()
    except discord.RateLimited as exc:
        raise OutboxRetryLater(f"{what}: rate limited", exc.retry_after) from None
    except discord.HTTPException as exc:
        if exc.status == 429:
            raise OutboxRetryLater(f"{what}: rate limited", _NETWORK_RETRY_SECONDS) from None
        if exc.status == 401 or exc.code == 50027:
            raise InteractionGone(f"{what}: the interaction token expired") from None
        if exc.status == 413 or exc.code == 40005:
            raise OutboxError(f"{what}: the file is over this chat's upload limit") from None
        raise OutboxError(f"{what}: HTTP {exc.status} (code {exc.code})") from None
    except aiohttp.ClientConnectionError:
        raise OutboxRetryLater(f"{what}: network error", _NETWORK_RETRY_SECONDS) from None
    except (aiohttp.ClientError, TimeoutError):
        # The request may have arrived: never send it again on our own.
        raise OutboxError(f"{what}: network failure") from None


class DiscordOutbox:
    """Talks back in Discord channels and DMs through one discord.py `Client`."""

    platform = PLATFORM

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    def limits(self, chat: ChatRef) -> Limits:
        handle = Handle.decode(chat.interaction)
        if handle is not None and handle.upload_limit:
            return limits_for(chat, handle.upload_limit)
        channel = self._client.get_channel(int(chat.chat_id))
        guild = getattr(channel, "guild", None)
        return limits_for(chat, guild.filesize_limit if guild is not None else DEFAULT_UPLOAD)

    # -- sending --------------------------------------------------------------------------

    async def send_text(self, chat: ChatRef, text: str, buttons: Keyboard = ()) -> str:
        return await self._post(chat, "send", content=text, view=view_of(buttons))

    async def send_images(
        self, chat: ChatRef, images: Sequence[Path], caption: str = "", buttons: Keyboard = ()
    ) -> list[str]:
        files = [discord.File(path, filename=path.name) for path in images]
        return [
            await self._post(
                chat, "send images", content=caption, files=files, view=view_of(buttons)
            )
        ]

    async def send_video(
        self, chat: ChatRef, video: VideoFile, caption: str = "", buttons: Keyboard = ()
    ) -> str:
        file = discord.File(video.path, filename=video.path.name)
        return await self._post(
            chat, "send video", content=caption, files=[file], view=view_of(buttons)
        )

    async def _post(
        self,
        chat: ChatRef,
        what: str,
        *,
        content: str,
        files: Sequence[discord.File] = (),
        view: discord.ui.View | None = None,
    ) -> str:
        extra: dict[str, Any] = {"files": list(files)} if files else {}
        if view is not None:
            extra["view"] = view
        handle = self._live(chat)
        if handle is not None:
            try:
                return await self._follow_up(handle, what, content, extra)
            except InteractionGone:
                log.info("an interaction expired early; answering in the channel")
                for file in files:
                    file.reset()
        return await self._in_channel(chat, what, content, extra)

    async def _follow_up(
        self, handle: Handle, what: str, content: str, extra: dict[str, Any]
    ) -> str:
        hook = self._webhook(handle)
        sent = await _translate(
            what,
            lambda: hook.send(
                content or discord.utils.MISSING, wait=True, allowed_mentions=NOBODY, **extra
            ),
        )
        return f"w:{sent.id}"

    async def _in_channel(
        self, chat: ChatRef, what: str, content: str, extra: dict[str, Any]
    ) -> str:
        channel = await self._channel(chat)
        content, mentions = _addressed_to(chat, content)
        if chat.reply_to and not chat.interaction:
            extra["reference"] = discord.MessageReference(
                message_id=int(chat.reply_to),
                channel_id=int(chat.chat_id),
                fail_if_not_exists=False,
            )
        message = await _translate(
            what, lambda: channel.send(content or None, allowed_mentions=mentions, **extra)
        )
        return f"c:{message.id}"

    # -- changing what was sent -----------------------------------------------------------

    async def edit_text(
        self, chat: ChatRef, message_id: str, text: str, buttons: Keyboard = ()
    ) -> None:
        kind, _, raw = message_id.partition(":")
        view = view_of(buttons)
        if kind == "w":
            handle = self._live(chat)
            if handle is None:
                raise OutboxError("the interaction expired: its messages can no longer be edited")
            hook = self._webhook(handle)
            await _translate(
                "edit",
                lambda: hook.edit_message(
                    int(raw), content=text, view=view, allowed_mentions=NOBODY
                ),
            )
            return
        partial = _partial(await self._channel(chat), int(raw))
        text, mentions = _addressed_to(chat, text)
        await _translate(
            "edit", lambda: partial.edit(content=text, view=view, allowed_mentions=mentions)
        )

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool:
        kind, _, raw = message_id.partition(":")
        try:
            if kind == "w":
                handle = self._live(chat)
                if handle is None:
                    return False
                await _translate("delete", lambda: self._webhook(handle).delete_message(int(raw)))
            else:  # ours ("c:<id>"), or a user's message by its plain id
                plain = int(raw) if kind == "c" else int(message_id)
                await _translate("delete", _partial(await self._channel(chat), plain).delete)
        except OutboxRetryLater:
            raise
        except OutboxError as exc:
            log.debug("message not deleted: %s", exc)
            return False
        return True

    async def send_typing(self, chat: ChatRef, action: str = "typing") -> None:
        unseen = self._client.get_channel(int(chat.chat_id)) is None
        if unseen and chat.interaction and not chat.private:
            return  # maybe not in that server (a user-installed command): nothing to show
        await _translate("typing", lambda: self._client.http.send_typing(int(chat.chat_id)))

    async def fetch_attachment(self, attachment: Attachment, dest: Path, limit: int) -> Path:
        if not attachment.ref:
            raise OutboxError(f"{attachment.name} was not downloaded")
        return await asyncio.to_thread(copy_capped, Path(attachment.ref), dest, limit)

    # -- where to --------------------------------------------------------------------------

    def _live(self, chat: ChatRef) -> Handle | None:
        """The chat's interaction while it may still be used, else None."""
        handle = Handle.decode(chat.interaction)
        expires = chat.interaction_expires or 0.0
        return handle if handle is not None and time.time() < expires else None

    def _webhook(self, handle: Handle) -> discord.Webhook:
        return discord.Webhook.partial(handle.application_id, handle.token, client=self._client)

    async def _channel(self, chat: ChatRef) -> discord.abc.Messageable:
        channel = self._client.get_channel(int(chat.chat_id))
        if isinstance(channel, discord.abc.Messageable):
            return channel
        if not chat.interaction:
            # The bot received a message there, on a shard another worker may hold: no
            # lookup, just the channel's id for REST.
            return self._client.get_partial_messageable(int(chat.chat_id))
        try:
            fetched = await self._client.fetch_channel(int(chat.chat_id))
        except discord.HTTPException:
            fetched = None
        if isinstance(fetched, discord.abc.Messageable):
            return fetched
        if chat.mention:
            # A server the bot is not in (a user install): answer in the person's DMs.
            user = await _translate(
                "fetch user", lambda: self._client.fetch_user(int(chat.mention or 0))
            )
            return await _translate("open DM", user.create_dm)
        raise OutboxError("the bot cannot reach that channel")


def _partial(channel: discord.abc.Messageable, message_id: int) -> discord.PartialMessage:
    """A message of `channel` by id, to edit or delete without fetching it."""
    get = getattr(channel, "get_partial_message", None)
    if get is None:
        raise OutboxError("that channel's messages cannot be changed")
    partial: discord.PartialMessage = get(message_id)
    return partial


def _addressed_to(chat: ChatRef, content: str) -> tuple[str, discord.AllowedMentions]:
    """A channel message's text and mentions: past its interaction, it names the asker."""
    if not (chat.interaction and chat.mention):
        return content, NOBODY
    # Tell the person who asked (the interaction expired), and only them.
    only_them = discord.AllowedMentions(
        everyone=False, roles=False, users=[discord.Object(int(chat.mention))]
    )
    return f"<@{chat.mention}> {content}", only_them
