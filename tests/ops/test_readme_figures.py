"""The figures the README gives newcomers are the ones the code and the sandbox use."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings
from sandbox import SandboxOptions
from tests.storyboard_png import rows_in

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(title)
    return README[start : README.index("\n## ", start)]


def test_credits_and_timings_match_the_sandbox_and_the_defaults() -> None:
    text = " ".join(_section("### Tokens, credits and how long things take").split())
    options = SandboxOptions()
    assert f"sandbox charges {options.generation_cost} credits an image" in text
    images = options.initial_credits // options.generation_cost
    assert f"{options.initial_credits} free credits make {images} sandbox images" in text
    assert "An export is free" in text
    poll = Settings.from_env({"NEMO_TOKEN": "nmv_example"}).poll_seconds  # the real API
    assert re.search(rf"`NEMOBOT_RENDER_POLL_SECONDS` \({poll:g} s", text)
    assert "30–90 s at the backend" in text


def test_the_console_says_its_buttons_are_typed() -> None:
    text = " ".join(_section("## The console").split())
    assert "you press one by typing its word" in text
    for word in ("again", "variation", "resend"):
        assert f"`{word}`" in text


def test_the_storyboard_picture_is_one_with_the_rows_its_words_name() -> None:
    """docs/storyboard.png is a storyboard as the bot draws it: video, music, title rows."""
    text = _section("## `/status`: the project as a picture")
    assert 'src="docs/storyboard.png"' in text and "Made by `make run`" in text
    picture = Path(__file__).resolve().parents[2] / "docs" / "storyboard.png"
    assert [kind for kind, _, _ in rows_in(picture)] == ["visual", "audio", "text"]
