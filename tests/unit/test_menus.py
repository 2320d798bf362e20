"""The Telegram menu, the Discord slash commands and /help all come from the registry."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands

from adapters.dc.commands import install_commands, tree_for
from adapters.tg.commands import menu
from bot.core import texts
from bot.core.help import help_text
from bot.core.registry import Registry
from bot.core.root_router import build_registry
from bot.core.texts import LANGUAGES
from tests.extra_command import STYLE_EN, STYLE_ZH, style, with_style

REGISTRY = build_registry()
DISCORD_ONLY = {"imagine"}  # Discord's own way into a turn, with an image option
# The platforms' limits on what a menu shows.
TELEGRAM_DESCRIPTION, DISCORD_DESCRIPTION = 256, 100


async def _never(*_: object, **__: object) -> None:
    """A command run the tests never trigger: the tree is only read."""


def discord_commands(registry: Registry) -> dict[str, app_commands.Command[Any, ..., None]]:
    """The slash commands the adapter would sync for `registry`, by name."""
    tree = tree_for(discord.Client(intents=discord.Intents.none()))
    install_commands(tree, _never, registry)
    found = {}
    for command in tree.get_commands():
        assert isinstance(command, app_commands.Command)
        found[command.name] = command
    return found


def test_every_listed_command_is_on_both_menus_and_every_entry_has_a_handler() -> None:
    """Telegram (each language) and Discord list exactly the registry's commands."""
    listed = [spec.name for spec in REGISTRY.menu]
    for lang in LANGUAGES:
        assert [command.command for command in menu(REGISTRY, lang)] == listed
    on_discord = discord_commands(REGISTRY)
    assert set(on_discord) - DISCORD_ONLY == set(listed)
    for name in set(on_discord) - DISCORD_ONLY:
        spec = REGISTRY.command(name)
        assert spec is not None and spec.listed and spec.handler is not None


def test_operators_commands_are_on_no_menu_and_not_in_help() -> None:
    """Reachable by operators, shown to nobody."""
    hidden = {"stats", "ban", "unban", "allow", "deny"}
    assert not hidden & {command.command for command in menu(REGISTRY, "en")}
    assert not hidden & set(discord_commands(REGISTRY))
    for lang in LANGUAGES:
        assert not any(f"/{name}" in help_text(REGISTRY, lang) for name in hidden)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_listed_command_is_described_within_the_platforms_limits(lang: str) -> None:
    """A description (and its option's, and each choice's label) in both languages."""
    for spec in REGISTRY.menu:
        lines = [spec.description(lang)]
        if spec.option is not None:
            lines.append(spec.option_description(lang))
            lines += [spec.choice_label(value, lang) for value in spec.option.choices]
        for line in lines:
            assert 1 <= len(line.strip()) <= min(TELEGRAM_DESCRIPTION, DISCORD_DESCRIPTION)


def test_telegram_menu_in_each_language() -> None:
    """English for everyone, Chinese for Chinese-speaking users."""
    english = dict((c.command, c.description) for c in menu(REGISTRY, "en"))
    chinese = dict((c.command, c.description) for c in menu(REGISTRY, "zh"))
    assert english["export"] == "Render your project as a 1080p MP4"
    assert chinese["export"] == "把项目渲染成 1080p MP4"


def test_discord_commands_that_take_an_argument_ask_for_it() -> None:
    """/lang offers the languages; /login asks for the token; the rest take nothing."""
    commands = discord_commands(REGISTRY)
    [language] = commands["lang"].parameters
    assert language.display_name == "language" and language.required
    assert [(c.name, c.value) for c in language.choices] == [("English", "en"), ("中文", "zh")]
    [token] = commands["login"].parameters
    assert token.display_name == "token" and token.required and not token.choices
    assert commands["login"].description == "Use your own NemoVideo token (private chat)"
    assert all(not commands[name].parameters for name in ("help", "export", "new", "start"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_help_lists_every_command_with_its_description(lang: str) -> None:
    """One line per listed command, in the menu's order, after what the bot understands."""
    text = help_text(REGISTRY, lang)
    assert text.startswith(texts.t("help", lang))
    positions = []
    for spec in REGISTRY.menu:
        line = f"• {spec.usage()} — {spec.description(lang)}"
        assert line in text.splitlines()
        positions.append(text.index(line))
    assert positions == sorted(positions)
    assert "• /lang en|zh — " in text and "• /login <token> — " in text


def test_help_says_how_to_press_typed_buttons_only_where_they_are_typed() -> None:
    """The console's typed buttons get one more line."""
    typed = help_text(REGISTRY, "en", typed_buttons=True)
    assert typed == help_text(REGISTRY, "en") + "\n" + texts.t("help_typed_buttons", "en")


def test_a_new_command_is_one_handler_and_one_line_of_strings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Adding /style: its handler in a router, and its description in each language. The
    Telegram menu (both languages), the Discord slash commands and /help all show it."""
    registry = with_style(monkeypatch)
    assert ("style", STYLE_EN) in [(c.command, c.description) for c in menu(registry, "en")]
    assert ("style", STYLE_ZH) in [(c.command, c.description) for c in menu(registry, "zh")]
    assert discord_commands(registry)["style"].description == STYLE_EN
    assert f"• /style — {STYLE_EN}" in help_text(registry, "en").splitlines()
    assert f"• /style — {STYLE_ZH}" in help_text(registry, "zh").splitlines()
    assert registry["style"].handler is style and registry["style"].lane == "side"
    assert "style" not in build_registry()  # the bot's own registry is untouched


def test_with_inline_mode_on_help_says_how_to_use_it() -> None:
    """The menu's /help line and /help itself name the bot's inline handle; without inline
    mode (Discord, the console) neither mentions it."""
    english = dict((c.command, c.description) for c in menu(REGISTRY, "en", "@nemobot"))
    chinese = dict((c.command, c.description) for c in menu(REGISTRY, "zh", "@nemobot"))
    assert "@nemobot" in english["help"] and "@nemobot" in chinese["help"]
    assert all("@nemobot" not in c.description for c in menu(REGISTRY, "en"))
    assert "type @nemobot and a description" in help_text(REGISTRY, "en", inline_handle="@nemobot")
    assert "@" not in help_text(REGISTRY, "en")
