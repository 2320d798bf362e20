"""Frozen records returned by a `Store`; plain values, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass

from .lifecycle import ITEM_FINAL, ITEM_STATES, RENDER_FINAL, RENDER_STATES

__all__ = [
    "ACCESS_RULES",
    "FINISHED_INBOX_STATUSES",
    "INBOX_STATUSES",
    "KINDS",
    "RENDER_STATUSES",
    "TERMINAL_RENDER_STATUSES",
    "AccessRule",
    "ChatSettings",
    "Counts",
    "Credentials",
    "DaySpending",
    "Enqueued",
    "ImageRecord",
    "InboxItem",
    "Quota",
    "RenderJob",
    "SessionRecord",
    "Spending",
    "StarPayment",
    "StoreStats",
    "TopSpender",
    "Usage",
    "UserRecord",
]

# The states and their transitions are in `storage/lifecycle.py`.
INBOX_STATUSES = ITEM_STATES
FINISHED_INBOX_STATUSES = ITEM_FINAL
RENDER_STATUSES = RENDER_STATES
TERMINAL_RENDER_STATUSES = RENDER_FINAL
ACCESS_RULES = frozenset({"ban", "allow"})
KINDS = ("turns", "images", "exports")  # what allowances count (and Stars packs add)


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A chat user known to the bot."""

    id: int
    platform: str
    platform_user_id: str
    language: str
    created_at: float


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user's NemoVideo client id and tokens."""

    user_id: int
    client_id: str
    anon_token: str | None
    anon_user_id: str | None
    anon_expires_at: float | None
    login_token: str | None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A user's current NemoVideo session (session_id is a 19-digit string, kept as text)."""

    user_id: int
    account: str
    session_id: str
    task_id: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One accepted chat message; `chat`, `intent` and `payload` are opaque JSON strings.

    `status` follows `storage.lifecycle.INBOX`; `reached_agent` is set with `sending` and
    kept (the turn may have been charged).
    """

    id: int
    platform: str
    update_id: str
    user_id: int
    chat: str
    kind: str
    payload: str
    status: str
    reached_agent: bool
    created_at: float
    owner: str | None
    lease_expires: float | None
    lane: str = "line"  # "line": the user's queue; "side": answered beside it
    group_key: str | None = None
    intent: str | None = None  # decided when accepted (None: stored by an older version)


@dataclass(frozen=True, slots=True)
class Enqueued:
    """Result of `enqueue`: position 1 runs next, 0 means no longer queued.

    `refused`: not stored, the user already had `limit` messages waiting.
    `repeat`: a button press the same as one still pending (`item_id` is that one's).
    `throttled`: not run, the user already sent `per_minute` messages in the last minute
    (counted in the database, so across every worker); only its update id is kept, so a
    redelivery stays a duplicate. `first_refusal`: the first such refusal in that minute
    (the one to tell the user about).
    """

    item_id: int
    position: int
    duplicate: bool
    refused: bool = False
    repeat: bool = False
    throttled: bool = False
    first_refusal: bool = False
    user: UserRecord | None = None  # the sender's row, when it was made with the message


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """A generated image posted to a chat (the ref of its Again / Variation buttons)."""

    id: int
    user_id: int
    session_id: str
    media_key: str
    url: str
    prompt: str
    posted: bool


@dataclass(frozen=True, slots=True)
class RenderJob:
    """One video export job, polled by the holder of its lease."""

    render_id: str
    user_id: int
    chat: str
    session_id: str
    status: str
    progress: int
    output_url: str | None
    error: str | None
    attempt: int
    submitted_at: float | None
    finished_at: float | None
    delivered: bool
    created_at: float
    owner: str | None
    lease_expires: float | None


@dataclass(frozen=True, slots=True)
class Usage:
    """Per-user usage counters."""

    user_id: int
    turns: int
    images: int
    exports: int
    uploads: int


@dataclass(frozen=True, slots=True)
class AccessRule:
    """An operator's decision about one user: "ban" or "allow" (`who`: "platform:id" or "id")."""

    who: str
    rule: str
    set_by: str
    set_at: float


@dataclass(frozen=True, slots=True)
class StoreStats:
    """What the store can tell an operator (`/stats`, `nemobot stats`, `/metrics`)."""

    users: int
    turns_since: int  # messages that reached the agent since the asked-for time
    renders: dict[str, int]  # by status
    queued: int  # inbox messages waiting
    running: int  # inbox messages being answered
    inbox_rows: int  # every inbox row, answered ones included (until pruned)
    banned: int
    allowed: int


@dataclass(frozen=True, slots=True)
class Counts:
    """Turns, images and exports: spent in a day, or bought and not used yet."""

    turns: int = 0
    images: int = 0
    exports: int = 0

    def of(self, kind: str) -> int:
        """The count of one of `KINDS`."""
        return int(getattr(self, kind))

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(self.of(k) + other.of(k) for k in KINDS))

    @classmethod
    def one(cls, kind: str, amount: int) -> Counts:
        """`amount` of one kind and none of the others."""
        return cls(**{kind: amount})


@dataclass(frozen=True, slots=True)
class Quota:
    """A day's allowance of each kind; None: unlimited."""

    turns: int | None = None
    images: int | None = None
    exports: int | None = None

    def of(self, kind: str) -> int | None:
        """The allowance of one of `KINDS`."""
        value: int | None = getattr(self, kind)
        return value

    @property
    def unlimited(self) -> bool:
        """No kind is limited."""
        return all(self.of(k) is None for k in KINDS)


@dataclass(frozen=True, slots=True)
class Spending:
    """What one user has drawn today: everywhere, in one chat, and everyone together; and
    what they bought and have not used yet."""

    user: Counts
    chat: Counts
    account: Counts
    extras: Counts


@dataclass(frozen=True, slots=True)
class DaySpending:
    """Everyone's spending on one UTC day, and how many users spent."""

    day: str
    spent: Counts
    users: int


@dataclass(frozen=True, slots=True)
class TopSpender:
    """One user's spending over the days asked for."""

    user_id: int
    spent: Counts


@dataclass(frozen=True, slots=True)
class StarPayment:
    """A Telegram Stars payment for a pack: credited once, keyed by its charge id."""

    charge_id: str
    user_id: int
    pack: str  # as the invoice named it, e.g. "turns:10"
    stars: int
    bought: Counts
    paid_at: float
    refunded_at: float | None = None


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """What a group's (or Discord server's) admins chose for the bot there.

    `space` is the group's chat id, or the Discord server's id; `channels` (Discord) are the
    channels the bot answers in, every one when empty; `member_turns`: turns each member may
    take there a day (within the operator's allowance), None for no limit of the chat's own.
    """

    platform: str
    space: str
    access: str = "everyone"  # or "admins"
    language: str | None = None  # None: each member's own
    quiet: bool = False  # no live progress, only results
    member_turns: int | None = None
    channels: tuple[str, ...] = ()
    set_by: str = ""
    set_at: float = 0.0
