"""Button payloads shared by every platform: `nemo:<action>:<session id>`.

Stable strings, so buttons keep working after a restart; short enough for Telegram's
64-byte callback_data and Discord's 100-character custom_id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ACTIONS", "ButtonAction", "decode", "encodable", "encode"]

PREFIX = "nemo"
ACTIONS = frozenset({"export", "status", "credits", "new", "retry"})
MAX_BYTES = 64
_SESSION = re.compile(r"^[A-Za-z0-9_-]{0,40}\Z")


@dataclass(frozen=True, slots=True)
class ButtonAction:
    """A decoded button press."""

    action: str
    session_id: str


def encodable(session_id: str) -> bool:
    """The session id fits in a payload."""
    return bool(_SESSION.match(session_id))


def encode(action: str, session_id: str = "") -> str:
    """The payload for a button; raises ValueError on values that would not round-trip."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if not _SESSION.match(session_id):
        raise ValueError("session id has unexpected characters")
    payload = f"{PREFIX}:{action}:{session_id}"
    if len(payload.encode()) > MAX_BYTES:
        raise ValueError("payload too long")
    return payload


def decode(payload: str) -> ButtonAction | None:
    """The action behind a payload, or None for anything that is not ours."""
    parts = payload.split(":")
    if len(parts) != 3 or parts[0] != PREFIX or parts[1] not in ACTIONS:
        return None
    if not _SESSION.match(parts[2]):
        return None
    return ButtonAction(parts[1], parts[2])
