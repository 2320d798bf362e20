"""The pure mapping from status + body to the client's exceptions."""

from __future__ import annotations

import pytest

from bot.nemo import errors as e


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"code": 1001, "message": "expired"}, e.NemoAuthError),
        (401, None, e.NemoAuthError),
        (200, {"code": 1010}, e.NemoAuthError),
        (200, {"code": 1011}, e.NemoAuthError),
        (404, {"code": 1002, "msg": "no session"}, e.SessionNotFound),
        (403, {"code": 2001, "detail": "credits"}, e.OutOfCredits),
        (400, {"code": 4001}, e.UnsupportedFile),
        (413, {"code": 4002}, e.FileTooLarge),
        (413, None, e.FileTooLarge),
        (400, {"code": 400, "error": "missing X-Client-Id"}, e.MissingClientId),
        (402, {"success": False, "error": "blocked"}, e.ExportBlocked),
        (429, {"code": 429}, e.RateLimited),
        (429, None, e.RateLimited),
        (409, {"success": False}, e.RenderConflict),
        (404, None, e.NotFound),
        (503, None, e.NemoUnavailable),
        (500, {"message": "boom"}, e.NemoUnavailable),
        (403, {"code": 1003}, e.TokenRefused),
        (418, None, e.NemoError),
    ],
)
def test_error_for_maps_code_before_status(status, body, expected) -> None:
    error = e.error_for(status, body, "GET /x")
    assert type(error) is expected
    assert error.status == status
    assert error.endpoint == "GET /x"


def test_message_is_read_from_any_of_four_keys() -> None:
    for key in ("message", "msg", "detail", "error"):
        assert e.error_for(400, {key: "why"}, "").message == "why"
    assert e.error_for(502, None, "").message == "HTTP 502"


def test_string_code_is_understood() -> None:
    error = e.error_for(200, {"code": "2001"}, "")
    assert isinstance(error, e.OutOfCredits)
    assert error.code == 2001


def test_stream_errors_are_unavailability() -> None:
    assert issubclass(e.StreamCut, e.NemoUnavailable)
    assert issubclass(e.StreamTimeout, e.NemoUnavailable)
    assert e.StreamCut("x", partial_text="half").partial_text == "half"
