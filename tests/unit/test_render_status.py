"""Render answers in every shape the API notes document (pure: no network)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.nemo.envelope import unwrap
from bot.nemo.errors import NemoAuthError, NemoError
from bot.nemo.models import RenderStatus

REASON = "Render node crashed (GPU out of memory)"


@pytest.mark.parametrize(
    "body",
    [
        {"success": False, "error": REASON},
        {"success": False, "message": REASON},
        {"success": False, "msg": REASON},
        {"success": False, "detail": REASON},
        {"success": False, "error": {"message": REASON}},
        {"success": False, "data": None, "error": REASON},
        {"success": False, "data": {"id": "r1", "status": "failed", "error": REASON}},
        {"success": True, "data": {"id": "r1", "status": "failed", "error": REASON}},
        {"success": True, "status": "FAILED", "message": REASON},
        {"code": 0, "data": {"status": "failed", "msg": REASON}},
    ],
)
def test_a_failed_render_keeps_its_reason(body: dict[str, Any]) -> None:
    response = httpx.Response(200, json=body)
    answer = unwrap(response, "poll", render=True, refusal_is_answer=True)
    status = RenderStatus.parse(answer, "r1", "poll")
    assert (status.status, status.error, status.finished) == ("failed", REASON, True)


def test_a_refusal_with_a_code_is_still_an_error() -> None:
    response = httpx.Response(200, json={"success": False, "code": 1001, "error": "expired"})
    with pytest.raises(NemoAuthError):
        unwrap(response, "poll", render=True, refusal_is_answer=True)


def test_a_refused_submit_still_raises() -> None:
    """Only the poll reads `success: false` as a failed render; a submit refusal is an error."""
    response = httpx.Response(200, json={"success": False, "error": "draft has no content"})
    with pytest.raises(NemoError, match="draft has no content"):
        unwrap(response, "submit", render=True)


@pytest.mark.parametrize(
    "body",
    [
        {"success": True, "data": {"status": "completed", "output": {"url": "https://x/a.mp4"}}},
        {"success": True, "data": {"status": "completed", "outputUrl": "https://x/a.mp4"}},
        {"success": True, "status": "completed", "output": {"url": "https://x/a.mp4"}},
    ],
)
def test_the_url_is_found_wherever_it_sits(body: dict[str, Any]) -> None:
    status = RenderStatus.parse(body, "r1", "poll")
    assert (status.status, status.output_url) == ("completed", "https://x/a.mp4")
