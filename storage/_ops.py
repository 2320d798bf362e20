"""The inbox and render operations of both stores: each runs one policy in one transaction.

A store class mixes these in and provides `_transact` (a write transaction), `_look` (a read),
`_now` and its dialect's SQL (`_INBOX_SQL`, `_RENDER_SQL`); everything else is written once.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from . import inbox as policy
from . import renders as render_policy
from .inbox import AcceptRules, Claim, Newcomer, NewItem, lease_until, one_change
from .queries import Dialect, Policy, rows, value
from .records import Enqueued, InboxItem, RenderJob, UserRecord
from .renders import NewRender, StatusAnswer

__all__ = ["InboxOps", "RenderOps"]

T = TypeVar("T")
_NO_LIMITS = AcceptRules()


class _Runner:
    """What a store provides to run policies (declared for the type checker only)."""

    _INBOX_SQL: Dialect
    _RENDER_SQL: Dialect

    if TYPE_CHECKING:

        def _now(self) -> float: ...

        async def _transact(self, dialect: Dialect, work: Policy[T]) -> T: ...

        async def _look(self, dialect: Dialect, work: Policy[T]) -> T: ...


def _all(name: str, *args: object) -> Policy[list[Any]]:
    found = yield rows(name, *args)
    return [r[0] for r in found]


def _scalar(name: str, *args: object) -> Policy[Any]:
    found = yield value(name, *args)
    return found


class InboxOps(_Runner):
    """The inbox (see `storage.inbox` for the policy and `storage.lifecycle` for the states)."""

    async def upsert_user(
        self, platform: str, platform_user_id: str, language: str = "en"
    ) -> UserRecord:
        """Return the user, creating it (in `language`) the first time."""
        sender = Newcomer(platform, platform_user_id, language)
        return await self._transact(self._INBOX_SQL, policy.add_user(sender, self._now()))

    async def accept(self, new: NewItem, rules: AcceptRules = _NO_LIMITS) -> Enqueued:
        """Store a message once per (platform, update id); its place in line, or why not."""
        return await self._transact(self._INBOX_SQL, policy.accept(new, rules, self._now()))

    async def claim_next(self, user_id: int, owner: str, lease_seconds: float) -> Claim | None:
        """The user's line head for `owner` (claimed or taken over), None while it is held."""
        work = policy.claim_next(user_id, owner, lease_seconds, self._now())
        return await self._transact(self._INBOX_SQL, work)

    async def claim_side(self, item_id: int, owner: str, lease_seconds: float) -> InboxItem | None:
        """A waiting side message for `owner`; None if it is not waiting."""
        work = policy.claim_side(item_id, owner, lease_seconds, self._now())
        return await self._transact(self._INBOX_SQL, work)

    async def mark_sending(self, item_id: int, owner: str) -> bool:
        """`claimed → sending`, just before the agent call; False: do not call the agent."""
        return await self._transact(self._INBOX_SQL, one_change("mark_sending", item_id, owner))

    async def renew(self, item_id: int, owner: str, lease_seconds: float) -> bool:
        """Extend `owner`'s lease; False if the item is no longer theirs."""
        expires = lease_until(self._now(), lease_seconds)
        work = one_change("renew", expires, item_id, owner)
        return await self._transact(self._INBOX_SQL, work)

    async def release(self, item_id: int, owner: str) -> bool:
        """Give the item back (stopping): unsent work is queued again, sent work waits."""
        return await self._transact(self._INBOX_SQL, one_change("release", item_id, owner))

    async def finish(
        self,
        item_id: int,
        owner: str,
        move: Literal["finish", "fail", "report"] = "finish",
        *,
        scrub: bool = False,
    ) -> bool:
        """End `owner`'s item (answered, failed, or reported); False if not theirs."""
        work = policy.finish(item_id, owner, move, scrub, self._now())
        return await self._transact(self._INBOX_SQL, work)

    async def cancel_user(self, user_id: int) -> tuple[int, InboxItem | None]:
        """/cancel: (queued messages dropped, the line's active item that was ended)."""
        return await self._transact(self._INBOX_SQL, policy.cancel_user(user_id, self._now()))

    async def last_of_group(self, user_id: int, group: str) -> float | None:
        """When the latest part of the user's album `group` was stored."""
        found = await self._look(self._INBOX_SQL, _scalar("last_of_group", user_id, group))
        return None if found is None else float(found)

    async def absorb_group(self, item_id: int, user_id: int, group: str) -> list[InboxItem]:
        """The user's other queued parts of album `group`, now part of item `item_id`."""
        work = policy.absorb_group(item_id, user_id, group, self._now())
        return await self._transact(self._INBOX_SQL, work)

    async def resend_item(self, item_id: int, user_id: int) -> InboxItem | None:
        """A reported item its user asked to send again, once (`reported → resent`)."""
        work = policy.resend(item_id, user_id, self._now())
        return await self._transact(self._INBOX_SQL, work)

    async def get_item(self, item_id: int) -> InboxItem | None:
        """One item by id."""
        return await self._look(self._INBOX_SQL, policy.get_item(item_id))

    async def users_with_work(self, platforms: Collection[str]) -> list[int]:
        """Users of `platforms` whose line has work for a worker, longest waiting first."""
        return await self._look(self._INBOX_SQL, policy.users_with_work(platforms, self._now()))

    async def side_items(self, platforms: Collection[str]) -> list[int]:
        """Side messages of `platforms` waiting for a worker, oldest first."""
        return await self._look(self._INBOX_SQL, policy.side_items(platforms, self._now()))

    async def queued_count(self, user_id: int) -> int:
        """How many of the user's messages wait in line."""
        return int(await self._look(self._INBOX_SQL, _scalar("waiting_count", user_id)) or 0)

    async def prune_inbox(self, older_than: float) -> int:
        """Delete items finished before `older_than`; newer ones keep their dedupe key."""
        work = policy.changed("prune_inbox", older_than)
        return await self._transact(self._INBOX_SQL, work)

    async def forget_texts(self, finished_before: float) -> int:
        """Erase the text of items finished before `finished_before`; how many."""
        work = policy.changed("forget_texts", finished_before)
        return await self._transact(self._INBOX_SQL, work)


