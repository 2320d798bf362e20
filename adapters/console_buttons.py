"""Console buttons: printed as `[🔁 Again]`, pressed by typing their word (`again`)."""

from __future__ import annotations

import re

from bot.core import codec
from bot.core.outbox import Keyboard

__all__ = ["TypedButtons", "words_of"]

# Buttons that do what a command does: typing their word sends the command, so it acts on the
# current project even after /new made older buttons stale.
_COMMANDS = {
    "export": "/export",
    "retry": "/export",
    "status": "/status",
    "credits": "/credits",
    "new": "/new",
    "web": "/web",
}
_NOT_WORD = re.compile(r"[^\w#]+")


def words_of(text: str) -> str:
    """A label or a typed line reduced to its words: "[🔁 Again #2]" → "again #2"."""
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


class TypedButtons:
    """The words of the buttons printed so far, and what typing one sends."""

    def __init__(self) -> None:
        self._sends: dict[str, str] = dict(_COMMANDS)

    def shown(self, keyboard: Keyboard) -> None:
        """Remember a printed keyboard; its buttons replace older ones of the same word."""
        latest: dict[str, str] = {}
        for row in keyboard:
            for button in row:
                found = codec.decode(button.data)
                if found is None:
                    continue
                sends = _COMMANDS.get(found.action, button.data)
                latest.setdefault(words_of(button.label), sends)
                latest.setdefault(found.action, sends)  # "again" presses the first Again
        self._sends.update(latest)

    def pressed(self, line: str) -> str | None:
        """What typing `line` sends when it is a button's word, else None."""
        return self._sends.get(words_of(line)) if line.strip() else None
