"""Fault injection switches; one-shot flags are consumed when they fire."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Faults:
    """Mutable fault switches, all off by default."""

    rate_limit_once: bool = False
    rate_limit_always: bool = False  # every API call answers 429
    expire_tokens: bool = False
    lose_sessions: bool = False
    cut_stream_once: bool = False
    silent_stream_seconds: float = 0.0
    hang_stream_once: bool = False
    stream_error_once: str | None = None
    malformed_line_once: bool = False
    flat_events_once: bool = False
    render_fail_once: bool = False
    poll_error_count: int = 0
    down: bool = False
    no_text_once: bool = False
    delay_seconds: float = 0.0  # every API call waits this long first
    delay_path: str | None = None  # requests whose path starts with this wait…
    delay_path_seconds: float = 0.0  # …this long (files included)
    render_fail_message: str | None = None  # the next render fails, saying this
    reply_text_once: str | None = None  # the next turn answers with exactly this text

    def merge(self, values: dict[str, Any]) -> None:
        """Set the given fields; unknown names or wrong types raise ValueError."""
        known = {f.name: f for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown fault: {name}")
            setattr(self, name, _coerce(name, known[name].type, value))

    def reset(self) -> None:
        """Turn every fault off."""
        for f in fields(self):
            setattr(self, f.name, getattr(Faults, f.name))

    def to_dict(self) -> dict[str, Any]:
        """The current switches as JSON-ready data."""
        return asdict(self)

    def take(self, name: str) -> bool:
        """Consume a one-shot boolean flag, answering whether it was set."""
        if getattr(self, name):
            setattr(self, name, False)
            return True
        return False


def _coerce(name: str, type_name: object, value: Any) -> Any:
    kind = str(type_name)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be a boolean")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an integer")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} must be a number")
        return float(value)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string or null")
    return value
