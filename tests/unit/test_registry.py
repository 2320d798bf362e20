"""The registry: routers included explicitly, each intent once, with how it runs."""

from __future__ import annotations

import pytest

from bot.core import codec
from bot.core.commands import Handlers
from bot.core.context import TurnContext
from bot.core.intents import Intent
from bot.core.messages import IncomingMessage
from bot.core.registry import Option, Registry, Router
from bot.core.root_router import build_registry, root_router
from bot.core.wording import phrase_intent

REGISTRY = build_registry()


async def _noop(h: Handlers, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
    """A handler for routers built by the tests; never run here."""


def test_the_lanes_and_needs_of_the_bots_intents() -> None:
    """Each intent keeps the lane and the needs it always had."""
    side = {name for name, spec in REGISTRY.items() if spec.lane == "side"}
    assert side == {
        *("start", "help", "status", "credits", "web", "cancel", "lang", "login", "logout"),
        *("empty", "unknown_command", "stats", "ban", "unban", "allow", "deny"),
        *("settings", "buy", "paid", "refund"),
    }
    sessions = {name for name, spec in REGISTRY.items() if spec.session}
    assert sessions == {
        *("export", "status", "web", "turn", "inline", "upload", "again", "variation"),
        *("interrupted", "send_again"),
    }
    accounts = {name for name, spec in REGISTRY.items() if spec.account}
    assert accounts == sessions | {"credits", "resend"}
    assert [name for name, spec in REGISTRY.items() if not spec.keep_text] == ["login"]


def test_buttons_run_the_intents_they_always_ran() -> None:
    """Every codec action has one intent; Retry is Export, Send again is send_again."""
    assert dict(REGISTRY.buttons) == {
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
        "cancel": "cancel",
        "buy": "buy",
        "set": "settings",
    }
    assert set(REGISTRY.buttons) == codec.ACTIONS


@pytest.mark.parametrize("words", ["export", "导出", "积分", "状态", "上传", "credits", "status"])
def test_whole_message_words_name_registered_intents(words: str) -> None:
    """The plain words (English and Chinese) the router knows run a registered intent."""
    kind = phrase_intent(words)
    assert kind is not None and kind in REGISTRY


def test_the_menu_is_every_command_but_the_operators() -> None:
    """Listed in this order; the operators' commands are reachable but never listed."""
    assert [spec.name for spec in REGISTRY.menu] == [
        *("start", "help", "export", "status", "credits", "new", "cancel", "web"),
        *("lang", "login", "logout", "settings"),
    ]
    operators = {"stats", "ban", "unban", "allow", "deny", "refund"}
    assert {name for name, spec in REGISTRY.items() if spec.operator} == operators
    assert all(REGISTRY.command(name) is not None for name in operators)
    assert REGISTRY.command("turn") is None and REGISTRY.command("style") is None


def test_paysupport_is_listed_only_while_packs_are_sold() -> None:
    """Telegram asks every bot that sells for /paysupport; one that sells nothing has none."""
    selling = build_registry(selling=True)
    assert [spec.name for spec in selling.menu][-1] == "paysupport"
    assert "paysupport" not in REGISTRY
    assert set(selling) - set(REGISTRY) == {"paysupport"}


def test_a_registry_is_built_anew_each_time_and_nothing_registers_on_import() -> None:
    """Two builds are equal and independent; an extra router changes only its own build."""
    extra = Router("extra")
    extra.side("style", _noop, command=True)
    root = root_router()
    root.include_router(extra)
    assert "style" in root.registry()
    assert "style" not in build_registry()
    assert list(build_registry()) == list(REGISTRY)


def test_included_routers_come_after_their_parent_in_order() -> None:
    """Depth first: the parent's intents, then each included router's."""
    child, grandchild = Router("child"), Router("grandchild")
    child.line("b", _noop)
    grandchild.side("c", _noop)
    child.include_router(grandchild)
    root = Router("root")
    root.side("a", _noop)
    assert root.include_router(child) is child
    assert list(root.registry()) == ["a", "b", "c"]


def test_properties_that_imply_others() -> None:
    """A session needs an account; an operator's command is a command."""
    router = Router("r")
    router.line("draw", _noop, session=True)
    router.side("audit", _noop, operator=True)
    registry = router.registry()
    assert registry["draw"].account and not registry["draw"].command
    assert registry["audit"].command and not registry["audit"].listed


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda r: (r.side("a", _noop), r.line("a", _noop)), "registered twice"),
        (lambda r: (r.side("a", _noop, buttons=("x",)), r.side("b", _noop, buttons=("x",))), "x"),
        (lambda r: r.side("Style", _noop, command=True), "not 1-32"),
        (lambda r: r.side("s" * 33, _noop, command=True), "not 1-32"),
        (lambda r: r.side("a", _noop, option=Option("what")), "no command"),
        (lambda r: r.include_router(r), "itself"),
    ],
)
def test_mistakes_are_refused_when_the_registry_is_built(build: object, message: str) -> None:
    """Two handlers for one intent or button, a name no platform takes, an option on a
    non-command, a router in itself: refused, naming the mistake."""
    router = Router("r")
    with pytest.raises(ValueError, match=message):
        build(router)  # type: ignore[operator]
        router.registry()


def test_a_router_included_twice_is_refused() -> None:
    """Its intents would be registered twice."""
    shared, root = Router("shared"), Router("root")
    shared.side("a", _noop)
    root.include_router(shared)
    root.include_router(shared)
    with pytest.raises(ValueError, match="included twice"):
        root.registry()


def test_a_registry_is_read_only() -> None:
    """Nothing changes it after it is built."""
    registry: Registry = build_registry()
    with pytest.raises(TypeError):
        registry["style"] = registry["help"]  # type: ignore[index]
    with pytest.raises(TypeError):
        registry.buttons["style"] = "help"  # type: ignore[index]
