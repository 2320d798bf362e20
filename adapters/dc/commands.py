"""Slash commands: `/imagine prompt:<text> [image:<attachment>]`, then every listed command of
the core's registry (`/help`, `/export`, `/lang language:<choice>`, `/login token:<text>`…).

Every command may be used where nemobot is installed for a server or by a person (a user
install), in servers, DMs with the bot and private channels; but `/settings`, with an option
for each setting, only in servers and only by members with Manage Server
(`default_member_permissions`, enforced by Discord; the core checks the member again).
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
        tree.add_command(_settings(run) if spec.name == "settings" else _command(spec, run))


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


def _choices(name: str, values: tuple[str, ...]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=t(f"cmd_settings_{name}_{v}"), value=v) for v in values]


def _settings(run: Run) -> Command:
    """A server's settings, each an option; the core gets `/settings name value …`."""

    @app_commands.command(name="settings", description=t("cmd_settings"))
    @app_commands.describe(
        access=t("cmd_settings_access"),
        language=t("cmd_settings_language"),
        quiet=t("cmd_settings_quiet"),
        daily_turns=t("cmd_settings_limit"),
        channels=t("cmd_settings_channels"),
    )
    @app_commands.choices(
        access=_choices("access", ("everyone", "admins")),
        language=[
            app_commands.Choice(name=t("cmd_settings_language_auto"), value="auto"),
            *(app_commands.Choice(name=t(f"cmd_lang_{v}"), value=v) for v in ("en", "zh")),
        ],
        quiet=_choices("quiet", ("on", "off")),
        channels=_choices("channels", ("all", "here", "add", "remove")),
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
    async def settings(
        interaction: discord.Interaction[Any],
        access: str | None = None,
        language: str | None = None,
        quiet: str | None = None,
        daily_turns: app_commands.Range[int, 0, 10_000] | None = None,
        channels: str | None = None,
    ) -> None:
        chosen: dict[str, object] = {"access": access, "language": language, "quiet": quiet}
        chosen |= {"limit": daily_turns, "channels": channels}
        words = [f"{name} {value}" for name, value in chosen.items() if value is not None]
        await run(interaction, " ".join(["/settings", *words]), None)

    return settings


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