class RenderOps(_Runner):
    """Render jobs (see `storage.renders` for the policy and `storage.lifecycle`)."""

    async def create_render(self, new: NewRender, owner: str, lease_seconds: float) -> RenderJob:
        """Persist a job as `created`, held by `owner`; RenderExistsError if the id is taken."""
        work = render_policy.create(new, owner, lease_seconds, self._now())
        return await self._transact(self._RENDER_SQL, work)

    async def record_status(
        self, render_id: str, owner: str, answer: StatusAnswer
    ) -> RenderJob | None:
        """The holder records a backend answer; None if the job is not its to follow."""
        work = render_policy.record_status(render_id, owner, answer, self._now())
        return await self._transact(self._RENDER_SQL, work)

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
        work = render_policy.end(render_id, owner, move, error, self._now(), detach=detach)
        return await self._transact(self._RENDER_SQL, work)

    async def begin_delivery(self, render_id: str, owner: str) -> bool:
        """`completed → delivering` for the live lease holder; True for one caller only."""
        work = render_policy.begin_delivery(render_id, owner, self._now())
        return await self._transact(self._RENDER_SQL, work)

    async def take_over_renders(
        self, owner: str, lease_seconds: float, platforms: Collection[str]
    ) -> list[RenderJob]:
        """Every active job of `platforms` whose lease ran out, now held by `owner`."""
        work = render_policy.take_over(owner, lease_seconds, platforms, self._now())
        return await self._transact(self._RENDER_SQL, work)

    async def resend_render(
        self, user_id: int, owner: str, lease_seconds: float
    ) -> RenderJob | None:
        """The user's latest unconfirmed video, to be sent again by `owner`."""
        work = render_policy.resend(user_id, owner, lease_seconds, self._now())
        return await self._transact(self._RENDER_SQL, work)

    async def renew_render(self, render_id: str, owner: str, lease_seconds: float) -> bool:
        """Extend `owner`'s lease on an active job; False if it is no longer theirs."""
        expires = lease_until(self._now(), lease_seconds)
        work = one_change("renew_render", expires, render_id, owner)
        return await self._transact(self._RENDER_SQL, work)

    async def release_render(self, render_id: str, owner: str) -> bool:
        """Give up `owner`'s lease so another worker may take the job over."""
        work = one_change("release_render", render_id, owner)
        return await self._transact(self._RENDER_SQL, work)

    async def render_for_item(self, item_id: int) -> RenderJob | None:
        """The render made for inbox item `item_id` (an export message), if any."""
        return await self._look(self._RENDER_SQL, render_policy.one_job("render_for_item", item_id))

    async def get_render(self, render_id: str) -> RenderJob | None:
        """One job by id."""
        return await self._look(self._RENDER_SQL, render_policy.one_job("get_render", render_id))

    async def active_renders(self, user_id: int) -> list[RenderJob]:
        """The user's unfinished jobs, newest first."""
        return await self._look(self._RENDER_SQL, render_policy.jobs("active_renders", user_id))

    async def render_seconds(self, limit: int = 10) -> list[float]:
        """Submit-to-finish seconds of the latest delivered renders, newest first."""
        found = await self._look(self._RENDER_SQL, _all("render_seconds", limit))
        return [float(x) for x in found]
