"""Message routing: commands, whole-message intents, buttons, uploads and agent turns."""

from __future__ import annotations

import pytest

from bot.core import codec
from bot.core.codec import ButtonAction
from bot.core.registry import Registry
from bot.core.root_router import build_registry
from bot.core.router import Intent
from bot.core.router import route as route_in
from bot.core.wording import asks_for_video

SESSION = "1234567890123456789"
REGISTRY = build_registry()
COMMANDS = frozenset(name for name, spec in REGISTRY.items() if spec.command)


def route(text: str, *, has_attachments: bool = False) -> Intent:
    """The bot's own routing, against the registry it runs."""
    return route_in(text, REGISTRY, has_attachments=has_attachments)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_routes_to_itself(name: str) -> None:
    """`/name` is the command `name` with no argument."""
    assert route(f"/{name}") == Intent(name, "")


def test_command_list_is_the_documented_one() -> None:
    """The commands the help text promises, and the operators' ones it does not show."""
    operators = {"stats", "ban", "unban", "allow", "deny", "refund"}
    assert (
        operators
        | {
            "start",
            "help",
            "export",
            "credits",
            "status",
            "new",
            "cancel",
            "lang",
            "login",
            "logout",
            "web",
            "settings",
        }
        == COMMANDS
    )


def test_every_intent_has_one_registered_handler() -> None:
    """What the router can produce, the registry can run."""
    produced = {"turn", "upload", "empty", "unknown_command", *COMMANDS, *REGISTRY.buttons.values()}
    assert produced <= set(REGISTRY)
    assert {spec.name for spec in REGISTRY.values() if spec.lane == "side"} >= {
        "cancel",
        "status",
        "credits",
        "help",
    }
    assert not REGISTRY["login"].keep_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/lang zh", Intent("lang", "zh")),
        ("/login   tok-123  ", Intent("login", "tok-123")),
        ("  /help  ", Intent("help", "")),
        ("/START", Intent("start", "")),
        ("/export@nemo_bot", Intent("export", "")),
        ("/lang@NemoBot en", Intent("lang", "en")),
        ("/new@nemo_bot now please", Intent("new", "now please")),
    ],
)
def test_command_arguments_and_bot_suffix(text: str, expected: Intent) -> None:
    """The rest of the line is the argument; Telegram's @botname is ignored."""
    assert route(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/foo", Intent("unknown_command", "/foo")),
        ("/foo bar baz", Intent("unknown_command", "/foo")),
        ("/exportit", Intent("unknown_command", "/exportit")),
        ("/", Intent("unknown_command", "/")),
    ],
)
def test_unknown_command(text: str, expected: Intent) -> None:
    """An unknown command names itself so the reply can quote it."""
    assert route(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \n"])
def test_empty_or_whitespace(text: str) -> None:
    """Nothing to say is its own intent."""
    assert route(text) == Intent("empty")


@pytest.mark.parametrize(
    ("caption", "arg"),
    [("", ""), ("  a sunset photo  ", "a sunset photo"), ("export", "export"), ("上传", "上传")],
)
def test_attachments_are_uploads_with_the_caption(caption: str, arg: str) -> None:
    """A message with files is an upload; its caption is the argument, even an intent word."""
    assert route(caption, has_attachments=True) == Intent("upload", arg)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("export", "export"),
        ("Export!", "export"),
        ("EXPORT", "export"),
        ("please export it now.", "export"),
        ("download it", "export"),
        ("Download the video", "export"),
        ("render", "export"),
        ("send me the video", "export"),
        ("Send me the video please!", "export"),
        ("导出", "export"),
        ("导出！", "export"),
        ("下载", "export"),
        ("下载视频", "export"),
        ("credits", "credits"),
        ("Credit?", "credits"),
        ("balance", "credits"),
        ("my credits", "credits"),
        ("积分", "credits"),
        ("余额", "credits"),
        ("余额？", "credits"),
        ("status", "status"),
        ("Status.", "status"),
        ("show tracks", "status"),
        ("show timeline", "status"),
        ("状态", "status"),
        ("时间线", "status"),
        ("upload", "upload"),
        ("Upload!", "upload"),
        ("上传", "upload"),
    ],
)
def test_whole_message_intents(text: str, kind: str) -> None:
    """Short whole-message requests skip the agent."""
    assert route(text) == Intent(kind)


