"""The table of emulated Bot API methods."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emulator import BotApiEmulator
    from .request import Params

Handler = Callable[["BotApiEmulator", "Params"], Awaitable[Any]]
# lower-case name -> (canonical name, handler); Bot API method names are case-insensitive.
METHODS: dict[str, tuple[str, Handler]] = {}


def api_method(name: str) -> Callable[[Handler], Handler]:
    """Register a handler for the Bot API method `name`."""

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


def lookup(method: str) -> tuple[str, Handler] | None:
    """The canonical name and handler of a method, if emulated."""
    return METHODS.get(method.lower())
