"""Buttons belong to someone: owners, replaced projects, Again, Variation, the web editor."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.core import codec
from bot.core.outbox import Button
from bot.core.texts import t
from sandbox import RunningSandbox
from tests.engine.harness import Bot, Sent, running_bot


def _button(sent: Sent, label: str) -> Button:
    return next(b for b in sent.buttons if b.label.startswith(label))


async def _answer_with_buttons(bot: Bot, text: str, **kwargs: object) -> Sent:
    await bot.say(text, **kwargs)
    return next(s for s in reversed(bot.outbox.log) if s.kind in ("text", "edit") and s.buttons)


async def test_another_users_press_in_a_group_does_nothing_but_say_so(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        answer = await _answer_with_buttons(
            bot, "generate an image of a red door", user="alice", chat="g", private=False
        )
        export = _button(answer, "Export")
        decoded = codec.decode(export.data)
        assert decoded is not None and decoded.user_id == await bot.user_id("alice")
        shown = len(bot.outbox.log)
        pressed = await bot.press(export, user="bob", chat="g", private=False)
        await bot.engine.wait_idle()
        assert pressed.status == "not_yours"  # told to the presser alone, as a toast
        assert (pressed.toast or "").startswith("That button belongs to someone else's project")
        assert len(bot.outbox.log) == shown  # nothing in the group
        assert sandbox.sandbox.render_submissions == {}  # neither project was exported
        await bot.press(export, user="alice", chat="g", private=False)
        video = await bot.outbox.wait_for(lambda s: s.kind == "video", timeout=60)
        assert video.chat == "g"
        assert len(sandbox.sandbox.render_submissions) == 1


async def test_a_button_under_a_replaced_project_does_not_touch_the_new_one(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        old = await _answer_with_buttons(bot, "generate an image of an old mill")
        await bot.say("/new")
        await bot.say("generate an image of a new bridge")
        for label in ("Export", "Status", "New session"):
            await bot.press(_button(old, label))
            assert bot.outbox.texts()[-1].startswith("That button belongs to a project you've")
        assert sandbox.sandbox.render_submissions == {}
        await bot.say("status")
        assert "new bridge" in bot.outbox.of("image")[-1].text  # the project is intact
        await bot.press(_button(old, "Credits"))  # about the account, not the project
        assert bot.outbox.texts()[-1].startswith("💳 Credits")


async def test_again_and_variation_run_through_the_line_as_turns(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a paper crane")
        (image,) = bot.outbox.of("image")
        labels = [b.label for b in image.buttons]
        assert labels == ["🔁 Again", "✨ Variation"]
        await bot.press(_button(image, "🔁"))
        await bot.press(_button(image, "✨"))
        images = bot.outbox.of("image")
        assert len(images) == 3
        assert sandbox.sandbox.sse_calls == 3
        assert all("paper crane" in s.text for s in images)
        someone = await bot.user_id("someone")
        assert someone != await bot.user_id()
        pressed = await bot.press(_button(image, "🔁"), user="someone")
        assert (pressed.toast or "").startswith("That button belongs to someone else's")
        assert sandbox.sandbox.sse_calls == 3


async def test_several_images_get_numbered_buttons_below_the_album_where_needed(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    from dataclasses import replace

    async with running_bot(tmp_path, sandbox.url) as bot:
        bot.outbox.limits_value = replace(bot.outbox.limits_value, album_buttons=False)
        await bot.say("generate 3 images of a lighthouse")
        images = bot.outbox.of("image")
        assert len(images) == 3 and len({s.album for s in images}) == 1
        assert all(not s.buttons for s in images)
        below = bot.outbox.texts()[-1]
        assert below.startswith("Want another take?")
        actions = next(s for s in bot.outbox.of("text") if s.text == below)
        assert [len(row) for row in actions.keyboard] == [2, 2, 2]
        assert actions.buttons[2].label == "🔁 Again #2"


async def test_web_opens_the_project_in_the_editor(sandbox: RunningSandbox, tmp_path: Path) -> None:
    async with running_bot(tmp_path, sandbox.url, NEMO_WEB_BASE="https://web.example") as bot:
        await bot.say("/web")
        assert bot.outbox.texts()[-1].startswith("There's no project to open yet")
        await bot.say("generate an image of a tide pool")
        await bot.say("export")
        video = await bot.outbox.wait_for(lambda s: s.kind == "video", timeout=60)
        assert [b.label for b in video.buttons] == ["🌐 Open in editor"]
        await bot.press(video.buttons[0])
        await asyncio.wait_for(bot.engine.wait_idle(), 30)
        link = bot.outbox.texts()[-1].split(": ", 1)[1]
        parts = urlsplit(link)
        assert (parts.scheme, parts.netloc, parts.path) == (
            "https",
            "web.example",
            "/workspace/claim",
        )
        token = parse_qs(parts.query)["ct"][0]
        assert token in sandbox.sandbox.claims
        assert "nmv_" not in link  # never the API token itself


async def test_again_and_variation_build_on_the_original_prompt(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Press after press, the agent is asked about the user's words, never about an earlier
    press's wording ("a new image of another image of…"), and /status stays short."""
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a sunset over a lake")
        for label in ("✨", "✨", "🔁"):
            await bot.press(_button(bot.outbox.of("image")[-1], label))
        captions = [s.text for s in bot.outbox.of("image")]
        assert captions == ["🖼 a sunset over a lake"] * 4
        variation = t("agent_variation", prompt="a sunset over a lake")
        assert sandbox.sandbox.agent_messages[1:] == [
            variation,
            variation,
            "Generate another image of a sunset over a lake",
        ]
        await bot.say("status")
        status = bot.outbox.of("image")[-1].text  # the storyboard's caption
        assert status.count("variation") == 1 and "×2" in status, status
        assert len(status) < 200


async def test_mashing_export_in_a_group_makes_one_render_and_says_nothing_in_the_group(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Regression: ten presses in a second put fifteen status lines into the group."""
    async with running_bot(tmp_path, sandbox.url) as bot:
        answer = await _answer_with_buttons(
            bot, "generate an image of a green boat", user="alice", chat="g", private=False
        )
        export = _button(answer, "Export")
        before = len(bot.outbox.log)
        pressed = [
            await bot.engine.submit(bot.message(export.data, user="alice", chat="g", private=False))
            for _ in range(10)
        ]
        await bot.engine.wait_idle()
        assert pressed[0].status == "queued" and pressed[0].toast is None
        assert {p.status for p in pressed[1:]} <= {"repeat", "busy"}  # each told by a toast
        assert all(p.toast for p in pressed[1:])
        assert len(sandbox.sandbox.render_submissions) == 1
        said = [s.text for s in bot.outbox.log[before:] if s.kind == "text"]
        assert all(text.startswith("🎬 Rendering") for text in said), said  # progress only
        assert len(bot.outbox.of("video")) == 1
