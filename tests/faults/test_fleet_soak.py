"""Three workers, a crowd, two `kill -9`s: every message answered once and in order.

Each seed runs one crowd through three `nemobot run` workers on one PostgreSQL database,
Telegram webhooks round-robin with some updates POSTed twice to different workers. Every user
asks for an image, then a title and an export. Midway through the images the worker holding a
turn is killed; midway through the renders the worker holding a render is killed; both are
restarted. Per user the chat must tell a possible story (the image or one honest report
before the title's answer, then one video or one Resend offer), no prompt reaches the agent
twice, and every render is submitted once.

`NEMOBOT_SOAK_SEEDS` (e.g. `1-20`) and `NEMOBOT_SOAK_USERS` make a longer soak; `make test`
runs two small seeds (`bench/soak.py` runs the long one and reports its figures).
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter
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

FIRST_USER = 60_000
UNCONFIRMED = "may already be above"


def _seeds() -> list[int]:
    raw = os.environ.get("NEMOBOT_SOAK_SEEDS", "1,2")
    seeds: list[int] = []
    for part in raw.split(","):
        low, _, high = part.partition("-")
        seeds += range(int(low), int(high or low) + 1)
    return seeds


USERS = int(os.environ.get("NEMOBOT_SOAK_USERS", "16"))


def _story(world: World, chat: int, i: int) -> list[str]:
    """What the chat shows, in order, as labels (a report names the message it is about)."""
    labels = []
    for message in world.shown(chat):
        text = message.text or message.caption or ""
        if message.kind == "photo":
            labels.append("image")
        elif message.kind == "video":
            labels.append("video")
        elif INTERRUPTED in text:
            labels.append("report-title" if f"North {i}" in text else "report-image")
        elif UNCONFIRMED in text:
            labels.append("unconfirmed")
        elif f'Added the title "North {i}"' in text:
            labels.append("title")
    return labels


def _possible(story: list[str]) -> bool:
    """A story a user could be told, message by message and in their order: the image and/or
    one report of it (an answer may be followed by a report when its worker died before
    recording it), then likewise the title, then one video (or one Resend offer for a video
    that may have been sent)."""
    counts = Counter(story)
    if any(counts[label] > 1 for label in ("image", "report-image", "title", "report-title")):
        return False
    firsts = []
    for labels in (("image", "report-image"), ("title", "report-title"), ("video", "unconfirmed")):
        found = [n for n, label in enumerate(story) if label in labels]
        if not found:
            return False
        firsts.append(found[0])
    delivered = counts["video"] == 1 and counts["unconfirmed"] == 0
    offered = counts["video"] <= 1 and counts["unconfirmed"] == 1
    return (delivered or offered) and firsts == sorted(firsts)


def _report(
    seed: int, stories: dict[int, list[str]], impossible: dict[int, list[str]], world: World
) -> None:
    """With `NEMOBOT_SOAK_REPORT` set, add this seed's figures to that JSON-lines file."""
    path = os.environ.get("NEMOBOT_SOAK_REPORT")
    if not path:
        return
    labels = Counter(label for story in stories.values() for label in story)
    prompts = Counter(world.sandbox.sandbox.agent_messages)
    figures = {
        "seed": seed,
        "users": len(stories),
        "impossible_stories": len(impossible),
        "prompts_twice": sum(1 for n in prompts.values() if n > 1),
        "renders_twice": sum(1 for n in world.sandbox.sandbox.render_submissions.values() if n > 1),
        "videos": labels["video"],
        "reports": labels["report-image"] + labels["report-title"],
        "resend_offers": labels["unconfirmed"],
        "titles_lost": sum(
            1 for s in stories.values() if "title" not in s and "report-title" not in s
        ),
    }
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(json.dumps(figures) + "\n")


async def _kill_one_holding(world: World, table: str, condition: str) -> None:
    """Kill the worker holding a lease on a matching row, and start another in its place."""

    async def held() -> bool:
        return await world.holder(table, condition) is not None

    await eventually(held, 60)
    holder = await world.holder(table, condition)
    assert holder is not None
    dead = await world.kill(holder)
    await world.restart(dead)


async def _everyone_done(world: World, users: list[int]) -> None:
    async def done() -> bool:
        return all(
            len([x for x in _story(world, u, i) if x in ("video", "unconfirmed")]) >= 1
            for i, u in enumerate(users)
        )

    await eventually(done, 240)


@pytest.mark.timeout(400)
@pytest.mark.parametrize("seed", _seeds())
async def test_three_workers_keep_every_story_through_two_kills(
    seed: int, tmp_path: Path, postgres_server: PostgresServer, unused_tcp_port_factory: Ports
) -> None:
    rng = random.Random(seed)
    ports = [unused_tcp_port_factory() for _ in range(3)]
    balancer = Balancer(echo_every=rng.randint(2, 5))
    kill_turns_after = rng.randint(2, USERS // 2)  # prompts the agent has seen
    kill_renders_after = rng.randint(1, USERS // 2)  # renders submitted
    async with fleet(tmp_path, postgres_server, ports, fast_sandbox_options(), balancer) as world:
        emu, sandbox = world.emu, world.sandbox.sandbox
        users = [FIRST_USER + i for i in range(USERS)]
        for user in users:
            emu.private_chat(user)
        for i in rng.sample(range(USERS), USERS):
            emu.send_message(users[i], users[i], f"generate an image of lighthouse {i}")
        await eventually(lambda: len(sandbox.agent_messages) >= kill_turns_after, 60)
        await _kill_one_holding(world, "inbox", "lane = 'line' AND status = 'sending'")
        for i in rng.sample(range(USERS), USERS):
            emu.send_message(users[i], users[i], f'add a title "North {i}"')
            emu.send_message(users[i], users[i], "export")
        await eventually(lambda: len(sandbox.render_submissions) >= kill_renders_after, 120)
        await _kill_one_holding(world, "renders", "status IN ('pending', 'processing')")
        await _everyone_done(world, users)
        await world.stop_all()

        stories = {u: _story(world, u, i) for i, u in enumerate(users)}
        impossible = {u: s for u, s in stories.items() if not _possible(s)}
        _report(seed, stories, impossible, world)
        assert not impossible, impossible
        prompts = Counter(sandbox.agent_messages)
        assert max(prompts.values()) == 1, [p for p, n in prompts.items() if n > 1]
        assert sorted(sandbox.render_submissions.values()) == [1] * USERS
        assert len(emu.calls_to("sendVideo")) == sum(s.count("video") for s in stories.values())
        echoes = balancer.echoes
        assert echoes[200] > 0 and set(echoes) <= {0, 200}, echoes
