"""The render jobs' policy, written once for both databases (see `storage/lifecycle.py`).

A job is persisted before its submit call, followed by the one worker holding its lease, and
delivered through a compare-and-set (`completed → delivering`, by the holder of a live lease),
so no second follower can ever send the video. A worker taking over a job whose lease ran
out keeps following it; one that was being sent becomes `unconfirmed` and is offered back
to the user (Resend), never resent unasked.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ._rows import job_of
from .errors import RenderExistsError
from .inbox import lease_until
from .lifecycle import RENDER, RENDER_ACTIVE
from .queries import Policy, count, row, rows
from .records import RenderJob

__all__ = [
    "NewRender",
    "StatusAnswer",
    "begin_delivery",
    "create",
    "record_status",
    "resend",
    "take_over",
]


@dataclass(frozen=True, slots=True)
class NewRender:
    """A job about to be submitted."""

    render_id: str
    user_id: int
    chat: str
    session_id: str
    item_id: int | None = None  # the export message it is made for: one render per message


@dataclass(frozen=True, slots=True)
class StatusAnswer:
    """What the backend said about a job (a submit's or a poll's answer)."""

    status: str  # pending | processing | completed
    progress: int
    output_url: str | None = None
    submitted_at: float | None = None


def create(new: NewRender, owner: str, lease_seconds: float, now: float) -> Policy[RenderJob]:
    """Persist `new` as `created`, held by `owner`; RenderExistsError if the id is taken, or
    a render was already made for the same message (`existing` says which)."""
    found = yield row(
        "create_render",
        *(new.render_id, new.user_id, new.chat, new.session_id),
        *(now, owner, lease_until(now, lease_seconds), new.item_id),
    )
    if found is not None:
        return job_of(found)
    if new.item_id is not None:
        earlier = yield row("render_for_item", new.item_id)
        if earlier is not None:
            raise RenderExistsError(f"message {new.item_id} has a render", existing=job_of(earlier))
    raise RenderExistsError(f"render {new.render_id!r} already exists")


def record_status(
    render_id: str, owner: str, answer: StatusAnswer, now: float
) -> Policy[RenderJob | None]:
    """The holder records a status answer; None if the job is no longer its to follow."""
    if not any(t.target == answer.status for t in RENDER.named("progress")):
        raise ValueError(f"not a status a job can move to: {answer.status!r}")
    finished = now if answer.status == "completed" else None
    progress = 100 if answer.status == "completed" else answer.progress
    found = yield row(
        "record_status",
        *(answer.status, progress, answer.output_url, answer.submitted_at, finished),
        *(render_id, owner, list(RENDER.sources("progress"))),
    )
    return None if found is None else job_of(found)


def end(
    render_id: str, owner: str, move: str, error: str | None, now: float, *, detach: bool = False
) -> Policy[bool]:
    """The holder ends the job by `move` (fail, cancel, delivered, send_failed); `detach`
    frees its message for another render (the id was another bot's, nothing was made)."""
    sources = list(RENDER.sources(move))
    target = RENDER.target(move, sources[0])
    changed = yield count("end_render", target, error, now, render_id, owner, sources)
    if changed == 1 and detach:
        yield count("detach_item", render_id, owner)
    return bool(changed == 1)


def begin_delivery(render_id: str, owner: str, now: float) -> Policy[bool]:
    """`completed → delivering`, for the holder of a live lease only: one sender, ever."""
    changed = yield count("begin_delivery", render_id, owner, now)
    return bool(changed == 1)


def take_over(
    owner: str, lease_seconds: float, platforms: Collection[str], now: float
) -> Policy[list[RenderJob]]:
    """Every active job of `platforms` whose lease ran out, now held by `owner` (oldest
    first). A job that was being sent comes back `unconfirmed`: its new holder tells the user.
    """
    expires = lease_until(now, lease_seconds)
    active = list(RENDER_ACTIVE)
    found = yield rows("take_over_renders", owner, expires, now, active, list(platforms))
    return sorted((job_of(r) for r in found), key=lambda job: (job.created_at, job.render_id))


def resend(user_id: int, owner: str, lease_seconds: float, now: float) -> Policy[RenderJob | None]:
    """The user's latest unconfirmed video, `unconfirmed → delivering` for `owner`."""
    found = yield row("resend_render", user_id, owner, lease_until(now, lease_seconds))
    return None if found is None else job_of(found)


def one_job(name: str, *args: object) -> Policy[RenderJob | None]:
    """The job a query finds, or None."""
    found = yield row(name, *args)
    return None if found is None else job_of(found)


def jobs(name: str, *args: object) -> Policy[list[RenderJob]]:
    """The jobs a query finds, in its order."""
    found = yield rows(name, *args)
    return [job_of(r) for r in found]
