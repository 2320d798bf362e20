"""The registry of what the bot can do: each intent declared once, beside its handler.

A handler is registered with `@handles(...)`, which records how it runs:
- `lane`: "line" runs in the user's queue, in order with their turns; "side" is answered at
  once, beside a running turn (it only reads, or is about the bot itself);
- `account` / `session`: what must exist before it runs;
- `command`: reachable as `/name`; `keep_text`: False keeps the message text (a token)
  out of the inbox.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Literal, TypeVar

from bot.core.codec import ButtonAction

__all__ = ["REGISTRY", "Intent", "IntentSpec", "Lane", "handles", "spec"]

Lane = Literal["line", "side"]
F = TypeVar("F", bound=Callable[..., Awaitable[None]])


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


@dataclass(frozen=True, slots=True)
class IntentSpec:
    """How one intent runs (see the module docstring)."""

    name: str
    handler: Callable[..., Awaitable[None]]
    lane: Lane
    account: bool
    session: bool
    command: bool
    keep_text: bool


REGISTRY: dict[str, IntentSpec] = {}


def handles(
    name: str,
    *,
    lane: Lane,
    account: bool = False,
    session: bool = False,
    command: bool = False,
    keep_text: bool = True,
) -> Callable[[F], F]:
    """Register the decorated handler for intent `name`."""

    def register(handler: F) -> F:
        if name in REGISTRY:
            raise ValueError(f"intent {name!r} is registered twice")
        REGISTRY[name] = IntentSpec(
            name, handler, lane, account or session, session, command, keep_text
        )
        return handler

    return register


def spec(name: str) -> IntentSpec:
    """The registered spec of `name`."""
    return REGISTRY[name]
