"""`kill -9` at each step a worker passes through, with two workers on one database.

For each step of a turn (claimed, session ready, reached the agent, stream closed, reply sent)
and of an export (render submitted, polling, video sent, delivered marked), the worker doing
the work is held right there (the sandbox or the Bot API emulator keeps its call waiting), is
killed, and is restarted after the user's next message has arrived; every update is POSTed
twice, to different workers. Whichever worker takes the work over: the two messages are
answered in order, no prompt reaches the agent twice, a turn that never reached the agent is
simply run and one that may have is reported once with Send again, a render is submitted once
and its video sent once (or offered with Resend, never resent unasked).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engine.harness import eventually
from tests.faults.fleet import (
    INTERRUPTED,
    Balancer,
    Ports,
    World,
    fast_sandbox_options,
    fleet,
)
from tests.postgres import PostgresServer

ALICE = 7101
FIRST = "generate an image of a quiet harbour"
AFTER = 'add a title "After"'
ANSWERED_AFTER = 'Added the title "After"'
UNCONFIRMED = "may already be above"
ACTIVE_RENDER = "status IN ('created', 'pending', 'processing', 'completed', 'delivering')"


@dataclass(frozen=True)
class Step:
    """Where a worker is held and killed, and what must become of the held work."""

    name: str
    hold: Callable[[World], None]  # arm the hold before the work starts
    held: Callable[[World], bool]  # the worker waits at the step
    where: str  # the rows whose lease names the worker to kill
    outcome: str  # "run": answered normally; "report": reported; "video", "unconfirmed"


def _requested(world: World, prefix: str, times: int = 1) -> bool:
    paths = [path for _, path, _ in world.sandbox.sandbox.requests]
    return sum(path.startswith(prefix) for path in paths) >= times


def _delay(prefix: str) -> Callable[[World], None]:
    def hold(world: World) -> None:
        faults = world.sandbox.sandbox.faults
        faults.delay_path, faults.delay_path_seconds = prefix, 120.0

    return hold


def _gate(method: str) -> Callable[[World], None]:
    return lambda world: world.emu.hold_call(method) and None


def _gated(method: str) -> Callable[[World], bool]:
    return lambda world: method in world.emu.gated


def _release(world: World) -> None:
    world.sandbox.sandbox.faults.delay_path = None
    for event in (*world.emu.gates.values(), *world.emu.holds.values()):
        event.set()
    world.emu.gates.clear()
    world.emu.holds.clear()


TURN = "lane = 'line' AND status IN ('claimed', 'sending')"
TURN_STEPS = [
    Step(
        "claimed",
        _delay("/api/auth/anonymous-token"),
        lambda w: _requested(w, "/api/auth/anon"),
        TURN,
        "run",
    ),
    Step("session_ready", _gate("sendChatAction"), _gated("sendChatAction"), TURN, "run"),
    Step("reached_agent", _delay("/run_sse"), lambda w: _requested(w, "/run_sse"), TURN, "report"),
    Step("stream_closed", _gate("sendMessage"), _gated("sendMessage"), TURN, "report"),
    Step("reply_sent", _gate("sendPhoto"), _gated("sendPhoto"), TURN, "report"),
]
POLL = "/api/render/proxy/lambda/"
EXPORT_STEPS = [
    Step("render_submitted", _delay(POLL), lambda w: _requested(w, POLL), ACTIVE_RENDER, "video"),
    Step("polling", lambda w: None, lambda w: _requested(w, POLL, 3), ACTIVE_RENDER, "video"),
    Step(
        "video_sent",
        lambda w: w.emu.hold_answer("sendVideo") and None,
        lambda w: bool(w.shown(ALICE, "video")),
        "status = 'delivering'",
        "unconfirmed",
    ),
    Step(
        "delivered_marked",
        _gate("deleteMessage"),
        _gated("deleteMessage"),
        "status = 'delivered'",
        "video",
    ),
]


async def _kill_held(world: World, step: Step) -> None:
    """Wait at the step, kill the worker there, let the user write again, restart it."""
    await eventually(lambda: step.held(world), 60)
    table = "inbox" if step in TURN_STEPS else "renders"
    holder = await world.holder(table, step.where)
    assert holder is not None, step.name
    dead = await world.kill(holder)
    _release(world)
    world.emu.send_message(ALICE, ALICE, AFTER)  # waits behind the held work
    await world.restart(dead)


def _order(world: World, first: Callable[[str, str], bool]) -> tuple[int, int]:
    """Where the held work's outcome and the next message's answer are in the chat."""
    shown = [(m.kind, m.text or m.caption or "") for m in world.shown(ALICE)]
    outcome = next(i for i, (kind, text) in enumerate(shown) if first(kind, text))
    after = next(i for i, (_, text) in enumerate(shown) if ANSWERED_AFTER in text)
    return outcome, after


def _echoes_dropped(world: World) -> None:
    """Each update was POSTed twice: the second copy, where a live worker got it, was a
    duplicate answered 200 (0: the worker it went to was dead)."""
    echoes = world.balancer.echoes
    assert echoes[200] > 0 and set(echoes) <= {0, 200}, echoes


def _no_prompt_twice(world: World) -> None:
    prompts = Counter(world.sandbox.sandbox.agent_messages)
    assert prompts and max(prompts.values()) == 1, prompts


@pytest.mark.timeout(120)
@pytest.mark.parametrize("step", TURN_STEPS, ids=[s.name for s in TURN_STEPS])
async def test_a_turn_killed_at_each_step(
    step: Step, tmp_path: Path, postgres_server: PostgresServer, unused_tcp_port_factory: Ports
) -> None:
    ports = [unused_tcp_port_factory() for _ in range(2)]
    options = fast_sandbox_options()
    async with fleet(tmp_path, postgres_server, ports, options, Balancer(echo_every=1)) as world:
        world.emu.private_chat(ALICE)
        step.hold(world)
        world.emu.send_message(ALICE, ALICE, FIRST)
        await _kill_held(world, step)
        await world.emu.wait_for_message(ALICE, lambda m: ANSWERED_AFTER in (m.text or ""), 60)
        if step.outcome == "run":
            await world.emu.wait_for_message(ALICE, lambda m: m.kind == "photo", 30)
        await world.stop_all()

        _no_prompt_twice(world)
        assert world.count(ALICE, ANSWERED_AFTER) == 1
        assert len(world.shown(ALICE, "photo")) <= 1
        reported = step.outcome == "report"
        assert world.count(ALICE, INTERRUPTED) == (1 if reported else 0)
        if reported:
            (report,) = [m for m in world.shown(ALICE) if INTERRUPTED in (m.text or "")]
            assert f"“{FIRST}”" in (report.text or "")
            assert [b["text"] for b in report.buttons] == ["↩️ Send again"]
            outcome, after = _order(world, lambda _, text: INTERRUPTED in text)
        else:
            assert len(world.shown(ALICE, "photo")) == 1
            outcome, after = _order(world, lambda kind, _: kind == "photo")
        assert outcome < after  # the next message waited for this one
        _echoes_dropped(world)


@pytest.mark.timeout(150)
@pytest.mark.parametrize("step", EXPORT_STEPS, ids=[s.name for s in EXPORT_STEPS])
async def test_an_export_killed_at_each_step(
    step: Step, tmp_path: Path, postgres_server: PostgresServer, unused_tcp_port_factory: Ports
) -> None:
    ports = [unused_tcp_port_factory() for _ in range(2)]
    options = fast_sandbox_options(render_min_seconds=3.0)
    async with fleet(tmp_path, postgres_server, ports, options, Balancer(echo_every=1)) as world:
        emu, sandbox = world.emu, world.sandbox.sandbox
        emu.private_chat(ALICE)
        emu.send_message(ALICE, ALICE, FIRST)
        await emu.wait_for_message(ALICE, lambda m: m.kind == "photo", 30)
        step.hold(world)
        emu.send_message(ALICE, ALICE, "export")
        await _kill_held(world, step)
        await emu.wait_for_message(ALICE, lambda m: ANSWERED_AFTER in (m.text or ""), 60)
        if step.outcome == "unconfirmed":
            await emu.wait_for_message(ALICE, lambda m: UNCONFIRMED in (m.text or ""), 60)
        else:
            await emu.wait_for_message(ALICE, lambda m: m.kind == "video", 60)
        await world.stop_all()

        _no_prompt_twice(world)
        assert list(sandbox.render_submissions.values()) == [1]  # submitted once
        assert len(world.shown(ALICE, "video")) == 1  # sent once, never again unasked
        unconfirmed = world.count(ALICE, UNCONFIRMED)
        assert unconfirmed == (1 if step.outcome == "unconfirmed" else 0)
        assert world.count(ALICE, ANSWERED_AFTER) == 1
        _echoes_dropped(world)
