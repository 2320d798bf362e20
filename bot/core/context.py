"""Who a piece of work runs for, and how long the engine waits for things."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.accounts import Account
from bot.core.allowances import Spender
from bot.core.chat_rules import scope_of
from bot.core.messages import ChatRef
from bot.core.pacing import Pacer
from storage import ChatSettings

__all__ = ["ItemHooks", "Timing", "TurnContext"]


@dataclass(frozen=True, slots=True)
class Timing:
    """How long the engine waits for things (from settings; tests shorten them)."""

    still_working_seconds: float = 120.0
    render_poll_seconds: float = 30.0  # the longest wait between a render's status checks
    render_poll_floor: float = 3.0  # the shortest
    recheck_first_seconds: float = 2.0  # after a dropped stream, the first state read
    recheck_every_seconds: float = 3.0
    recheck_reads: int = 2  # reads before the user is told and their line moves on
    watch_after_drop: tuple[float, ...] = (30.0, 60.0, 120.0, 240.0)  # then, in the background
    lease_seconds: float = 60.0
    album_seconds: float = 1.5  # how long the rest of an album may take to arrive


Hook = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class ItemHooks:
    """The inbox item being served and the marks its lifecycle needs from the work."""

    item_id: int | None = None
    accepted_at: float | None = None  # when the message was stored (epoch seconds)
    before_agent: Hook | None = None  # right before a request to the agent leaves
    told: Hook | None = None  # a report is out: record it


@dataclass(slots=True)
class TurnContext:
    """Everything a handler needs to know about who it runs for and where to answer."""

    user_id: int
    chat: ChatRef
    pacer: Pacer
    account: Account
    session_id: str
    lang: str
    before_agent: Callable[[], Awaitable[object]] | None = None  # runs just before /run_sse
    reached_agent: bool = False  # the agent accepted the message (never resend it)
    admin: bool = False  # an operator: per-user limits do not apply
    accepted_at: float | None = None  # when the message was stored (epoch seconds)
    item_id: int | None = None  # the inbox item being served
    told: Callable[[], Awaitable[object]] | None = None  # records a report once it is out
    # Again/Variation: the prompt the user first asked for. The turn's images are recorded
    # under it, so the next press builds on it rather than on the wording of this one.
    image_prompt: str | None = None
    here: ChatSettings | None = None  # what the group's admins chose (None: private, unset)

    @property
    def quiet(self) -> bool:
        """The group asked for results only: no live progress."""
        return self.here is not None and self.here.quiet

    @property
    def spender(self) -> Spender:
        """Who spends this work, and which allowances apply (`bot.core.allowances`)."""
        here = self.here
        return Spender(
            self.user_id,
            metered=self.account.kind == "env" and not self.admin,
            scope=scope_of(self.chat),
            member_turns=None if self.admin or here is None else here.member_turns,
        )
