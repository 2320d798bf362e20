"""`Store`: what the engine needs from a durable backend (SQLite now, PostgreSQL later).

Chat refs and payloads are opaque JSON strings chosen by the caller. Times are epoch seconds
from the store's clock. A lease is expired when its expiry is missing or not in the future.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from .records import (
    AccessRule,
    Credentials,
    Enqueued,
    ImageRecord,
    InboxItem,
    RenderJob,
    SessionRecord,
    StoreStats,
    UserRecord,
)

__all__ = ["Store"]


@runtime_checkable
class Store(Protocol):
    """Users, credentials, sessions, the inbox, render jobs and usage, all durable."""

    shared: bool  # other processes may use the same database (work must be looked for)

    async def listen(self, on_work: Callable[[str], None]) -> None:
        """Call `on_work("line:<platform>:<user id>" | "side:<platform>:<item id>")` for each
        message stored (by any process); a no-op where only one process uses the store."""
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

    # users
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

    # credentials
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

    # sessions
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

    # inbox
    async def enqueue(
        self,
        platform: str,
        update_id: str,
        user_id: int,
        chat: str,
        kind: str,
        payload: str,
        *,
        lane: str = "line",
        group: str | None = None,
        limit: int | None = None,
        per_minute: int | None = None,
        owner: str | None = None,
        lease_seconds: float = 0.0,
    ) -> Enqueued:
        """Store a message once per (platform, update_id), in one transaction; return its place.

        `lane` "line" queues it behind the user's other messages, "side" beside them.
        `limit` refuses a line message while the user already has that many waiting;
        `per_minute` refuses any message once the user sent that many in the last minute.
        `owner` (side lane only) stores it already leased to that worker, which answers it at
        once: no other worker takes it up unless the lease runs out.
        """
        ...

    async def claim_next(self, user_id: int, owner: str, lease_seconds: float) -> InboxItem | None:
        """Lease the user's oldest queued item to `owner`, None while one of theirs runs."""
        ...

    async def claim_item(self, item_id: int, owner: str, lease_seconds: float) -> InboxItem | None:
        """Lease one queued side-lane item to `owner`; None if it is not queued."""
        ...

    async def absorb_group(self, item_id: int, user_id: int, group: str) -> list[InboxItem]:
        """Mark the user's other queued items of `group` done and return them, oldest first."""
        ...

    async def renew_lease(self, item_id: int, owner: str, lease_seconds: float) -> bool:
        """Extend `owner`'s lease on a running item; False if it is no longer theirs."""
        ...

    async def release_item(self, item_id: int, owner: str) -> bool:
        """Give up `owner`'s lease on a running item; if it never reached the agent, requeue it."""
        ...

    async def mark_reached_agent(self, item_id: int, *, owner: str | None = None) -> bool:
        """Record that the turn is about to reach the agent; False: do not call the agent."""
        ...

    async def finish(self, item_id: int, status: str, *, owner: str | None = None) -> bool:
        """End a running item (done, failed, interrupted, cancelled); False if not running."""
        ...

    async def cancel_queued(self, user_id: int) -> int:
        """Cancel the user's queued items; return how many."""
        ...

    async def running_item(self, user_id: int) -> InboxItem | None:
        """The user's running item, or None."""
        ...

    async def users_with_work(self, platforms: Collection[str]) -> list[int]:
        """Users of `platforms` with queued line items, or running ones whose lease expired."""
        ...

    async def side_items(self, platforms: Collection[str]) -> list[int]:
        """Queued side-lane items of `platforms`, oldest first."""
        ...

    async def recover(self, owner: str, lease_seconds: float) -> list[InboxItem]:
        """Requeue expired unsent items in order; interrupt and return those sent to the agent."""
        ...

    async def prune_inbox(self, older_than: float) -> int:
        """Delete items finished before `older_than`; newer ones keep their dedupe key."""
        ...

    async def forget_texts(self, finished_before: float) -> int:
        """Erase the text of items finished before `finished_before`; returns how many."""
        ...

    # renders
    async def create_render(
        self,
        render_id: str,
        user_id: int,
        chat: str,
        session_id: str,
        owner: str,
        lease_seconds: float,
        attempt: int = 1,
    ) -> RenderJob:
        """Persist a job as `created`, leased to `owner`; RenderExistsError if the id is taken."""
        ...

    async def update_render(
        self,
        render_id: str,
        *,
        status: str | None = None,
        progress: int | None = None,
        output_url: str | None = None,
        error: str | None = None,
        submitted_at: float | None = None,
        finished_at: float | None = None,
    ) -> bool:
        """Set the given fields; False if there is no such job."""
        ...

    async def get_render(self, render_id: str) -> RenderJob | None:
        """One job by id."""
        ...

    async def active_renders(self, user_id: int) -> list[RenderJob]:
        """The user's unfinished jobs, newest first."""
        ...

    async def claim_renders(self, owner: str, lease_seconds: float) -> list[RenderJob]:
        """Lease to `owner` the unfinished jobs with no or an expired lease."""
        ...

    async def renew_render_lease(self, render_id: str, owner: str, lease_seconds: float) -> bool:
        """Extend `owner`'s lease on a job; False if it is no longer theirs."""
        ...

    async def begin_delivery(self, render_id: str) -> bool:
        """Move completed → delivering; True for exactly one caller."""
        ...

    async def mark_delivered(self, render_id: str) -> bool:
        """Record the delivery (status delivered, delivered=True)."""
        ...

    async def release_render(self, render_id: str, owner: str) -> bool:
        """Give up `owner`'s lease on a job."""
        ...

    async def unconfirmed_render(self, user_id: int) -> RenderJob | None:
        """The user's latest render that may or may not have reached their chat."""
        ...

    async def render_seconds(self, limit: int = 10) -> list[float]:
        """Submit-to-finish seconds of the latest delivered renders, newest first."""
        ...

    # images
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

    # usage
    async def bump_usage(
        self, user_id: int, *, turns: int = 0, images: int = 0, exports: int = 0, uploads: int = 0
    ) -> None:
        """Add to the user's usage counters."""
        ...

    # operators
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
