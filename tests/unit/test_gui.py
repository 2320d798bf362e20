"""Turning the agent's GUI instructions into chat actions."""

from __future__ import annotations

import pytest

from bot.core.gui import GuiAdvice, translate


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Here is your image. Click Export to download the video.", "Here is your image."),
        ('Done! Click the "Export" button in the top right.', "Done!"),
        ("A white kitten. Hit Export when ready.", "A white kitten."),
        ("Tap export to render.", ""),
        ("图片已生成。点击导出按钮即可下载视频。", "图片已生成。"),
        ("完成了！点击“导出”即可。", "完成了！"),
    ],
)
def test_click_export(text: str, kept: str) -> None:
    """“Click Export” becomes the export flag and leaves the rest of the answer."""
    assert translate(text) == GuiAdvice(kept, export=True)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Added a sunset. You can open the timeline to preview it.", "Added a sunset."),
        ("Preview the timeline to check the order.", ""),
        ("View the timeline on the right!", ""),
        ("好了。请打开时间线查看。", "好了。"),
        ("已添加。可以预览时间线。", "已添加。"),
    ],
)
def test_open_or_preview_the_timeline(text: str, kept: str) -> None:
    """“Open the timeline” becomes the timeline flag."""
    assert translate(text) == GuiAdvice(kept, show_timeline=True)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Added. Drag the clip to reorder it.", "Added."),
        ("You can drag and drop images to change the order.", ""),
        ("已添加。你可以拖拽图片调整顺序。", "已添加。"),
        ("拖动片段即可调整。", ""),
    ],
)
def test_drag(text: str, kept: str) -> None:
    """Drag-and-drop advice becomes the edit hint."""
    assert translate(text) == GuiAdvice(kept, edit_hint=True)


def test_several_flags_at_once() -> None:
    """Each kind of advice sets its own flag."""
    advice = translate(
        "Here's your cat. Open the timeline to see it. Drag it to move it. Click Export."
    )
    assert advice == GuiAdvice("Here's your cat.", True, True, True)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "I added the image. I encountered a temporary issue, please try again.",
            "I added the image.",
        ),
        ("Here's the sunset.\nI encountered a temporary issue while saving.", "Here's the sunset."),
        ("Done. i encountered a TEMPORARY issue", "Done."),
    ],
)
def test_trailing_temporary_issue_is_removed(text: str, kept: str) -> None:
    """The agent's boilerplate apology at the end is dropped."""
    assert translate(text) == GuiAdvice(kept)


def test_temporary_issue_in_the_middle_is_kept() -> None:
    """Only a trailing apology is boilerplate."""
    text = "I encountered a temporary issue earlier.\nHere is your cat."
    assert translate(text) == GuiAdvice(text)


def test_a_lone_apology_is_not_emptied() -> None:
    """If removing it would leave nothing (and nothing to do), the original is kept."""
    assert translate("I encountered a temporary issue.") == GuiAdvice(
        "I encountered a temporary issue."
    )


@pytest.mark.parametrize(
    "text",
    [
        "Here is a cat in a hat.",
        "Line one.\nLine two!",
        "I will export the video as mp4.",
        "Your timeline now has 3 images.",
        "这是一只戴帽子的猫。",
        "Here is a photo of raindrops on a lake.",
        "Dewdrops sparkle on the grass. Want another?",
        "The backdrop is a sunset.",
        "Here's an overview of your timeline: 3 images.",
        "I reviewed the timeline and added a title.",
        "",
    ],
)
def test_normal_text_is_untouched(text: str) -> None:
    """Answers without GUI advice pass through unchanged, with no flag set."""
    assert translate(text) == GuiAdvice(text)
