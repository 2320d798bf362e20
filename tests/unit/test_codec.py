"""Button payloads: round trips, owners and sessions, the 64-byte limit, foreign input."""

from __future__ import annotations

import pytest

from bot.core import codec
from bot.core.codec import ButtonAction, session_tag

SNOWFLAKE = "1234567890123456789"  # 19 digits, like a NemoVideo session id


@pytest.mark.parametrize("action", sorted(codec.ACTIONS))
@pytest.mark.parametrize("session", ["", "s", SNOWFLAKE, "abc_DEF-123"])
@pytest.mark.parametrize("ref", [None, 0, 123456])
def test_round_trip(action: str, session: str, ref: int | None) -> None:
    """decode(encode(...)) gives back the action, the owner, the session and the ref."""
    payload = codec.encode(action, 42, session, ref)
    assert codec.decode(payload) == ButtonAction(action, 42, session, ref)


def test_actions_are_the_documented_ones() -> None:
    assert {
        "export",
        "status",
        "credits",
        "new",
        "retry",
        "again",
        "variation",
        "web",
        "resend",
        "sendagain",
        "cancel",
        "buy",
        "set",
    } == codec.ACTIONS


@pytest.mark.parametrize("action", sorted(codec.ACTIONS))
def test_the_largest_payload_fits_telegram_callback_data(action: str) -> None:
    """Telegram allows 64 bytes of callback_data; Discord 100 characters of custom_id."""
    for session in (SNOWFLAKE, "x" * 20, "a session id that is long and odd: ✓" * 3):
        payload = codec.encode(action, 999_999_999_999, session, 999_999_999_999)
        assert len(payload.encode()) <= 64
        assert len(payload) <= 100


def test_long_or_odd_session_ids_become_a_short_stable_tag() -> None:
    odd = "a/b:c d" * 10
    assert session_tag(odd) == session_tag(odd)
    assert session_tag(odd) != session_tag(odd + "x")
    assert codec.decode(codec.encode("export", 1, odd)) == ButtonAction(
        "export", 1, session_tag(odd)
    )
    assert session_tag(SNOWFLAKE) == SNOWFLAKE


def test_unknown_action_or_bad_numbers_are_refused() -> None:
    with pytest.raises(ValueError):
        codec.encode("delete", 1)
    with pytest.raises(ValueError):
        codec.encode("export", -1)
    with pytest.raises(ValueError):
        codec.encode("again", 1, SNOWFLAKE, -5)


def test_legacy_payloads_name_no_owner() -> None:
    """Buttons from before owners were encoded still decode, owner unknown."""
    assert codec.decode(f"nemo:export:{SNOWFLAKE}") == ButtonAction("export", None, SNOWFLAKE)
    assert codec.decode("nemo:credits:") == ButtonAction("credits", None, "")


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "nemo",
        "nemo:export",
        "other:export:1:2",
        "NEMO:export:1:2",
        "nemo:EXPORT:1:2",
        "nemo:delete:1:2",
        "nemo:export:x:2",
        "nemo:export:1:a b",
        "nemo:export:1:abc\n",
        "nemo:export:1:" + "x" * 21,
        "nemo:export:01:abc",
        "nemo:again:1:abc:x",
        "nemo:again:1:abc:1:2",
        "nemo:export:a b",
        "export",
        "hello world",
    ],
)
def test_foreign_or_malformed_payloads_decode_to_none(payload: str) -> None:
    """Anything that is not exactly ours is ignored."""
    assert codec.decode(payload) is None
