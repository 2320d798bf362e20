"""What the bot needs from a durable backend (SQLite, or PostgreSQL for several workers).

The contract is split by role, so each collaborator takes only the part it uses: the inbox,
render jobs, people (users, credentials, sessions, usage), images, operators, the ledger
(daily spending, Stars payments) and chat settings. `Store` is
all of them, the object the composition root opens. Chat refs and payloads are opaque JSON
strings chosen by the caller; times are epoch seconds from the store's clock; a lease is
expired when its expiry is missing or not in the future. The inbox's and the render jobs'
states and transitions are `storage.lifecycle`'s tables.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from types import TracebackType
from typing import Literal, Protocol, Self, runtime_checkable

from .inbox import AcceptRules, Claim, NewItem
from .records import (
    AccessRule,
    ChatSettings,
    Counts,
    Credentials,
    DaySpending,
    Enqueued,
    ImageRecord,
    InboxItem,
    Quota,
    RenderJob,
    SessionRecord,
    Spending,
    StarPayment,
    StoreStats,
    TopSpender,
    UserRecord,
)
from .renders import NewRender, StatusAnswer

__all__ = [
    "ChatSettingsStore",
    "ImageStore",
    "InboxStore",
    "LedgerStore",
    "OperatorStore",
    "PeopleStore",
    "RenderStore",
    "Store",
]


class PeopleStore(Protocol):
    """Users, their NemoVideo credentials and sessions, and their usage."""

    async def upsert_user(
        self, platform: str, platform_user_id: str, language: str = "en"
    ) -> UserRecord:
        """Return the user, creating it (in `language`) the first time."""
        ...

    async def get_user(self, user_id: int) -> UserRecord | None:
        """One user by id."""
        ...

    async def set_language(self, user_id: int, language: str) -> None:
        """Set the user's reply language."""
        ...

    async def client_id_for(self, user_id: int) -> str:
        """The user's stable client id (a uuid4 string), created the first time."""
        ...

    async def credentials(self, user_id: int) -> Credentials | None:
        """The user's client id and tokens, or None."""
        ...

    async def save_anonymous_token(
        self, user_id: int, token: str | None, anon_user_id: str | None, expires_at: float | None
    ) -> None:
        """Store (or with None, clear) the anonymous token; keeps the client id."""
        ...

    async def set_login_token(self, user_id: int, token: str | None) -> None:
        """Store (or with None, clear) the login token; keeps the client id."""
        ...

    async def get_session(self, user_id: int, account: str) -> SessionRecord | None:
        """The user's session if it belongs to `account`, else None."""
        ...

    async def save_session(
        self, user_id: int, account: str, session_id: str, task_id: str | None
    ) -> None:
        """Make this the user's session."""
        ...

    async def drop_session(self, user_id: int) -> None:
        """Forget the user's session."""
        ...

    async def bump_usage(
        self, user_id: int, *, turns: int = 0, images: int = 0, exports: int = 0, uploads: int = 0
    ) -> None:
        """Add to the user's usage counters."""
        ...


