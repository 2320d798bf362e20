"""Properties of the message router `bot.core.router.route`."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.core import codec
from bot.core.intents import Intent
from bot.core.root_router import build_registry
from bot.core.router import route as route_in
from tests.property.strategies import chars, unicode_text

REGISTRY = build_registry()
COMMANDS = sorted(name for name, spec in REGISTRY.items() if spec.command)
WHITESPACE = " \t\n\r\x0b\x0c\u3000\u2028\x85\xa0"

text = unicode_text(5000)
commands = st.sampled_from(COMMANDS)


def route(text: str, *, has_attachments: bool = False) -> Intent:
    """The bot's own routing, against the registry it runs."""
    return route_in(text, REGISTRY, has_attachments=has_attachments)


# The command as typed: any letter case, as Telegram clients may send it.
typed_commands = st.builds(
    lambda name, case: {"lower": name, "upper": name.upper(), "title": name.title()}[case],
    commands,
    st.sampled_from(["lower", "upper", "title"]),
)
bot_names = st.from_regex(r"\A[A-Za-z0-9_]{1,32}\Z")
command_args = st.text(chars, max_size=100)
padding = st.text(st.sampled_from(WHITESPACE), max_size=3)


@settings(max_examples=300, deadline=None)
@given(text, st.booleans())
def test_any_text_routes_to_a_registered_intent(message: str, has_attachments: bool) -> None:
    """route never raises, the kind is registered, and the same input gives the same intent."""
    intent = route(message, has_attachments=has_attachments)
    assert intent.kind in REGISTRY
    assert route(message, has_attachments=has_attachments) == intent


@settings(max_examples=300, deadline=None)
@given(text)
def test_turn_keeps_the_stripped_text(message: str) -> None:
    """A turn carries the stripped message, never an empty one."""
    intent = route(message)
    if intent.kind == "turn":
        assert intent.arg == message.strip()
        assert intent.arg


@settings(max_examples=300)
@given(
    padding,
    typed_commands,
    st.one_of(st.none(), bot_names),
    st.one_of(st.none(), command_args),
    padding,
    st.booleans(),
)
def test_known_command_routes_to_it(
    before: str,
    command: str,
    bot: str | None,
    args: str | None,
    after: str,
    has_attachments: bool,
) -> None:
    """`/name`, `/name@bot` and `/name args` route to that command with the stripped args."""
    message = before + "/" + command + (f"@{bot}" if bot else "") + (f" {args}" if args else "")
    intent = route(message + after, has_attachments=has_attachments)
    assert intent.kind == command.lower()
    assert intent.arg == (args or "").strip()
    assert intent.button is None


@settings(max_examples=300, deadline=None)
@given(text)
def test_attachments_without_command_or_button_are_an_upload(message: str) -> None:
    """With attachments, any text that is no command and no button payload is an upload."""
    stripped = message.strip()
    intent = route(message, has_attachments=True)
    if not stripped.startswith("/") and codec.decode(stripped) is None:
        assert intent.kind == "upload"
        assert intent.arg == stripped


@settings(max_examples=200)
@given(st.text(st.sampled_from(WHITESPACE), max_size=50))
def test_whitespace_only_is_empty(message: str) -> None:
    """A message of whitespace only (or nothing) is "empty"; with attachments an upload."""
    assert route(message).kind == "empty"
    assert route(message, has_attachments=True).kind == "upload"


@settings(max_examples=300)
@given(
    st.sampled_from(sorted(codec.ACTIONS)),
    st.integers(0, 10**12 - 1),
    st.text(max_size=40),
    st.one_of(st.none(), st.integers(0, 10**12 - 1)),
    padding,
    st.booleans(),
)
def test_button_payload_routes_to_its_intent(
    action: str, user_id: int, session: str, ref: int | None, pad: str, has_attachments: bool
) -> None:
    """A button payload routes to the action's intent and carries the decoded press."""
    payload = codec.encode(action, user_id, session, ref)
    intent = route(pad + payload + pad, has_attachments=has_attachments)
    assert intent.kind == REGISTRY.buttons[action]
    assert intent.button == codec.decode(payload)


@settings(max_examples=300)
@given(st.text(chars, max_size=30), st.booleans())
def test_unknown_slash_word_is_an_unknown_command(word: str, has_attachments: bool) -> None:
    """A slash word that names no command is "unknown_command" with the word as typed."""
    head = re.match(r"\S*", word.rstrip()).group()  # type: ignore[union-attr]
    intent = route("/" + word, has_attachments=has_attachments)
    if head.split("@", 1)[0].lower() not in COMMANDS:
        assert intent.kind == "unknown_command"
        assert intent.arg == "/" + head
    else:
        assert intent.kind == head.split("@", 1)[0].lower()


# -- regressions: bugs these properties found (now fixed) -------------------------


@settings(max_examples=50, report_multiple_bugs=False)
@example(command="login", separator="\n", args="nmv_usr_0")
@given(
    commands,
    st.sampled_from(["\n", "\t", "\r\n"]),
    st.text(chars, min_size=1, max_size=40).filter(lambda s: s.strip() != ""),
)
def test_command_args_after_any_whitespace(command: str, separator: str, args: str) -> None:
    """`/name` followed by a line break or tab and arguments still routes to the command."""
    intent = route(f"/{command}{separator}{args}")
    assert intent.kind == command
    assert intent.arg == args.strip()
