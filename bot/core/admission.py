"""Who may send what, how fast: the allowlist, operators, the per-user rate, the length cap."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.core.messages import IncomingMessage, User

__all__ = ["MAX_MESSAGE_CHARS", "Admission", "Refusal", "RefusalStatus"]

MAX_MESSAGE_CHARS = 4000
_WINDOW = 60.0
RefusalStatus = Literal["not_allowed", "too_long", "throttled"]
_FORGET_AFTER = 10 * _WINDOW  # users quiet this long lose their counters


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a message is not accepted: a status for the adapter, a line for the user (or None)."""

    status: RefusalStatus
    text_key: str | None
    values: dict[str, Any] = field(default_factory=dict)


class Admission:
    """Decides before anything is stored; operators (`NEMOBOT_ADMINS`) pass every limit."""

    def __init__(
        self,
        allowed: frozenset[str],
        admins: frozenset[str],
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._allowed = allowed
        self._admins = admins
        self._per_minute = per_minute
        self._clock = clock
        self._recent: dict[int, deque[float]] = {}
        self._told: dict[int, float] = {}

    def is_admin(self, user: User) -> bool:
        """The sender is one of the bot's operators."""
        return bool(_names(user) & self._admins)

    def refusal(self, msg: IncomingMessage, user_id: int) -> Refusal | None:
        """Why `msg` must not be stored, or None to accept it."""
        if self._allowed and not _names(msg.user) & (self._allowed | self._admins):
            return Refusal("not_allowed", "not_allowed")
        if len(msg.text) > MAX_MESSAGE_CHARS:
            values = {"length": len(msg.text), "limit": MAX_MESSAGE_CHARS}
            return Refusal("too_long", "too_long", values)
        if not self.is_admin(msg.user) and self._too_fast(user_id):
            return Refusal("throttled", self._tell_once(user_id))
        return None

    def _too_fast(self, user_id: int) -> bool:
        now = self._clock()
        recent = self._recent.setdefault(user_id, deque(maxlen=self._per_minute))
        if len(recent) == self._per_minute and now - recent[0] < _WINDOW:
            return True
        recent.append(now)
        if len(self._recent) > 10_000:
            self._forget_quiet(now)
        return False

    def _tell_once(self, user_id: int) -> str | None:
        """The slow-down line, at most once a minute per user (more would be a flood too)."""
        now = self._clock()
        if now - self._told.get(user_id, float("-inf")) < _WINDOW:
            return None
        self._told[user_id] = now
        return "slow_down"

    def _forget_quiet(self, now: float) -> None:
        for user_id in [u for u, times in self._recent.items() if now - times[-1] > _FORGET_AFTER]:
            del self._recent[user_id]
            self._told.pop(user_id, None)


def _names(user: User) -> set[str]:
    return {user.id, f"{user.platform}:{user.id}"}
