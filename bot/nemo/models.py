"""Typed results returned by `NemoClient`, parsed from the wire JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.nemo.errors import NemoProtocolError, message_of

__all__ = [
    "AnonymousToken",
    "Credits",
    "GeneratedMedia",
    "NemoSession",
    "RenderStatus",
    "SessionState",
    "UploadResult",
    "UploadedFile",
]

RENDER_TERMINAL = frozenset({"completed", "failed", "cancelled"})


def _require(data: Mapping[str, Any], key: str, endpoint: str) -> Any:
    value = data.get(key)
    if value is None or value == "":
        raise NemoProtocolError(f"response lacks {key!r}", endpoint=endpoint)
    return value


def _as_int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True, slots=True)
class AnonymousToken:
    """A free starter token bound to one client id."""

    token: str
    user_id: str
    credits: int
    expires_at: datetime

    @classmethod
    def parse(cls, data: Mapping[str, Any], endpoint: str) -> AnonymousToken:
        """Build from the `data` of the anonymous-token call."""
        raw_expiry = data.get("expires_at")
        try:
            expires = datetime.fromisoformat(str(raw_expiry).replace("Z", "+00:00"))
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
        except ValueError:
            # The vendor documents 7 days; assume that rather than fail the user.
            expires = datetime.now(UTC) + timedelta(days=7)
        return cls(
            token=str(_require(data, "token", endpoint)),
            user_id=str(data.get("user_id") or ""),
            credits=_as_int(data.get("credits")),
            expires_at=expires,
        )


@dataclass(frozen=True, slots=True)
class NemoSession:
    """An agent session; `session_id` is a 19-digit string and stays one."""

    session_id: str
    task_id: str | None
    user_id: str | None

    @classmethod
    def parse(cls, data: Mapping[str, Any], endpoint: str) -> NemoSession:
        """Build from the `data` of the session-create call."""
        task, user = data.get("task_id"), data.get("user_id")
        return cls(
            session_id=str(_require(data, "session_id", endpoint)),
            task_id=None if task is None else str(task),
            user_id=None if user is None else str(user),
        )


@dataclass(frozen=True, slots=True)
class Credits:
    """The account's credit balance."""

    available: int
    frozen: int
    total: int

    @classmethod
    def parse(cls, data: Mapping[str, Any], endpoint: str) -> Credits:
        """Build from the `data` of the balance call."""
        available = _as_int(_require(data, "available", endpoint))
        frozen = _as_int(data.get("frozen"))
        return cls(available, frozen, _as_int(data.get("total"), available + frozen))


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """One file the backend accepted."""

    filename: str
    file_type: str
    cdn_url: str | None
    width: int | None = None
    height: int | None = None
    duration: float | None = None


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What an upload call returned."""

    files: tuple[UploadedFile, ...]
    state_applied: bool

    @classmethod
    def parse(cls, data: Mapping[str, Any], endpoint: str) -> UploadResult:
        """Build from the `data` of an upload call."""
        files = data.get("files")
        if not isinstance(files, list):
            raise NemoProtocolError("upload response lacks 'files'", endpoint=endpoint)
        parsed = tuple(
            UploadedFile(
                filename=str(f.get("filename") or ""),
                file_type=str(f.get("file_type") or ""),
                cdn_url=f.get("cdn_url"),
                width=f.get("width"),
                height=f.get("height"),
                duration=f.get("duration"),
            )
            for f in files
            if isinstance(f, Mapping)
        )
        return cls(parsed, bool(data.get("session_state_applied")))


@dataclass(frozen=True, slots=True)
class GeneratedMedia:
    """An image or video the agent generated."""

    id: str
    type: str
    url: str
    prompt: str = ""
    width: int | None = None
    height: int | None = None

    @classmethod
    def parse_all(cls, items: Any) -> tuple[GeneratedMedia, ...]:
        """Every well-formed entry of `generated_media`; others are skipped."""
        if not isinstance(items, list):
            return ()
        found = []
        for item in items:
            if not isinstance(item, Mapping) or not item.get("url"):
                continue
            found.append(
                cls(
                    id=str(item.get("id") or item["url"]),
                    type=str(item.get("type") or "image"),
                    url=str(item["url"]),
                    prompt=str(item.get("prompt") or ""),
                    width=item.get("width"),
                    height=item.get("height"),
                )
            )
        return tuple(found)


@dataclass(frozen=True, slots=True)
class SessionState:
    """The session's server-side project: the draft and what was generated."""

    draft: Mapping[str, Any] = field(default_factory=dict)
    generated_media: tuple[GeneratedMedia, ...] = ()
    video_infos: tuple[Any, ...] = ()

    @classmethod
    def parse(cls, data: Mapping[str, Any], endpoint: str) -> SessionState:
        """Build from the `data` of the state call."""
        state = data.get("state", data)
        if not isinstance(state, Mapping):
            raise NemoProtocolError("state response lacks 'state'", endpoint=endpoint)
        draft = state.get("draft")
        infos = state.get("video_infos")
        return cls(
            draft=draft if isinstance(draft, Mapping) else {},
            generated_media=GeneratedMedia.parse_all(state.get("generated_media")),
            video_infos=tuple(infos) if isinstance(infos, list) else (),
        )


@dataclass(frozen=True, slots=True)
class RenderStatus:
    """Where a render job stands."""

    id: str
    status: str
    progress: int = 0
    output_url: str | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        """The job will not change any more."""
        return self.status in RENDER_TERMINAL

    @classmethod
    def parse(cls, body: Mapping[str, Any], render_id: str, endpoint: str) -> RenderStatus:
        """Read status and URL wherever the vendor's variants put them.

        `{"success": false, …}` is a failed render, whatever status it carries (or none).
        """
        refused = body.get("success") is False
        data = body.get("data", body)
        if not isinstance(data, Mapping):
            if not refused:
                raise NemoProtocolError("render response lacks 'data'", endpoint=endpoint)
            data = {}
        status = "failed" if refused else data.get("status") or body.get("status")
        if not isinstance(status, str):
            raise NemoProtocolError("render response lacks 'status'", endpoint=endpoint)
        status = status.lower()
        error = None
        if status in ("failed", "cancelled"):
            error = _failure_text(data) or _failure_text(body)
        return cls(
            id=str(data.get("id") or render_id),
            status=status,
            progress=max(0, min(100, _as_int(data.get("progress")))),
            output_url=_output_url(data) or _output_url(body),
            error=error,
        )


def _failure_text(data: Mapping[str, Any]) -> str | None:
    """Why a render failed: `error` (a string, or an object with a message) or `message`."""
    error = data.get("error")
    if isinstance(error, Mapping):
        error = message_of(error)
    if isinstance(error, str) and error.strip():
        return error.strip()
    text = message_of(data)
    return text.strip() if text and text.strip() and text.lower() != "success" else None


def _output_url(data: Mapping[str, Any]) -> str | None:
    output = data.get("output")
    if isinstance(output, Mapping) and isinstance(output.get("url"), str):
        return str(output["url"])
    url = data.get("outputUrl")
    return url if isinstance(url, str) and url else None
