"""Test doubles and small builders for the storage tests."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from storage import NewItem, Store
from storage.inbox import Lane

__all__ = ["CHAT", "FakeClock", "Reopen", "chat_on", "message", "text_of"]


def chat_on(platform: str = "telegram", chat_id: int = 5) -> str:
    """A chat ref as the bot stores it (a render is taken over by a worker on its platform)."""
    return json.dumps({"chat_id": chat_id, "platform": platform}, sort_keys=True)


CHAT = chat_on()


class FakeClock:
    """A clock the test moves by hand, so lease expiry needs no sleeping."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        """Start at `now`."""
        self.now = now

    def __call__(self) -> float:
        """The current fake time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


Reopen = Callable[[], Awaitable[Store]]  # opens another store on the test's database


def message(
    user_id: int,
    update_id: str,
    text: str = "hi",
    *,
    platform: str = "telegram",
    kind: str = "turn",
    lane: Lane = "line",
    group: str | None = None,
    press: str | None = None,
) -> NewItem:
    """A message to accept, its intent decided (`{"kind", "arg"}`) and its text in the payload."""
    return NewItem(
        platform=platform,
        update_id=update_id,
        user_id=user_id,
        chat=CHAT,
        kind=kind,
        intent=json.dumps({"kind": kind, "arg": text}),
        payload=json.dumps({"text": text}),
        lane=lane,
        group=group,
        press_key=press,
    )


def text_of(payload_or_intent: str | None, key: str = "text") -> object:
    """One field of a stored payload (`text`) or intent (`arg`)."""
    assert payload_or_intent is not None
    return json.loads(payload_or_intent)[key]