class InboxStore(Protocol):
    """Accepted messages, each following `storage.lifecycle.INBOX` (policy: `storage.inbox`)."""

    async def accept(self, new: NewItem, rules: AcceptRules = ...) -> Enqueued:
        """Store a message once per (platform, update id); its place in line, or why not."""
        ...

    async def claim_next(self, user_id: int, owner: str, lease_seconds: float) -> Claim | None:
        """The user's line head for `owner` (claimed or taken over), None while it is held."""
        ...

    async def claim_side(self, item_id: int, owner: str, lease_seconds: float) -> InboxItem | None:
        """A waiting side message for `owner`; None if it is not waiting."""
        ...

    async def mark_sending(self, item_id: int, owner: str) -> bool:
        """`claimed → sending`, just before the agent call; False: do not call the agent."""
        ...

    async def renew(self, item_id: int, owner: str, lease_seconds: float) -> bool:
        """Extend `owner`'s lease; False if the item is no longer theirs."""
        ...

    async def release(self, item_id: int, owner: str) -> bool:
        """Give the item back (stopping): unsent work is queued again, sent work waits."""
        ...

    async def finish(
        self,
        item_id: int,
        owner: str,
        move: Literal["finish", "fail", "report"] = "finish",
        *,
        scrub: bool = False,
    ) -> bool:
        """End `owner`'s item (answered, failed, or reported); False if not theirs."""
        ...

    async def cancel_user(self, user_id: int) -> tuple[int, InboxItem | None]:
        """/cancel: (queued messages dropped, the line's active item that was ended)."""
        ...

    async def last_of_group(self, user_id: int, group: str) -> float | None:
        """When the latest part of the user's album `group` was stored."""
        ...

    async def absorb_group(self, item_id: int, user_id: int, group: str) -> list[InboxItem]:
        """The user's other queued parts of album `group`, now part of item `item_id`."""
        ...

    async def resend_item(self, item_id: int, user_id: int) -> InboxItem | None:
        """A reported item its user asked to send again, once (`reported → resent`)."""
        ...

    async def get_item(self, item_id: int) -> InboxItem | None:
        """One item by id."""
        ...

    async def users_with_work(self, platforms: Collection[str]) -> list[int]:
        """Users of `platforms` whose line has work for a worker, longest waiting first."""
        ...

    async def side_items(self, platforms: Collection[str]) -> list[int]:
        """Side messages of `platforms` waiting for a worker, oldest first."""
        ...

    async def prune_inbox(self, older_than: float) -> int:
        """Delete items finished before `older_than`; newer ones keep their dedupe key."""
        ...

    async def forget_texts(self, finished_before: float) -> int:
        """Erase the text of items finished before `finished_before`; how many."""
        ...


class RenderStore(Protocol):
    """Render jobs, each following `storage.lifecycle.RENDER` (policy: `storage.renders`)."""

    async def create_render(self, new: NewRender, owner: str, lease_seconds: float) -> RenderJob:
        """Persist a job as `created`, held by `owner`; RenderExistsError if the id is taken."""
        ...

    async def record_status(
        self, render_id: str, owner: str, answer: StatusAnswer
    ) -> RenderJob | None:
        """The holder records a backend answer; None if the job is not its to follow."""
        ...

    async def end_render(
        self,
        render_id: str,
        owner: str,
        move: str,
        error: str | None = None,
        *,
        detach: bool = False,
    ) -> bool:
        """The holder ends the job: `fail`, `cancel`, `delivered` or `send_failed` (`detach`:
        its export message may have another render)."""
        ...

    async def begin_delivery(self, render_id: str, owner: str) -> bool:
        """`completed → delivering` for the live lease holder; True for one caller only."""
        ...

    async def take_over_renders(
        self, owner: str, lease_seconds: float, platforms: Collection[str]
    ) -> list[RenderJob]:
        """Every active job of `platforms` whose lease ran out, now held by `owner`."""
        ...

    async def resend_render(
        self, user_id: int, owner: str, lease_seconds: float
    ) -> RenderJob | None:
        """The user's latest unconfirmed video, to be sent again by `owner`."""
        ...

    async def renew_render(self, render_id: str, owner: str, lease_seconds: float) -> bool:
        """Extend `owner`'s lease on an active job; False if it is no longer theirs."""
        ...

    async def release_render(self, render_id: str, owner: str) -> bool:
        """Give up `owner`'s lease so another worker may take the job over."""
        ...

    async def render_for_item(self, item_id: int) -> RenderJob | None:
        """The render made for inbox item `item_id` (an export message), if any."""
        ...

    async def get_render(self, render_id: str) -> RenderJob | None:
        """One job by id."""
        ...

    async def active_renders(self, user_id: int) -> list[RenderJob]:
        """The user's unfinished jobs, newest first."""
        ...

    async def render_seconds(self, limit: int = 10) -> list[float]:
        """Submit-to-finish seconds of the latest delivered renders, newest first."""
        ...


