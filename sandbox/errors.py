"""Errors that handlers raise and the middleware turns into vendor-shaped answers."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error answer with a JSON body."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(body.get("message") or body.get("error"))
        self.status = status
        self.body = body
        self.headers = headers or {}


def api_error(status: int, code: int, message: str) -> ApiError:
    """An error in the `{"code", "message"}` envelope."""
    return ApiError(status, {"code": code, "message": message})


def render_error(status: int, error: str, code: int | None = None) -> ApiError:
    """An error in the render endpoints' `{"success": false, "error"}` shape."""
    body: dict[str, Any] = {"success": False, "error": error}
    if code is not None:
        body["code"] = code
    return ApiError(status, body)


def token_expired() -> ApiError:
    """401 for an expired token."""
    return api_error(401, 1001, "token expired")


def session_not_found() -> ApiError:
    """404 for an unknown or foreign session."""
    return api_error(404, 1002, "session not found")
