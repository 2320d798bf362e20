"""Words on the storyboard: drawn with a face that has their glyphs, or not at all."""

from __future__ import annotations

import pytest

from bot.core.storyboard.fonts import Fonts, system_fonts

BUILT_IN = Fonts()  # Pillow's own face only, as on a machine without fonts


def _glyph(face: object, ch: str) -> bytes:
    return bytes(face.getmask(ch))  # type: ignore[attr-defined]


def test_latin_words_fit_as_they_are() -> None:
    fitted = BUILT_IN.fit("a sunset  over\na lake", 14, 500)
    assert fitted is not None and fitted[1] == "a sunset over a lake"


def test_long_words_are_cut_with_an_ellipsis_within_the_width() -> None:
    face, shown = BUILT_IN.fit("a sunset over a mountain lake at dusk", 14, 80) or (None, "")
    assert face is not None and shown.endswith("…") and len(shown) < 20
    assert face.getlength(shown) <= 80
    assert BUILT_IN.fit("anything", 14, 3) is None  # not even "a…" fits


def test_without_a_cjk_font_the_cjk_words_are_left_to_the_caption() -> None:
    assert BUILT_IN.fit("城市之梦", 14, 500) is None
    assert BUILT_IN.fit("“城市”", 14, 500) is None  # punctuation alone is not worth drawing
    fitted = BUILT_IN.fit("一只猫 cat", 14, 500)
    assert fitted is not None and fitted[1] == "cat"


def test_a_face_is_made_once_per_size() -> None:
    assert BUILT_IN.face(None, 12) is BUILT_IN.face(None, 12)
    assert BUILT_IN.face(None, 12) is not BUILT_IN.face(None, 20)


def test_the_system_cjk_font_draws_real_glyphs() -> None:
    fonts = system_fonts()
    fitted = fonts.fit("城市之梦 cat", 14, 500)
    if fitted is None:
        pytest.skip("this machine has no CJK font; the test above covers that case")
    face, shown = fitted
    assert shown == "城市之梦 cat"
    missing = _glyph(face, "\U0010fffd")
    assert all(_glyph(face, ch) != missing for ch in "城市之梦")
    assert face.getname() != BUILT_IN.face(None, 14).getname()
