"""Button payloads shared by every platform: `nemo:<action>:<user>:<session>[:<ref>]`.

A payload names the user a button was made for (the store's user id) and a tag of the
session it belongs to, so a press by someone else, or under a replaced project, is
recognised instead of acting on the wrong one. `ref` points at a stored image for Again and
Variation, at an inbox item for Send again, at a pack to buy, or at a group setting. Stable
strings, so buttons keep working after a restart; at most 64 bytes (Telegram's
callback_data) and so within Discord's 100-character custom_id.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

__all__ = ["ACTIONS", "MAX_BYTES", "ButtonAction", "decode", "encode", "session_tag"]

PREFIX = "nemo"
ACTIONS = frozenset(
    {
        "export",
        "status",
        "credits",
        "new",
        "retry",
        "again",
        "variation",
        "web",
        "resend",
        "sendagain",
        "cancel",
        "buy",  # a Stars pack (ref: its place in NEMOBOT_STARS_PACKS)
        "set",  # a group setting (ref: its place in bot.core.group_settings.CHOICES)
    }
)
MAX_BYTES = 64
_TAG = re.compile(r"^[A-Za-z0-9_-]{0,20}\Z")
_NUMBER = re.compile(r"^(0|[1-9][0-9]{0,11})\Z")
_LONG_TAG_CHARS = 12
_LEGACY = re.compile(r"^[A-Za-z0-9_-]{0,40}\Z")


@dataclass(frozen=True, slots=True)
class ButtonAction:
    """A decoded button press."""

    action: str
    user_id: int | None  # None: a button from before buttons named their owner
    session: str  # a `session_tag`; empty when the button belongs to no session
    ref: int | None = None


def session_tag(session_id: str) -> str:
    """A short, payload-safe stand-in for a session id (the id itself when it fits)."""
    if _TAG.match(session_id):
        return session_id
    digest = hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()
    return "h" + digest[:_LONG_TAG_CHARS]


def encode(action: str, user_id: int, session_id: str = "", ref: int | None = None) -> str:
    """The payload for a button; raises ValueError on values that would not round-trip."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user_id < 0 or not _NUMBER.match(str(user_id)):
        raise ValueError("user id must be a small non-negative integer")
    parts = [PREFIX, action, str(user_id), session_tag(session_id) if session_id else ""]
    if ref is not None:
        if ref < 0 or not _NUMBER.match(str(ref)):
            raise ValueError("ref must be a small non-negative integer")
        parts.append(str(ref))
    payload = ":".join(parts)
    if len(payload.encode()) > MAX_BYTES:
        raise ValueError("payload too long")
    return payload


def decode(payload: str) -> ButtonAction | None:
    """The action behind a payload, or None for anything that is not ours."""
    parts = payload.split(":")
    if len(parts) < 3 or parts[0] != PREFIX or parts[1] not in ACTIONS:
        return None
    if len(parts) == 3:  # `nemo:<action>:<session>`, under messages of earlier versions
        if not _LEGACY.match(parts[2]):
            return None
        return ButtonAction(parts[1], None, session_tag(parts[2]) if parts[2] else "")
    if len(parts) > 5:
        return None
    if len(payload.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return None
    user, session = parts[2], parts[3]
    if not _NUMBER.match(user) or not _TAG.match(session):
        return None
    ref: int | None = None
    if len(parts) == 5:
        if not _NUMBER.match(parts[4]):
            return None
        ref = int(parts[4])
    return ButtonAction(parts[1], int(user), session, ref)
