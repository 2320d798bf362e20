"""Buttons as persistent components: any `nemo:` payload, answered within 3 s, after restarts."""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

import discord

from bot.core import codec
from bot.core.outbox import Keyboard
from bot.core.texts import chat_language, t

__all__ = ["NemoButton", "PressHandler", "foreign", "refuse", "view_of"]

log = logging.getLogger(__name__)


class PressHandler(Protocol):
    """What a client that receives presses offers (our client does)."""

    async def on_press(self, interaction: discord.Interaction[Any], payload: str) -> None:
        """Take a press whose interaction was just acknowledged."""
        ...


class NemoButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=re.compile(r"nemo:[a-z]+:.*"),
):
    """A button whose custom id is a `bot.core.codec` payload (stateless, so restart-proof)."""

    def __init__(self, payload: str, label: str = "", row: int | None = None) -> None:
        button: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label=label or "…", custom_id=payload, style=discord.ButtonStyle.secondary
        )
        super().__init__(button, row=row)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> NemoButton:
        label = getattr(item, "label", None) or ""
        return cls(match.group(0), label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if foreign(interaction):
            return  # `nemo:`-shaped but not a payload of ours: the client's on_interaction says so
        # Acknowledge first (the 3-second rule); the answer comes as a follow-up.
        await interaction.response.defer()
        client = interaction.client
        if hasattr(client, "on_press"):
            await client.on_press(interaction, self.custom_id)


def foreign(interaction: discord.Interaction[Any]) -> bool:
    """A component press whose custom id is not one of the bot's button payloads."""
    if interaction.type is not discord.InteractionType.component:
        return False
    data: dict[str, Any] = dict(interaction.data or {})
    custom_id = data.get("custom_id")
    return not isinstance(custom_id, str) or codec.decode(custom_id) is None


async def refuse(interaction: discord.Interaction[Any]) -> None:
    """Answer a press that is not one of the bot's buttons with a line only the presser sees."""
    log.info("refused a button press that is not ours (interaction %d)", interaction.id)
    text = t("button_unknown", chat_language(str(interaction.locale)))
    try:
        await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException as exc:
        log.debug("could not answer a foreign button press (HTTP %s)", exc.status)


def view_of(buttons: Keyboard) -> discord.ui.View | None:
    """A persistent view with the core's rows of buttons, or None."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for row, line in enumerate(buttons[:5]):  # Discord: at most 5 rows of 5
        for button in line[:5]:
            view.add_item(NemoButton(button.data, button.label[:80], row=row))
    return view
