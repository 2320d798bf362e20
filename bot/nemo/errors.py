"""Errors raised by the NemoVideo client, named by what the caller does about them.

NemoError                      any failure; carries status, code, endpoint
├── NemoAuthError              1001/1010/1011/401: get a new token, retry once
├── SessionNotFound            1002: create a new session, retry once
├── OutOfCredits               2001: registration link (anonymous) or top up
├── UnsupportedFile            4001: list the accepted formats
├── FileTooLarge               4002: suggest compressing or trimming
├── MissingClientId            400: the anonymous-token call lacked X-Client-Id
├── TokenRefused               the backend will not issue an anonymous token
├── ExportBlocked              402: the plan does not allow export
├── RateLimited                429: wait, retry once
├── RenderConflict             409: that render id was already used
├── NotFound                   404 without a more specific code
├── NemoProtocolError          a body that is not what the contract says
└── NemoUnavailable            5xx, timeouts, connection failures
    ├── StreamCut              the SSE stream broke before the turn ended
    └── StreamTimeout          the turn ran past its idle or overall limit
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ExportBlocked",
    "FileTooLarge",
    "MissingClientId",
    "NemoAuthError",
    "NemoError",
    "NemoProtocolError",
    "NemoUnavailable",
    "NotFound",
    "OutOfCredits",
    "RateLimited",
    "RenderConflict",
    "SessionNotFound",
    "StreamCut",
    "StreamTimeout",
    "TokenRefused",
    "UnsupportedFile",
    "error_for",
    "message_of",
]


class NemoError(Exception):
    """A NemoVideo call failed."""

    def __init__(
        self, message: str, *, status: int = 0, code: int | None = None, endpoint: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.endpoint = endpoint

    @property
    def label(self) -> str:
        """A short name for counting: the API's code, else the HTTP status, else the kind."""
        if self.code:
            return str(self.code)
        if self.status:
            return f"http_{self.status}"
        return type(self).__name__

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status}, "
            f"code={self.code}, endpoint={self.endpoint!r})"
        )


class NemoAuthError(NemoError):
    """The token is expired or invalid."""


class SessionNotFound(NemoError):
    """The session no longer exists on the backend."""


class OutOfCredits(NemoError):
    """No credits left for this account."""


class UnsupportedFile(NemoError):
    """The file type is not accepted."""


class FileTooLarge(NemoError):
    """The file is over the upload limit."""


class MissingClientId(NemoError):
    """The anonymous-token call was made without a client id."""


class TokenRefused(NemoError):
    """The backend refused to issue an anonymous token (per-IP or per-client limits)."""


class ExportBlocked(NemoError):
    """Export is not available on this plan (not a credit problem)."""


class RateLimited(NemoError):
    """Too many requests."""


class RenderConflict(NemoError):
    """The render id was already submitted."""


class NotFound(NemoError):
    """The resource does not exist."""


class NemoProtocolError(NemoError):
    """The backend answered something the contract does not allow."""


class NemoUnavailable(NemoError):
    """The backend could not be reached or failed on its side."""


class StreamCut(NemoUnavailable):
    """The agent's stream ended before the turn was complete."""

    def __init__(self, message: str, *, partial_text: str = "", endpoint: str = "") -> None:
        super().__init__(message, endpoint=endpoint)
        self.partial_text = partial_text


class StreamTimeout(NemoUnavailable):
    """The agent's turn exceeded the idle or overall time limit."""


_BY_CODE: dict[int, type[NemoError]] = {
    400: MissingClientId,
    401: NemoAuthError,
    402: ExportBlocked,
    409: RenderConflict,
    429: RateLimited,
    1001: NemoAuthError,
    1002: SessionNotFound,
    1003: TokenRefused,
    1010: NemoAuthError,
    1011: NemoAuthError,
    2001: OutOfCredits,
    4001: UnsupportedFile,
    4002: FileTooLarge,
}

_BY_STATUS: dict[int, type[NemoError]] = {
    401: NemoAuthError,
    402: ExportBlocked,
    404: NotFound,
    409: RenderConflict,
    413: FileTooLarge,
    429: RateLimited,
}


def message_of(body: Mapping[str, Any]) -> str | None:
    """The human text of an error body, wherever the backend put it."""
    for key in ("message", "msg", "detail", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _code_of(body: Mapping[str, Any]) -> int | None:
    code = body.get("code")
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.strip().isdigit():
        return int(code)
    return None


def error_for(status: int, body: Mapping[str, Any] | None, endpoint: str) -> NemoError:
    """Map an HTTP status and (maybe absent) JSON body to the matching exception."""
    body = body or {}
    code = _code_of(body)
    message = message_of(body) or f"HTTP {status}"
    cls: type[NemoError] | None = _BY_CODE.get(code) if code else None
    if cls is None:
        cls = _BY_STATUS.get(status)
    if cls is None:
        cls = NemoUnavailable if status >= 500 or status == 0 else NemoError
    return cls(message, status=status, code=code or None, endpoint=endpoint)
