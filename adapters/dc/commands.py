"""Slash commands: `/imagine prompt:<text> [image:<attachment>]`, `/lang`, `/help`, `/export`…

Every command may be used where nemobot is installed for a server or by a person (a user
install), in servers, DMs with the bot and private channels.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.core.texts import language_of, t
from bot.core.wording import asks_to_generate

__all__ = ["LANGUAGES", "SIMPLE", "install_commands", "tree_for"]

# A command run: the interaction, the text for the core, an attached image (or None).
Run = Callable[[discord.Interaction[Any], str, discord.Attachment | None], Awaitable[None]]
SIMPLE = ("help", "export", "status", "credits", "new", "cancel", "web")
LANGUAGES = (
    app_commands.Choice(name="English", value="en"),
    app_commands.Choice(name="中文", value="zh"),
)


def tree_for(client: discord.Client) -> app_commands.CommandTree[discord.Client]:
    """A command tree whose commands install on servers and accounts, usable everywhere."""
    return app_commands.CommandTree(
        client,
        allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=True
        ),
    )


def install_commands(tree: app_commands.CommandTree[discord.Client], run: Run) -> None:
    """Add every command to `tree`; each hands its text to `run`."""

    @tree.command(name="imagine", description=t("cmd_imagine"))
    @app_commands.describe(prompt=t("cmd_imagine_prompt"), image=t("cmd_imagine_image"))
    async def imagine(
        interaction: discord.Interaction[Any],
        prompt: app_commands.Range[str, 1, 1500],
        image: discord.Attachment | None = None,
    ) -> None:
        text = (
            prompt
            if asks_to_generate(prompt)
            else t("agent_imagine", language_of(prompt), prompt=prompt)
        )
        await run(interaction, text, image)

    for name in SIMPLE:
        tree.add_command(_simple(name, run))

    @tree.command(name="lang", description=t("cmd_lang"))
    @app_commands.describe(language=t("cmd_lang_choice"))
    @app_commands.choices(language=list(LANGUAGES))
    async def lang(
        interaction: discord.Interaction[Any], language: app_commands.Choice[str]
    ) -> None:
        await run(interaction, f"/lang {language.value}", None)


def _simple(name: str, run: Run) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction[Any]) -> None:
        await run(interaction, f"/{name}", None)

    return app_commands.Command(name=name, description=t(f"cmd_{name}"), callback=callback)
