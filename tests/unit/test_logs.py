"""No token and no traceback ever reaches a log line."""

from __future__ import annotations

import logging

import pytest

from bot.logs import RedactingFilter, redact


def test_known_and_token_shaped_secrets_are_masked() -> None:
    text = (
        "token nmv_usr_abc123 Authorization: Bearer sekrit "
        "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe "
        "operator-secret"
    )
    cleaned = redact(text, ["operator-secret"])
    for secret in (
        "nmv_usr_abc123",
        "sekrit",
        "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "operator-secret",
    ):
        assert secret not in cleaned
    assert "Bearer [redacted]" in cleaned


def test_percent_encoded_tokens_in_file_urls_are_masked() -> None:
    """PTB's file downloads quote the token's colon: that form is masked too."""
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    url = "GET http://api/file/bot123456789%3AAAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/photos/1.jpg"
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in redact(url)
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in redact(url.replace("%3A", "%3a"), [token])
    assert redact("a short-secret/x", ["short-secret/x"]) == "a [redacted]"
    assert redact("a short-secret%2Fx", ["short-secret/x"]) == "a [redacted]"


def test_filter_drops_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter(["hunter2"]))
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            try:
                raise ValueError("password hunter2 leaked")
            except ValueError:
                logger.exception("failed for %s", "nmv_usr_zzz")
    finally:
        logger.filters.clear()
    assert "hunter2" not in caplog.text
    assert "nmv_usr_zzz" not in caplog.text
    assert "Traceback" not in caplog.text
    assert "ValueError" in caplog.text
