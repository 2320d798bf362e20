"""Properties of the button codec `bot.core.codec`."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import codec
from bot.core.codec import ButtonAction, decode, encode, session_tag
from tests.property.strategies import chars, unicode_text

ACTIONS = sorted(codec.ACTIONS)
NUMBER_LIMIT = 10**12  # ids and refs are at most 12 digits
TAG = re.compile(r"[A-Za-z0-9_-]*")

actions = st.sampled_from(ACTIONS)
user_ids = st.integers(0, NUMBER_LIMIT - 1)
refs = st.one_of(st.none(), st.integers(0, NUMBER_LIMIT - 1))
session_ids = st.one_of(
    st.text(chars, max_size=200),
    st.from_regex(r"\A[A-Za-z0-9_-]{0,25}\Z"),  # near the 20-character tag boundary
    st.integers(0, 10**19).map(str),  # NemoVideo's 19-digit ids
)
# Text that looks like a payload: mostly the prefix, an action, a number and a tag, with
# each field sometimes wrong and sometimes more fields.
numbers = st.one_of(
    st.integers(0, NUMBER_LIMIT - 1).map(str),
    st.sampled_from(["-1", "007", "", " 1", str(NUMBER_LIMIT), "1e3"]),
)
tags = st.one_of(st.from_regex(r"\A[A-Za-z0-9_-]{0,24}\Z"), st.text(chars, max_size=25))
payload_like = st.builds(
    lambda prefix, action, fields, extra: ":".join([prefix, action, *fields, *extra]),
    st.sampled_from(["nemo"] * 6 + ["NEMO", "nemo ", ""]),
    st.sampled_from([*ACTIONS, "x", "", "Export"]),
    st.one_of(
        st.tuples(tags),
        st.tuples(numbers, tags),
        st.tuples(numbers, tags, numbers),
    ),
    st.sampled_from([(), (), (), (), ("1",), ("",), ("1", "x")]),
)


@settings(max_examples=500)
@given(actions, user_ids, session_ids, refs)
def test_round_trip_within_64_bytes(
    action: str, user_id: int, session_id: str, ref: int | None
) -> None:
    """encode fits Telegram's 64 bytes and decode gives back action, user, tag and ref."""
    payload = encode(action, user_id, session_id, ref)
    assert len(payload.encode()) <= codec.MAX_BYTES
    expected = ButtonAction(action, user_id, session_tag(session_id) if session_id else "", ref)
    assert decode(payload) == expected


@settings(max_examples=500)
@given(session_ids)
def test_session_tag_is_short_safe_and_deterministic(session_id: str) -> None:
    """session_tag is at most 20 chars of [A-Za-z0-9_-], the same each time."""
    tag = session_tag(session_id)
    assert len(tag) <= 20
    assert TAG.fullmatch(tag)
    assert session_tag(session_id) == tag
    if len(session_id) <= 20 and TAG.fullmatch(session_id):
        assert tag == session_id  # an id that fits is its own tag


@settings(max_examples=500)
@given(st.one_of(unicode_text(300), payload_like))
def test_decode_of_any_text_is_none_or_a_known_action(text: str) -> None:
    """decode never raises: None, or a press of a known action with sane fields."""
    button = decode(text)
    if button is None:
        return
    assert button.action in codec.ACTIONS
    assert button.user_id is None or 0 <= button.user_id < NUMBER_LIMIT
    assert button.ref is None or 0 <= button.ref < NUMBER_LIMIT
    assert len(button.session) <= 20 and TAG.fullmatch(button.session)
    if button.user_id is not None:  # the current format: it is what encode would write
        assert len(text.encode()) <= codec.MAX_BYTES


@settings(max_examples=500)
@given(
    st.one_of(actions, st.text(max_size=10)),
    st.integers(-(10**15), 10**15),
    st.text(chars, max_size=200),
    st.one_of(st.none(), st.integers(-(10**15), 10**15)),
)
def test_encode_raises_only_value_error_for_bad_input(
    action: str, user_id: int, session_id: str, ref: int | None
) -> None:
    """encode raises ValueError exactly for an unknown action or an out-of-range number."""
    valid = (
        action in codec.ACTIONS
        and 0 <= user_id < NUMBER_LIMIT
        and (ref is None or 0 <= ref < NUMBER_LIMIT)
    )
    try:
        payload = encode(action, user_id, session_id, ref)
    except ValueError:
        assert not valid
    else:
        assert valid
        assert decode(payload) is not None
