"""Discord's error bodies, and JSON answers discord.py recognises."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer whose Content-Type is exactly "application/json".

    discord.py's json_or_text() compares the header for equality, so aiohttp's usual
    "application/json; charset=utf-8" would make it treat every body as text.
    """
    merged = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=merged)


class ApiError(Exception):
    """Raised by a handler to answer with a Discord error body."""

    def __init__(
        self,
        status: int,
        message: str,
        code: int,
        errors: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body: dict[str, Any] = {"message": message, "code": code}
        if errors:
            self.body["errors"] = errors
        self.headers = headers or {}

    @property
    def code(self) -> int:
        """Discord's JSON error code."""
        return int(self.body.get("code", 0))

    def response(self) -> web.Response:
        """The HTTP answer."""
        return json_response(self.body, status=self.status, headers=self.headers)


class FormErrors:
    """Collects "Invalid Form Body" problems into Discord's nested errors object."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: list[str | int], code: str, message: str) -> None:
        """Record one problem at a field path such as ["components", 0, "custom_id"]."""
        node = self.tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def raise_if_any(self) -> None:
        """Raise 400 / 50035 if anything was recorded."""
        if self.tree:
            raise ApiError(400, "Invalid Form Body", 50035, self.tree)


def unknown(what: str, code: int) -> ApiError:
    """404 "Unknown <what>"."""
    return ApiError(404, f"Unknown {what}", code)


UNAUTHORIZED = (401, "401: Unauthorized", 0)
NOT_FOUND_BODY = {"message": "404: Not Found", "code": 0}
