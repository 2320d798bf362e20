"""Decide what a message is: a button press, a command, a quick intent, or an agent turn."""

from __future__ import annotations

import re

from bot.core import admin as _admin  # noqa: F401 - registers the operators' commands
from bot.core import codec
from bot.core import commands as _commands  # noqa: F401 - registers every handler
from bot.core.intents import REGISTRY, Intent
from bot.core.wording import phrase_intent

__all__ = ["BUTTON_INTENTS", "Intent", "command_names", "route"]

# What a button press does, by codec action.
BUTTON_INTENTS = {
    "export": "export",
    "retry": "export",
    "status": "status",
    "credits": "credits",
    "new": "new",
    "again": "again",
    "variation": "variation",
    "web": "web",
    "resend": "resend",
    "sendagain": "send_again",
}


def command_names() -> frozenset[str]:
    """Every `/name` the bot answers."""
    return frozenset(name for name, spec in REGISTRY.items() if spec.command)


def route(text: str, *, has_attachments: bool = False) -> Intent:
    """Classify one message."""
    stripped = text.strip()
    button = codec.decode(stripped)
    if button is not None:
        return Intent(BUTTON_INTENTS[button.action], button=button)
    if stripped.startswith("/"):
        head, _, rest = _split_command(stripped[1:])
        name = head.split("@", 1)[0].lower()  # Telegram appends @botname in groups
        if name in command_names():
            return Intent(name, rest.strip())
        return Intent("unknown_command", "/" + head)
    if has_attachments:
        return Intent("upload", stripped)
    if not stripped:
        return Intent("empty")
    kind = phrase_intent(stripped)
    return Intent(kind) if kind else Intent("turn", stripped)


_COMMAND = re.compile(r"(\S*)\s*(.*)\Z", re.DOTALL)


def _split_command(line: str) -> tuple[str, str, str]:
    """`name`, ` `, `rest`: the name ends at whitespace of any kind ("/login\n<token>")."""
    found = _COMMAND.match(line)
    assert found is not None  # the pattern matches every string
    return found.group(1), " ", found.group(2)
