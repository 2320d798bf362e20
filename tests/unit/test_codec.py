"""Button payloads: round trips, the Telegram size limit, foreign and malformed input."""

from __future__ import annotations

import pytest

from bot.core import codec
from bot.core.codec import ButtonAction

TELEGRAM_SNOWFLAKE = "1234567890123456789"  # 19 digits, like a Discord/Telegram id


@pytest.mark.parametrize("action", sorted(codec.ACTIONS))
@pytest.mark.parametrize("session", ["", "s", TELEGRAM_SNOWFLAKE, "abc_DEF-123", "x" * 40])
def test_round_trip(action: str, session: str) -> None:
    """decode(encode(a, s)) gives back a and s."""
    payload = codec.encode(action, session)
    assert codec.decode(payload) == ButtonAction(action, session)


def test_actions_are_the_documented_ones() -> None:
    """The buttons the bot shows."""
    assert {"export", "status", "credits", "new", "retry"} == codec.ACTIONS


@pytest.mark.parametrize("action", sorted(codec.ACTIONS))
def test_payload_fits_telegram_callback_data(action: str) -> None:
    """Telegram allows 64 bytes of callback_data; Discord 100 characters of custom_id."""
    for session in (TELEGRAM_SNOWFLAKE, "x" * 40):
        payload = codec.encode(action, session)
        assert len(payload.encode()) <= 64
        assert len(payload) <= 100


def test_default_session_is_empty() -> None:
    """A button not tied to a session still round-trips."""
    assert codec.decode(codec.encode("credits")) == ButtonAction("credits", "")


def test_unknown_action_is_refused() -> None:
    """Only known actions can be encoded."""
    with pytest.raises(ValueError):
        codec.encode("delete", "1")


@pytest.mark.parametrize(
    "session", ["a:b", "a b", "é", "会话", "x" * 41, "abc\n", "abc\r", "a/b", "a.b"]
)
def test_bad_session_characters_are_refused(session: str) -> None:
    """Ids that would not round-trip, or would break the payload, raise ValueError."""
    assert not codec.encodable(session)
    with pytest.raises(ValueError):
        codec.encode("export", session)


@pytest.mark.parametrize("session", ["", "0", TELEGRAM_SNOWFLAKE, "a_b-C", "x" * 40])
def test_encodable(session: str) -> None:
    """Ordinary ids fit."""
    assert codec.encodable(session)


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "nemo",
        "nemo:export",
        "nemo:export:1:2",
        "other:export:1",
        "NEMO:export:1",
        "nemo:EXPORT:1",
        "nemo:delete:1",
        "nemo:export:a b",
        "nemo:export:abc\n",
        "nemo:export:" + "x" * 41,
        "export",
        "hello world",
    ],
)
def test_foreign_or_malformed_payloads_decode_to_none(payload: str) -> None:
    """Anything that is not exactly ours is ignored."""
    assert codec.decode(payload) is None
