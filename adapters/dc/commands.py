"""Slash commands: `/imagine prompt:<text> [image:<attachment>]`, then every listed command of
the core's registry (`/help`, `/export`, `/lang language:<choice>`, `/login token:<text>`…).

Every command may be used where nemobot is installed for a server or by a person (a user
install), in servers, DMs with the bot and private channels.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.core.registry import IntentSpec, Registry
from bot.core.texts import language_of, t
from bot.core.wording import asks_to_generate

__all__ = ["Run", "install_commands", "tree_for"]

Command = app_commands.Command[Any, ..., None]


class Run(Protocol):
    """A command run: the interaction, the text for the core, an attached image (or None);
    `private`: the answer is for the asker alone (the command carries a secret)."""

    def __call__(
        self,
        interaction: discord.Interaction[Any],
        text: str,
        image: discord.Attachment | None,
        *,
        private: bool = False,
    ) -> Awaitable[None]: ...


def tree_for(client: discord.Client) -> app_commands.CommandTree[discord.Client]:
    """A command tree whose commands install on servers and accounts, usable everywhere."""
    return app_commands.CommandTree(
        client,
        allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
        allowed_contexts=app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=True
        ),
    )


def install_commands(
    tree: app_commands.CommandTree[discord.Client], run: Run, registry: Registry
) -> None:
    """Add /imagine and each command `registry` lists to `tree`; each hands its text to `run`."""
    tree.add_command(_imagine(run))
    for spec in registry.menu:
        tree.add_command(_command(spec, run))


def _imagine(run: Run) -> Command:
    """Discord's own way into a turn: a prompt, and an image to add first."""

    @app_commands.command(name="imagine", description=t("cmd_imagine"))
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

    return imagine


def _command(spec: IntentSpec, run: Run) -> Command:
    """`/name`, with its option (choices where the registry names them)."""
    private = not spec.keep_text  # a secret in the command: the answer is the asker's alone
    if spec.option is None:

        async def bare(interaction: discord.Interaction[Any]) -> None:
            await run(interaction, f"/{spec.name}", None, private=private)

        return Command(name=spec.name, description=spec.description(), callback=bare)

    async def given(interaction: discord.Interaction[Any], value: str) -> None:
        await run(interaction, f"/{spec.name} {value}", None, private=private)

    command = Command(name=spec.name, description=spec.description(), callback=given)
    app_commands.rename(value=spec.option.name)(command)
    app_commands.describe(value=spec.option_description())(command)
    if spec.option.choices:
        listed = [
            app_commands.Choice(name=spec.choice_label(value), value=value)
            for value in spec.option.choices
        ]
        app_commands.choices(value=listed)(command)
    return command