class ImageStore(Protocol):
    """Generated images posted to chats (what Again / Variation refer to)."""

    async def remember_image(
        self, user_id: int, session_id: str, media_key: str, url: str, prompt: str
    ) -> int | None:
        """Record an image about to be posted; its id, or None if known for this session."""
        ...

    async def known_images(self, session_id: str, media_keys: Sequence[str]) -> set[str]:
        """Which of `media_keys` the session has recorded."""
        ...

    async def get_image(self, image_id: int) -> ImageRecord | None:
        """One posted image by id."""
        ...

    async def mark_image_posted(self, image_id: int) -> bool:
        """Record that the image reached the chat."""
        ...

    async def latest_images(self, user_id: int, limit: int) -> list[ImageRecord]:
        """The images of the user's current session that reached a chat, newest first."""
        ...


class OperatorStore(Protocol):
    """Operators' rules and figures, and the database's own upkeep."""

    async def access_rules(self) -> list[AccessRule]:
        """Every ban and allow rule set by operators."""
        ...

    async def set_access(self, who: str, rule: str, on: bool, *, set_by: str = "") -> bool:
        """Add (`on`) or remove a "ban" or "allow" rule for `who`; True if that changed it."""
        ...

    async def stats(self, since: float) -> StoreStats:
        """Counts for operators (turns counted from `since`)."""
        ...

    async def ping(self) -> None:
        """Raise unless the database answers."""
        ...

    async def prune_renders(self, older_than: float) -> int:
        """Delete render jobs finished before `older_than` (and old images of past projects)."""
        ...


class LedgerStore(Protocol):
    """What users spend per UTC day (`day` is "YYYY-MM-DD"), and the packs they bought."""

    async def spend(
        self, day: str, user_id: int, scope: str, spent: Counts, allowed: Quota = ...
    ) -> None:
        """Count `spent` for the user's day (and their day in chat `scope`, if not ''); what
        goes past `allowed` is drawn from their extras."""
        ...

    async def spending(self, day: str, user_id: int, scope: str = "") -> Spending:
        """The user's spending on `day` (also in `scope`), everyone's, and their extras."""
        ...

    async def credit_payment(self, payment: StarPayment) -> bool:
        """Record a payment and add its pack; False if its charge id was credited before."""
        ...

    async def refund_payment(self, charge_id: str) -> StarPayment | None:
        """Mark a payment refunded, taking back what is left of its pack; None if unknown or
        refunded before."""
        ...

    async def payment(self, charge_id: str) -> StarPayment | None:
        """One payment by its charge id."""
        ...

    async def spending_by_day(self, since: str) -> list[DaySpending]:
        """Everyone's spending per day from `since` on, newest first."""
        ...

    async def top_spenders(self, since: str, limit: int = 5) -> list[TopSpender]:
        """Who spent most from `since` on, images first."""
        ...


class ChatSettingsStore(Protocol):
    """What group and server admins chose for the bot in their chat."""

    async def chat_settings(self, platform: str, space: str) -> ChatSettings | None:
        """A group's or server's settings, or None if none were ever set."""
        ...

    async def save_chat_settings(self, settings: ChatSettings) -> None:
        """Store a group's or server's settings (replacing the old ones)."""
        ...


@runtime_checkable
class Store(
    PeopleStore,
    InboxStore,
    RenderStore,
    ImageStore,
    OperatorStore,
    LedgerStore,
    ChatSettingsStore,
    Protocol,
):
    """Every role together: the object the composition root opens and closes."""

    shared: bool  # other processes may use the same database (work must be looked for)

    async def listen(self, on_work: Callable[[str], None]) -> None:
        """Call `on_work("line:<platform>:<user id>" | "side:<platform>:<item id>")` for each
        message stored (by any process); a no-op where only one process uses the store."""
        ...

    async def twin(self) -> Self:
        """Another handle on the same database, with connections of its own, opened on (and
        used only from) the event loop that awaits this: the acceptor's (`bot.core.acceptance`)."""
        ...

    async def close(self) -> None:
        """Release the backend's connections."""
        ...

    async def __aenter__(self) -> Self:
        """Return the open store."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the store."""
        ...
