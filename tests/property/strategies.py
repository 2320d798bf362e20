"""Strategies shared by the property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Characters that tend to break text handling: RTL marks and letters, zero-width joiners,
# astral emoji, CJK, control characters, line and paragraph separators.
SPECIAL_CHARS = (
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u0627",  # Arabic alef
    "\u05d0",  # Hebrew alef
    "\u200d",  # zero-width joiner
    "\ufeff",  # BOM / zero-width no-break space
    "\U0001f600",  # 😀, outside the BMP
    "\U0001f469",  # 👩
    "\U0001d54f",  # 𝕏
    "中",
    "\u3000",  # ideographic space
    "\x00",
    "\x1b",
    "\x85",
    "\u2028",
    "\n",
    "\r",
    "\t",
    " ",
)

# codec="utf-8": any code point but lone surrogates, which no platform delivers as text.
chars = st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL_CHARS))


def unicode_text(max_size: int = 5000) -> st.SearchStrategy[str]:
    """Arbitrary text: mostly short, sometimes a long repetition up to `max_size` chars."""
    short = st.text(chars, max_size=min(80, max_size))
    long = st.builds(
        lambda piece, times: (piece * times)[:max_size],
        st.text(chars, min_size=1, max_size=40),
        st.integers(1, max_size),
    )
    return st.one_of(short, short, long)


def json_values(*, safe_numbers: bool = False) -> st.SearchStrategy[Any]:
    """Any JSON value, nested with `st.recursive`.

    `safe_numbers` leaves out what the draft reader is known to crash on (non-finite and
    beyond-float numbers, and strings like "nan" or "1e999" that float() turns into them);
    those cases have tests of their own in test_timeline.py.
    """
    if safe_numbers:
        scalars = st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(10**300), 10**300),
            st.floats(-1e300, 1e300, allow_nan=False),
            safe_text(),
        )
        keys = safe_text()
    else:
        scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text())
        keys = st.text(max_size=12)
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(keys, children, max_size=4),
        ),
        max_leaves=20,
    )


def safe_text(max_size: int = 12) -> st.SearchStrategy[str]:
    """Short text that float() can never read as inf or nan ("inf", "nan", "1e999")."""
    return st.text(st.characters(codec="utf-8", exclude_characters="nNiIfFeE"), max_size=max_size)
