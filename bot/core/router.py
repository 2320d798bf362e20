"""Decide what a message is: a button press, a command, a quick intent, or an agent turn."""

from __future__ import annotations

import re

from bot.core import codec
from bot.core.intents import Intent
from bot.core.registry import Registry
from bot.core.wording import phrase_intent

__all__ = ["Intent", "route"]


# Deep links (`/start <payload>`, from a link the bot gave) run the intent they were made for.
START_PAYLOADS = {"export": "export"}


def route(
    text: str, registry: Registry, *, has_attachments: bool = False, chosen: bool = False
) -> Intent:
    """Classify one message against the intents `registry` runs (`chosen`: a result chosen
    in inline mode, whose text is a prompt whatever it says)."""
    stripped = text.strip()
    if chosen and "inline" in registry:
        return Intent("inline", stripped)
    button = codec.decode(stripped)
    if button is not None and button.action in registry.buttons:
        return Intent(registry.buttons[button.action], button=button)
    if stripped.startswith("/"):
        head, _, rest = _split_command(stripped[1:])
        name = head.split("@", 1)[0].lower()  # Telegram appends @botname in groups
        linked = START_PAYLOADS.get(rest.strip()) if name == "start" else None
        if linked is not None and linked in registry:
            return Intent(linked)
        if registry.command(name) is not None:
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