@pytest.mark.parametrize(
    "text",
    [
        "generate a cat and export it as a slideshow",
        "export the video with music",
        "what are my credits worth",
        "show tracks and then add a title",
        "upload my logo as the first slide",
        "how do I check the status",
        "导出视频并添加背景音乐",
        "上传一张猫的图片",
        "生成一张猫的图片",
    ],
)
def test_sentences_containing_intent_words_are_turns(text: str) -> None:
    """A longer sentence goes to the agent, word for word."""
    assert route(text) == Intent("turn", text)


def test_turn_argument_is_stripped() -> None:
    """Surrounding whitespace is not part of the prompt."""
    assert route("  a cat in a hat \n") == Intent("turn", "a cat in a hat")


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("export", "export"),
        ("status", "status"),
        ("credits", "credits"),
        ("new", "new"),
        ("retry", "export"),
        ("again", "again"),
        ("variation", "variation"),
        ("web", "web"),
    ],
)
@pytest.mark.parametrize("session", ["", SESSION])
def test_button_payloads_route_to_their_action(action: str, kind: str, session: str) -> None:
    """A button press is its action, carrying who and which project it belongs to."""
    intent = route(codec.encode(action, 7, session, 3))
    assert intent.kind == kind
    assert intent.button == ButtonAction(action, 7, session, 3)


def test_every_codec_action_is_routable() -> None:
    """No button action is left without a route."""
    assert set(REGISTRY.buttons) == codec.ACTIONS
    for action in codec.ACTIONS:
        assert route(codec.encode(action, 1, SESSION)).kind in REGISTRY


def test_buttons_of_earlier_versions_still_route() -> None:
    """`nemo:<action>:<session>` under old messages: owner unknown, project known."""
    intent = route(f"nemo:export:{SESSION}")
    assert intent.kind == "export"
    assert intent.button == ButtonAction("export", None, SESSION)


def test_a_registry_without_a_command_does_not_route_to_it() -> None:
    """Routing reads the registry it is given: a command it lacks is unknown."""
    smaller = Registry(spec for name, spec in REGISTRY.items() if name != "web")
    assert route_in("/web", smaller) == Intent("unknown_command", "/web")
    assert route_in("/web", REGISTRY) == Intent("web")


@pytest.mark.parametrize("text", ["nemo:delete:1", "other:export:1", "nemo:export:x:2:3:4"])
def test_foreign_payload_looking_text_is_a_turn(text: str) -> None:
    """Text that merely looks like a payload is sent to the agent."""
    assert route(text) == Intent("turn", text)


@pytest.mark.parametrize(
    "text",
    [
        "generate a cat and export it as a slideshow",
        "make a video of my dog",
        "send the MP4",
        "turn these into a movie",
        "download it when done",
        "做一个幻灯片",
        "生成猫的图片然后导出",
        "下载视频",
    ],
)
def test_asks_for_video(text: str) -> None:
    """Requests that mention the video ask for an export after the turn."""
    assert asks_for_video(text)


@pytest.mark.parametrize(
    "text",
    ["generate a cat", "make it brighter", "add a title", "生成一张猫的图片", ""],
)
def test_does_not_ask_for_video(text: str) -> None:
    """Plain image requests do not trigger an export."""
    assert not asks_for_video(text)


@pytest.mark.parametrize(
    "text", ["a cat", "export", "/new", "credits", codec.encode("export", 1, SESSION), ""]
)
def test_a_chosen_inline_result_is_a_prompt_whatever_it_says(text: str) -> None:
    """Inline mode's "🎨 Generate" runs the words as an image prompt, never as a command."""
    assert route_in(text, REGISTRY, chosen=True) == Intent("inline", text.strip())


def test_the_start_link_of_an_inline_export_runs_the_export() -> None:
    """`/start export` (Start pressed in a chat opened by the link) is an export; other
    start payloads are a plain /start."""
    assert route("/start export") == Intent("export")
    assert route("/start something-else") == Intent("start", "something-else")
