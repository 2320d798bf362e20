"""Routers and the registry they build: each intent declared once, with how it runs.

A `Router` (aiogram's, in small) is a named group of intents. Each is added with its
handler and its properties:
- `lane`: "line" runs in the user's queue, in order with their turns; "side" is answered at
  once, beside a running turn (it only reads, or is about the bot itself);
- `account` / `session`: what must exist before it runs;
- `command`: reachable as `/name`, and listed in the menus and /help (`operator`: reachable,
  never listed); `option`: what it takes after its name;
- `keep_text`: False keeps the message text (a token) out of the inbox;
- `buttons`: the codec actions whose press runs it.

Routers include other routers; the root's `registry()` flattens the tree once into the
read-only `Registry` that routing, serving, the menus and /help all read (discord.py's
`CommandTree` is the one place its menus come from). Nothing registers itself on import.
A command's descriptions live in `bot.core.texts` as `cmd_<name>` (and, for its option,
`cmd_<name>_<option>` and `cmd_<name>_<choice>`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, TypedDict, Unpack

from bot.core.context import TurnContext
from bot.core.intents import Intent
from bot.core.messages import IncomingMessage
from bot.core.texts import t

if TYPE_CHECKING:
    from bot.core.commands import Handlers

__all__ = ["Handler", "How", "IntentSpec", "Lane", "Option", "Registry", "Router"]

Lane = Literal["line", "side"]
# What every intent runs: the bot's actions, the user's context, the message, its intent.
Handler = Callable[["Handlers", TurnContext, IncomingMessage, Intent], Awaitable[None]]

# A name both Telegram (`BotCommand`) and Discord (slash commands) accept.
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


@dataclass(frozen=True, slots=True)
class Option:
    """What a command takes after its name; menus that ask for it (Discord) show it."""

    name: str  # lower case, as Discord wants option names
    choices: tuple[str, ...] = ()  # the values allowed; any text when empty

    def usage(self) -> str:
        """How /help writes it: `en|zh`, or `<token>`."""
        return "|".join(self.choices) if self.choices else f"<{self.name}>"


@dataclass(frozen=True, slots=True)
class IntentSpec:
    """One intent and how it runs (see the module docstring)."""

    name: str
    handler: Handler
    lane: Lane
    account: bool = False
    session: bool = False
    command: bool = False
    keep_text: bool = True
    operator: bool = False
    option: Option | None = None
    buttons: tuple[str, ...] = ()

    @property
    def listed(self) -> bool:
        """A command everyone sees in the menus and in /help."""
        return self.command and not self.operator

    def usage(self) -> str:
        """`/name`, with what it takes: `/lang en|zh`."""
        return f"/{self.name} {self.option.usage()}" if self.option else f"/{self.name}"

    def description(self, lang: str = "en") -> str:
        """The command's one line for menus and /help."""
        return t(f"cmd_{self.name}", lang)

    def option_description(self, lang: str = "en") -> str:
        """What the option is, for menus that ask for it."""
        assert self.option is not None
        return t(f"cmd_{self.name}_{self.option.name}", lang)

    def choice_label(self, value: str, lang: str = "en") -> str:
        """How a menu shows one of the option's choices."""
        return t(f"cmd_{self.name}_{value}", lang)


class Registry(Mapping[str, IntentSpec]):
    """Every intent the bot runs, by name, in the order its routers added them."""

    def __init__(self, specs: Iterable[IntentSpec]) -> None:
        by_name: dict[str, IntentSpec] = {}
        buttons: dict[str, str] = {}
        for spec in specs:
            if spec.name in by_name:
                raise ValueError(f"intent {spec.name!r} is registered twice")
            by_name[spec.name] = spec
            for action in spec.buttons:
                if action in buttons:
                    raise ValueError(
                        f"button {action!r} runs both {buttons[action]} and {spec.name}"
                    )
                buttons[action] = spec.name
        self._specs = MappingProxyType(by_name)
        self.buttons: Mapping[str, str] = MappingProxyType(buttons)  # codec action -> intent

    def __getitem__(self, name: str) -> IntentSpec:
        return self._specs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def command(self, name: str) -> IntentSpec | None:
        """The command `/name`, or None."""
        spec = self._specs.get(name)
        return spec if spec is not None and spec.command else None

    @property
    def menu(self) -> tuple[IntentSpec, ...]:
        """The commands everyone sees, in order: the platforms' menus and /help list these."""
        return tuple(spec for spec in self._specs.values() if spec.listed)


class How(TypedDict, total=False):
    """An intent's properties besides its lane (see the module docstring)."""

    account: bool
    session: bool
    command: bool
    keep_text: bool
    operator: bool
    option: Option | None
    buttons: Iterable[str]


class Router:
    """A named group of intents and of other routers (aiogram's `Router`)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._specs: list[IntentSpec] = []
        self._routers: list[Router] = []

    def add(
        self,
        name: str,
        handler: Handler,
        *,
        lane: Lane,
        account: bool = False,
        session: bool = False,
        command: bool = False,
        keep_text: bool = True,
        operator: bool = False,
        option: Option | None = None,
        buttons: Iterable[str] = (),
    ) -> None:
        """Add intent `name`, run by `handler`; a session needs an account, an operator's
        command is a command."""
        command = command or operator
        if command and not _COMMAND_NAME.fullmatch(name):
            raise ValueError(f"command name {name!r} is not 1-32 of a-z, 0-9 and _")
        if option is not None and not command:
            raise ValueError(f"intent {name!r} takes an option but is no command")
        self._specs.append(
            IntentSpec(
                *(name, handler, lane, account or session, session, command, keep_text),
                *(operator, option, tuple(buttons)),
            )
        )

    def line(self, name: str, handler: Handler, **how: Unpack[How]) -> None:
        """Add an intent that runs in the user's line."""
        self.add(name, handler, lane="line", **how)

    def side(self, name: str, handler: Handler, **how: Unpack[How]) -> None:
        """Add an intent answered beside the user's line."""
        self.add(name, handler, lane="side", **how)

    def include_router(self, router: Router) -> Router:
        """Include `router`'s intents after this one's; returns it (as aiogram does)."""
        if router is self:
            raise ValueError(f"router {self.name!r} cannot include itself")
        self._routers.append(router)
        return router

    def walk(self) -> Iterator[IntentSpec]:
        """This router's intents, then each included router's, depth first."""
        yield from self._walk(set())

    def _walk(self, seen: set[int]) -> Iterator[IntentSpec]:
        if id(self) in seen:
            raise ValueError(f"router {self.name!r} is included twice")
        seen.add(id(self))
        yield from self._specs
        for router in self._routers:
            yield from router._walk(seen)

    def registry(self) -> Registry:
        """The read-only registry of everything this router holds."""
        return Registry(self.walk())
