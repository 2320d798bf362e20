"""What a message is, decided once when it is accepted and stored with it.

How each kind of intent runs (its lane, what it needs, its handler) is in
`bot.core.registry`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from bot.core.codec import ButtonAction

__all__ = ["Intent", "can_send_again"]


@dataclass(frozen=True, slots=True)
class Intent:
    """What to do with a message; `arg` is the rest of a command line."""

    kind: str
    arg: str = ""
    button: ButtonAction | None = None  # set when the message is a button press

    def to_json(self) -> str:
        """Stored with the message when it is accepted: the decision is never made again."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Intent:
        """Inverse of `to_json`."""
        data = json.loads(raw)
        button = data.get("button")
        return cls(
            kind=str(data["kind"]),
            arg=str(data.get("arg") or ""),
            button=ButtonAction(**button) if isinstance(button, dict) else None,
        )


# What Send again may run: the line's work that talks to the agent, with what it needs kept.
_RESENDABLE = frozenset({"turn", "inline", "upload", "again", "variation"})


def can_send_again(intent: Intent) -> bool:
    """A decided intent that can run again (its text not yet erased by housekeeping)."""
    if intent.kind not in _RESENDABLE:
        return False
    return bool(intent.arg) or intent.kind not in ("turn", "inline")
