"""From Discord messages and interactions to the core's `IncomingMessage`.

Guild channels: messages that mention the bot (the mention is taken out) or reply to it;
DMs: every message; threads are answered in the thread. Bots, the bot itself included, are
ignored. A guild channel's `ChatRef.space` is its server (whose settings apply there), and a
member with Manage Server is marked `User.manager` (the server's admins, for /settings).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from adapters.dc.handles import Handle, expires_at
from adapters.dc.outbox import PLATFORM
from bot.core.messages import Attachment, ChatRef, IncomingMessage, User

__all__ = ["addressed", "interaction_chat", "message_of", "press_of"]

_ANSWERED = (discord.MessageType.default, discord.MessageType.reply)


def addressed(message: discord.Message, me: discord.abc.User) -> bool:
    """The message is for the bot: a DM, a mention of it, or a reply to one of its messages."""
    if message.author.bot or message.type not in _ANSWERED:
        return False
    if message.guild is None:
        return True
    if any(user.id == me.id for user in message.mentions):
        return True
    reference = message.reference
    resolved = reference.resolved if reference is not None else None
    return isinstance(resolved, discord.Message) and resolved.author.id == me.id


def message_of(
    message: discord.Message, me: discord.abc.User, attachments: Sequence[Attachment]
) -> IncomingMessage:
    """A message for the core (check `addressed` first); the bot's mention is taken out."""
    private = message.guild is None
    text = re.sub(rf"<@!?{me.id}>", "", message.content).strip()
    author = message.author
    manager = isinstance(author, discord.Member) and author.guild_permissions.manage_guild
    return IncomingMessage(
        update_id=f"message:{message.id}",
        user=User(PLATFORM, str(author.id), author.display_name, manager=manager),
        chat=ChatRef(
            PLATFORM,
            str(message.channel.id),
            private=private,
            reply_to=None if private else str(message.id),
            mention=str(author.id),
            space=None if message.guild is None else str(message.guild.id),
        ),
        text=text,
        attachments=tuple(attachments),
        message_id=str(message.id),
    )


def interaction_chat(interaction: discord.Interaction[discord.Client], kind: str) -> ChatRef:
    """Where an interaction's answers go: through it for 15 minutes, then the channel."""
    handle = Handle(kind, interaction.application_id, interaction.token, interaction.filesize_limit)
    return ChatRef(
        PLATFORM,
        str(interaction.channel_id),
        private=interaction.guild_id is None,
        interaction=handle.encode(),
        interaction_expires=expires_at(),
        mention=str(interaction.user.id),
        space=None if interaction.guild_id is None else str(interaction.guild_id),
    )


def press_of(
    interaction: discord.Interaction[discord.Client],
    text: str,
    kind: str,
    attachments: Sequence[Attachment] = (),
) -> IncomingMessage:
    """A slash command ("s") or button press ("c") for the core."""
    user = interaction.user
    manager = interaction.guild_id is not None and interaction.permissions.manage_guild
    return IncomingMessage(
        update_id=f"interaction:{interaction.id}",
        user=User(
            PLATFORM, str(user.id), user.display_name, str(interaction.locale), manager=manager
        ),
        chat=interaction_chat(interaction, kind),
        text=text,
        attachments=tuple(attachments),
    )
