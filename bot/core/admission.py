"""Who may send what, how fast: the allowlist, bans, operators, the per-user rate, the length cap.

The allowlist is `NEMOBOT_ALLOWED_USERS` plus whoever operators `/allow`; bans come from
`/ban`. Both are kept in the database and loaded with `apply_rules` (at start, after each
change, and every minute for rules set by another process).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.core.messages import IncomingMessage, User
from storage import AccessRule

__all__ = ["MAX_MESSAGE_CHARS", "Admission", "Refusal", "RefusalStatus", "normalize_who"]

MAX_MESSAGE_CHARS = 4000
_WINDOW = 60.0
RefusalStatus = Literal["not_allowed", "too_long", "throttled"]
_FORGET_AFTER = 10 * _WINDOW  # users quiet this long lose their counters
_Sender = tuple[str, str]  # (platform, the platform's user id)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a message is not accepted: a status for the adapter, a line for the user (None:
    they were told a moment ago), and `reason`, the key of that line even when not told."""

    status: RefusalStatus
    text_key: str | None
    values: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


class Admission:
    """Decides before anything is stored; operators (`NEMOBOT_ADMINS`) pass every limit."""

    def __init__(
        self,
        allowed: frozenset[str],
        admins: frozenset[str],
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        count_rate: bool = True,
    ) -> None:
        """`count_rate=False`: the per-minute rate is left to the store (shared by workers)."""
        self._configured = allowed
        self._allowed = allowed
        self._banned: frozenset[str] = frozenset()
        self._admins = admins
        self._per_minute = per_minute
        self._count_rate = count_rate
        self._clock = clock
        # Counted per sender, not per stored user: a first message is judged before the
        # sender's row exists (it is created in the same write as the message).
        self._recent: dict[_Sender, deque[float]] = {}
        self._told: dict[_Sender, float] = {}

    def is_admin(self, user: User) -> bool:
        """The sender is one of the bot's operators."""
        return bool(_names(user) & self._admins)

    def names_admin(self, who: str) -> bool:
        """`who` (as `normalize_who` gives it) names one of the operators."""
        bare = who.rpartition(":")[2]
        return any(admin in (who, bare) or admin.endswith(":" + who) for admin in self._admins)

    def apply_rules(self, rules: Iterable[AccessRule]) -> None:
        """Take the operators' rules from the database (replacing the ones known before)."""
        rules = list(rules)
        self._banned = frozenset(r.who for r in rules if r.rule == "ban")
        self._allowed = self._configured | {r.who for r in rules if r.rule == "allow"}

    @property
    def configured_allowlist(self) -> frozenset[str]:
        """`NEMOBOT_ALLOWED_USERS` (what `/deny` cannot take away)."""
        return self._configured

    @property
    def allowlist_on(self) -> bool:
        """Only listed users (and operators) may use the bot."""
        return bool(self._allowed)

    def may_start(self, user: User, *, count: bool = True) -> str | None:
        """May `user` start a turn now? None, or why not: the text key that tells them.

        The one place a turn is admitted, for every message and for inline queries: operators
        always may; then bans, the allowlist and the per-user rate (`count=False` only looks:
        an inline query asks before anything is sent). A per-user limit of the same kind
        (a daily allowance) belongs here too.
        """
        names = _names(user)
        if names & self._admins:
            return None
        if names & self._banned:
            return "banned"
        if self._allowed and not names & self._allowed:
            return "not_allowed"
        if self._count_rate and self._too_fast(_sender(user), count=count):
            return "slow_down"
        return None

    def refusal(self, msg: IncomingMessage) -> Refusal | None:
        """Why `msg` must not be stored, or None to accept it (and count it)."""
        if len(msg.text) > MAX_MESSAGE_CHARS and self.may_start(msg.user, count=False) is None:
            values = {"length": len(msg.text), "limit": MAX_MESSAGE_CHARS}
            return Refusal("too_long", "too_long", values, reason="too_long")
        why = self.may_start(msg.user)
        if why is None:
            return None
        status: RefusalStatus = "throttled" if why == "slow_down" else "not_allowed"
        return Refusal(status, self._tell_once(_sender(msg.user), why), reason=why)

    @property
    def per_minute(self) -> int:
        """Messages a user may send a minute (`NEMOBOT_USER_MESSAGES_PER_MINUTE`)."""
        return self._per_minute

    def _too_fast(self, sender: _Sender, *, count: bool) -> bool:
        now = self._clock()
        recent = self._recent.setdefault(sender, deque(maxlen=self._per_minute))
        if len(recent) == self._per_minute and now - recent[0] < _WINDOW:
            return True
        if count:
            recent.append(now)
        if len(self._recent) > 10_000:
            self._forget_quiet(now)
        return False

    def _tell_once(self, sender: _Sender, key: str) -> str | None:
        """A refusal's line, at most once a minute per user (more would be a flood too)."""
        now = self._clock()
        if now - self._told.get(sender, float("-inf")) < _WINDOW:
            return None
        self._told[sender] = now
        return key

    def _forget_quiet(self, now: float) -> None:
        for sender in [u for u, times in self._recent.items() if now - times[-1] > _FORGET_AFTER]:
            del self._recent[sender]
            self._told.pop(sender, None)


def _sender(user: User) -> _Sender:
    return (user.platform, user.id)


def _names(user: User) -> set[str]:
    return {user.id, f"{user.platform}:{user.id}"}


def normalize_who(raw: str) -> str | None:
    """An operator's way of naming a user ("123", "telegram:123", "Discord:9"), or None."""
    text = raw.strip()
    platform, sep, ident = text.rpartition(":")
    ident = ident.strip()
    if not ident or any(c.isspace() for c in ident) or len(text) > 80:
        return None
    return f"{platform.strip().lower()}:{ident}" if sep and platform.strip() else ident
