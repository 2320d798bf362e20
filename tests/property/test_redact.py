"""Properties of `bot.logs.redact`: token-shaped and known secrets never survive."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from bot.logs import MASK, redact
from tests.property.strategies import chars, unicode_text

TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

text = st.text(chars, max_size=60)
bot_ids = st.text("0123456789", min_size=9, max_size=9)
telegram_secrets = st.text(TOKEN_CHARS + "_-", min_size=35, max_size=35)
colons = st.sampled_from([":", "%3A", "%3a"])
nemo_secrets = st.text(TOKEN_CHARS, min_size=20, max_size=20)
# What sets a token off from the text before it in logs: a space, a URL's "/bot", "=", quotes.
separators = st.sampled_from([" ", "\n", "/", "/bot", "=", "?token=", '"', "'", "(", "Bearer "])


def telegram(bot_id: str, colon: str, secret: str) -> str:
    """A Telegram bot token, with its colon as typed or percent-encoded."""
    return f"{bot_id}{colon}{secret}"


@settings(max_examples=300)
@given(st.one_of(unicode_text(2000), text), st.lists(st.text(max_size=20), max_size=3))
def test_redact_never_raises(message: str, secrets: list[str]) -> None:
    """redact returns a string for any text and any list of secrets."""
    assert isinstance(redact(message, secrets), str)


@settings(max_examples=300)
@given(text, separators, bot_ids, colons, telegram_secrets, text)
def test_telegram_token_after_a_separator_is_masked(
    before: str, sep: str, bot_id: str, colon: str, secret: str, after: str
) -> None:
    """A Telegram token set off from what precedes it never keeps its secret part."""
    assume(secret not in before + after)
    cleaned = redact(before + sep + telegram(bot_id, colon, secret) + after)
    assert secret not in cleaned
    assert MASK in cleaned


@settings(max_examples=300)
@given(text, nemo_secrets, text)
def test_nemo_token_anywhere_is_masked(before: str, secret: str, after: str) -> None:
    """A NemoVideo token glued anywhere into any text never keeps its secret part."""
    assume(secret not in before + after)
    cleaned = redact(before + "nmv_usr_" + secret + after)
    assert secret not in cleaned
    assert MASK in cleaned


@settings(max_examples=300)
@given(
    text,
    st.text(st.characters(codec="utf-8", exclude_characters="[redact]"), min_size=1, max_size=30),
    text,
    st.booleans(),
)
def test_known_secret_is_masked_also_percent_encoded(
    before: str, secret: str, after: str, encoded: bool
) -> None:
    """A secret passed to redact never survives, typed as is or percent-encoded."""
    inserted = quote(secret, safe="") if encoded else secret
    assume(inserted not in before + after)
    cleaned = redact(before + inserted + after, [secret])
    assert inserted not in cleaned


# -- regressions: bugs these properties found (now fixed) -------------------------


@settings(max_examples=50, report_multiple_bugs=False)
@example(before="0000", bot_id="123456789", colon=":", secret="A" * 35)
@given(st.text("0123456789", min_size=4, max_size=10), bot_ids, colons, telegram_secrets)
def test_telegram_token_after_digits_is_masked(
    before: str, bot_id: str, colon: str, secret: str
) -> None:
    """A Telegram token right after other digits never keeps its secret part."""
    assert secret not in redact(before + telegram(bot_id, colon, secret))


@settings(max_examples=50, report_multiple_bugs=False)
@example(word="a", bot_id="123456789", colon=":", secret="A" * 35)
@given(st.text(TOKEN_CHARS[:52], min_size=1, max_size=8), bot_ids, colons, telegram_secrets)
def test_telegram_token_after_a_nemo_prefix_is_masked(
    word: str, bot_id: str, colon: str, secret: str
) -> None:
    """A Telegram token right after an `nmv_<word>_` prefix never keeps its secret part."""
    assert secret not in redact(f"nmv_{word}_" + telegram(bot_id, colon, secret))
