"""Buttons as persistent components: any `nemo:` payload, answered within 3 s, after restarts."""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.core.outbox import Keyboard

__all__ = ["NemoButton", "PressHandler", "view_of"]


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
        # Acknowledge first (the 3-second rule); the answer comes as a follow-up.
        await interaction.response.defer()
        client = interaction.client
        if hasattr(client, "on_press"):
            await client.on_press(interaction, self.custom_id)


def view_of(buttons: Keyboard) -> discord.ui.View | None:
    """A persistent view with the core's rows of buttons, or None."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for row, line in enumerate(buttons[:5]):  # Discord: at most 5 rows of 5
        for button in line[:5]:
            view.add_item(NemoButton(button.data, button.label[:80], row=row))
    return view
