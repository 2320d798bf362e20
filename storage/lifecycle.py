"""The two lifecycles of the bot, as data: an inbox item's and a render job's.

Each is a table of transitions: from which state to which, who may make it, and (for a
lease that ran out) what the worker that takes the row over must do. The stores enforce
these rows in their SQL (every transition is one guarded `UPDATE`), the policy modules
(`storage/inbox.py`, `storage/renders.py`) name the transition they make, and the tests walk
the same table.

Who may make a transition:
- `holder`: the worker holding the row's lease (its `owner`), while the row is in the state;
- `any`: any worker (accepting a message, claiming a queued one);
- `after_expiry`: any worker, once the holder's lease has run out (or was released);
- `cancel`: the user's `/cancel`, from any worker;
- `user`: the user's own button press (Send again, Resend).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "INBOX",
    "ITEM_ACTIVE",
    "ITEM_FINAL",
    "ITEM_STATES",
    "RENDER",
    "RENDER_ACTIVE",
    "RENDER_FINAL",
    "RENDER_STATES",
    "Lifecycle",
    "Transition",
    "Who",
]

Who = Literal["any", "holder", "after_expiry", "cancel", "user"]


@dataclass(frozen=True, slots=True)
class Transition:
    """One allowed move: `name` takes a row from `source` to `target`, made by `who`."""

    name: str
    source: str
    target: str
    who: Who
    note: str = ""


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """States, the final ones, and the allowed transitions between them."""

    states: frozenset[str]
    final: frozenset[str]
    transitions: tuple[Transition, ...]

    def allowed(self, source: str, target: str, who: Who) -> bool:
        """Whether `who` may move a row from `source` to `target`."""
        return any(
            t.source == source and t.target == target and t.who == who for t in self.transitions
        )

    def named(self, name: str) -> tuple[Transition, ...]:
        """Every row of transition `name` (one per source state)."""
        found = tuple(t for t in self.transitions if t.name == name)
        if not found:
            raise KeyError(name)
        return found

    def sources(self, name: str) -> tuple[str, ...]:
        """The states transition `name` starts from."""
        return tuple(t.source for t in self.named(name))

    def target(self, name: str, source: str) -> str:
        """Where transition `name` takes a row that is in `source`."""
        for row in self.named(name):
            if row.source == source:
                return row.target
        raise KeyError((name, source))


def _moves(name: str, who: Who, pairs: dict[str, str], note: str = "") -> list[Transition]:
    return [Transition(name, source, target, who, note) for source, target in pairs.items()]


# -- the inbox item ---------------------------------------------------------------------------
#
# queued ─claim─▶ claimed ─mark_sending─▶ sending ─finish─▶ done | failed
#    │               │  ╲                    │ ╲
#    │               │   release ▶ queued    │  takeover (lease ran out) ▶ reporting ─▶ reported
#    │               └ takeover: run it      └ cancel ▶ cancelled               (Send again)
#    └ cancel ▶ cancelled, absorb (an album's later part) ▶ done
#
# Per user, the line's next item is claimed only once every earlier one is final, so answers
# keep their order; a takeover of the head happens in that same claim, before anything later.

ITEM_ACTIVE = frozenset({"claimed", "sending", "reporting"})
ITEM_FINAL = frozenset({"done", "failed", "cancelled", "reported", "resent"})
ITEM_STATES = frozenset({"queued"}) | ITEM_ACTIVE | ITEM_FINAL

INBOX = Lifecycle(
    states=ITEM_STATES,
    final=ITEM_FINAL,
    transitions=(
        Transition("accept_leased", "new", "claimed", "any", "a side message its receiver answers"),
        Transition("accept", "new", "queued", "any"),
        Transition(
            "refuse",
            "new",
            "cancelled",
            "any",
            "throttled, or a repeated press: its update id kept",
        ),
        Transition("claim", "queued", "claimed", "any", "the line's head, or a side message"),
        *_moves(
            "takeover",
            "after_expiry",
            {"claimed": "claimed", "sending": "reporting", "reporting": "reporting"},
            "never marked: run it; may have reached the agent: tell the user, offer Send again",
        ),
        *_moves(
            "mark_sending",
            "holder",
            {"claimed": "sending", "sending": "sending"},
            "just before each request to the agent (a retry after a refusal marks again)",
        ),
        *_moves("finish", "holder", {"claimed": "done", "sending": "done"}),
        *_moves("fail", "holder", {"claimed": "failed", "sending": "failed"}),
        Transition("report", "reporting", "reported", "holder", "the user was told"),
        *_moves(
            "release",
            "holder",
            {"claimed": "queued", "sending": "sending", "reporting": "reporting"},
            "stopping: unsent work goes back; sent work waits for a takeover",
        ),
        *_moves(
            "cancel",
            "cancel",
            {"queued": "cancelled", "claimed": "cancelled", "sending": "cancelled"},
        ),
        Transition("absorb", "queued", "done", "holder", "an album part joins the head's turn"),
        Transition("resend", "reported", "resent", "user", "the user pressed Send again"),
    ),
)


# -- the render job -----------------------------------------------------------------------------
#
# created ─submitted─▶ pending ─▶ processing ─▶ completed ─begin_delivery─▶ delivering ─▶ delivered
#    │ (persisted before the submit call)                 (CAS, lease holder only)   │
#    └ takeover: ask the backend about the id, submit it only if it never arrived    └ takeover
#                                                                 ▶ unconfirmed ─Resend▶ delivering

RENDER_ACTIVE = frozenset({"created", "pending", "processing", "completed", "delivering"})
RENDER_FINAL = frozenset({"delivered", "failed", "cancelled", "unconfirmed"})
RENDER_STATES = RENDER_ACTIVE | RENDER_FINAL
_POLLED = ("created", "pending", "processing")

RENDER = Lifecycle(
    states=RENDER_STATES,
    final=RENDER_FINAL,
    transitions=(
        Transition("create", "new", "created", "any", "persisted before the submit call"),
        *[
            Transition("progress", source, target, "holder", "a status answer")
            for source in _POLLED
            for target in ("pending", "processing", "completed")
        ],
        *_moves("fail", "holder", {s: "failed" for s in (*_POLLED, "completed")}),
        *_moves("cancel", "holder", {s: "cancelled" for s in _POLLED}),
        Transition("begin_delivery", "completed", "delivering", "holder", "one sender only"),
        Transition("delivered", "delivering", "delivered", "holder"),
        Transition(
            "send_failed", "delivering", "unconfirmed", "holder", "it may have arrived: ask"
        ),
        *_moves(
            "takeover",
            "after_expiry",
            {s: s for s in (*_POLLED, "completed")},
            "keep following it (a `created` one is asked about before any resubmit)",
        ),
        Transition(
            "takeover", "delivering", "unconfirmed", "after_expiry", "offer Resend, never resend"
        ),
        Transition("resend", "unconfirmed", "delivering", "user", "the user pressed Resend"),
        *_moves(
            "release",
            "holder",
            {s: s for s in RENDER_ACTIVE},
            "stopping: the next worker takes it over",
        ),
    ),
)
