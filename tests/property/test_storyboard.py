"""No draft makes the storyboard raise: whatever the backend sends, a picture or none."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.core.storyboard.draw import WIDTH, render
from bot.core.storyboard.fonts import Fonts
from bot.core.storyboard.layout import plan
from bot.core.timeline import summary
from bot.nemo import GeneratedMedia, SessionState
from tests.property.test_timeline import LANGS, drafts, junk, media_item, paths

FONTS = Fonts()

video_info = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "segment_id": st.one_of(st.text(max_size=6), junk),
            "cdn_url": paths,
            "file_type": st.sampled_from(["image", "video", "audio", ""]),
            "src": paths,
            "filename": st.one_of(st.text(max_size=10), junk),
        },
    ),
    junk,
)
session_states = st.builds(
    SessionState,
    draft=drafts,
    generated_media=st.lists(media_item, max_size=4).map(GeneratedMedia.parse_all),
    video_infos=st.lists(video_info, max_size=3).map(tuple),
)
thumb_sizes = st.tuples(st.integers(1, 300), st.integers(1, 120))


@settings(max_examples=120, deadline=None)
@given(session_states, st.sampled_from(LANGS), st.lists(thumb_sizes, max_size=4))
def test_any_state_gives_a_picture_exactly_when_it_has_a_summary(
    state: SessionState, lang: str, sizes: list[tuple[int, int]]
) -> None:
    board = plan(state, lang)
    assert (board is None) == (summary(state.draft, lang) is None)
    if board is None:
        return
    media = board.media()
    assert all(m.url.startswith(("http://", "https://")) for m in media)
    thumbs = {m.key: Image.new("RGB", size, "teal") for m, size in zip(media, sizes, strict=False)}
    png = render(board, thumbs, FONTS, lang)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.width == WIDTH
        assert image.height >= 100


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=6), st.sampled_from(LANGS))
def test_any_words_are_drawn_or_left_out_never_raise(words: list[str], lang: str) -> None:
    segments: list[Any] = [
        {"st": n * 500, "d": 700, "m": {"text": word}} for n, word in enumerate(words)
    ]
    board = plan(SessionState({"t": [{"tt": 7, "sg": segments}], "m": {"title": words[0]}}), lang)
    assert board is not None
    assert render(board, {}, FONTS, lang).startswith(b"\x89PNG")
