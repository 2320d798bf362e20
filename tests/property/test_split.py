"""Properties of the text helpers `split_text`, `cut_text` and `utf16_len` (bot.core.pacing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.shaping import cut_text, split_text, utf16_len
from tests.property.strategies import chars

ROOT = Path(__file__).resolve().parents[2]
ELLIPSIS = "…"

# Words, CJK, astral emoji, line breaks and runs of spaces.
pieces = st.one_of(
    st.text(chars, min_size=1, max_size=12),
    st.sampled_from(["\n", "\n\n", " ", "   ", "\U0001f600", "中文", "\U0001d54f", "word"]),
)
texts = st.one_of(
    st.text(chars, max_size=300),
    st.lists(pieces, max_size=200).map("".join),
    st.builds(lambda piece, times: piece * times, pieces, st.integers(1, 400)),
)
limits = st.one_of(st.integers(2, 12), st.integers(2, 300), st.integers(2, 5000))


def rebuild(text: str, chunks: list[str]) -> None:
    """Assert `text` is the chunks in order, with only whitespace between or around them."""
    pos = 0
    for chunk in chunks:
        while pos < len(text) and text[pos].isspace() and not text.startswith(chunk, pos):
            pos += 1
        assert text.startswith(chunk, pos), (chunk, text[pos : pos + 40])
        pos += len(chunk)
    assert text[pos:].strip() == "", "text was lost after the last chunk"


@settings(max_examples=500)
@given(st.text(chars, max_size=200))
def test_utf16_len_counts_code_units(text: str) -> None:
    """utf16_len is the length of the UTF-16 encoding, in 16-bit units."""
    assert utf16_len(text) == len(text.encode("utf-16-le")) // 2


@settings(max_examples=300, deadline=None)
@given(texts, limits)
def test_split_chunks_fit_and_rebuild_the_text(text: str, limit: int) -> None:
    """Every chunk fits the limit, none is blank, and together they are the text."""
    chunks = split_text(text, limit)
    assert chunks
    assert all(utf16_len(chunk) <= limit for chunk in chunks)
    if text.strip():
        assert all(chunk.strip() for chunk in chunks), "an empty or blank chunk"
    else:
        assert len(chunks) == 1 and not chunks[0].strip()
    rebuild(text, chunks)
    whole = "".join(text.split())
    assert "".join("".join(chunk.split()) for chunk in chunks) == whole


@settings(max_examples=200, deadline=None)
@given(
    texts.flatmap(
        lambda text: st.tuples(
            st.just(text), st.integers(max(2, utf16_len(text)), max(5000, utf16_len(text)))
        )
    )
)
def test_text_that_fits_is_one_chunk(case: tuple[str, int]) -> None:
    """A text within the limit is returned whole, as one chunk (and uncut by cut_text)."""
    text, limit = case
    assert split_text(text, limit) == [text]
    assert cut_text(text, limit) == text


@settings(max_examples=200, deadline=None)
@given(texts, st.one_of(st.integers(3, 12), st.integers(3, 5000)))
def test_cut_text_fits_and_is_a_marked_prefix(text: str, limit: int) -> None:
    """cut_text fits the limit; a cut text is a prefix of the text plus an ellipsis."""
    cut = cut_text(text, limit)
    assert utf16_len(cut) <= limit
    if utf16_len(text) <= limit:
        assert cut == text
    else:
        assert cut.endswith(ELLIPSIS)
        head = cut[: -len(ELLIPSIS)]
        assert text.startswith(head) or text.lstrip().startswith(head)


# -- regressions: bugs these properties found (now fixed) -------------------------


def test_cut_text_at_limit_two_returns() -> None:
    """cut_text returns, within the limit, at the smallest limit too (run in a child process)."""
    code = (
        "import sys\n"
        "from bot.core.shaping import cut_text, utf16_len\n"
        "cut = cut_text('\\U0001f600a', 2)\n"
        "sys.exit(0 if utf16_len(cut) <= 2 else 1)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=1, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("cut_text did not return within 1 s")
    assert done.returncode == 0, done.stderr
