"""Three `nemobot run` workers on one PostgreSQL database keep Telegram's caps together.

The Bot API emulator enforces what Telegram documents, answering 429 with `retry_after`: one
message a second in a private chat, 20 a minute in a group, 30 a second for the whole bot,
counted over every worker's calls. One group and 100 private chats are flooded at once, so
that each worker pacing on its own (three times each cap) would be refused; counted in the
database they are not, and every message is answered once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.harness import eventually
from tests.faults.fleet import (
    CALM_LEASE,
    Balancer,
    Ports,
    World,
    fast_sandbox_options,
    fleet,
)
from tests.postgres import PostgresServer

PRIVATE_USERS = 100
FIRST_PRIVATE = 60_000
GROUP = -1_001_234_567
GROUP_USERS = 21  # more answers than the group's 20 a minute
FIRST_MEMBER = 70_000
BOT_PER_SECOND, GROUP_PER_MINUTE, PRIVATE_INTERVAL = 30, 20, 1.0


def _answered(world: World, chat: int, title: str) -> int:
    return world.count(chat, f'Added the title "{title}"')


def _flood(world: World) -> tuple[list[int], list[int]]:
    emu = world.emu
    members = [FIRST_MEMBER + i for i in range(GROUP_USERS)]
    privates = [FIRST_PRIVATE + i for i in range(PRIVATE_USERS)]
    emu.group_chat(GROUP)
    for i, member in enumerate(members):  # the group first: its minute starts at once
        emu.send_message(GROUP, member, f'@{emu.options.bot_username} add a title "Group {i}"')
    for i, user in enumerate(privates):
        emu.private_chat(user)
        emu.send_message(user, user, f'add a title "Private {i}"')
    return members, privates


@pytest.mark.timeout(240)  # ~80 s here: the group's last answers wait out its minute
async def test_three_workers_keep_telegrams_caps_together(
    tmp_path: Path, postgres_server: PostgresServer, unused_tcp_port_factory: Ports
) -> None:
    ports = [unused_tcp_port_factory() for _ in range(3)]
    calm = fleet(tmp_path, postgres_server, ports, fast_sandbox_options(), Balancer(), CALM_LEASE)
    async with calm as world:
        emu = world.emu
        emu.options.bot_per_second = BOT_PER_SECOND
        emu.options.group_per_minute = GROUP_PER_MINUTE
        emu.options.per_chat_interval = PRIVATE_INTERVAL
        members, privates = _flood(world)

        def everyone_answered() -> bool:
            assert not emu.rate_limited, emu.rate_limited[:5]  # a worker was told to slow down
            in_group = [_answered(world, GROUP, f"Group {i}") for i in range(len(members))]
            alone = [_answered(world, user, f"Private {i}") for i, user in enumerate(privates)]
            return all(in_group) and all(alone)

        await eventually(everyone_answered, 150, interval=0.2)
        await world.stop_all()
        assert emu.rate_limited == []
        for i in range(len(members)):
            assert _answered(world, GROUP, f"Group {i}") == 1
        for i, user in enumerate(privates):
            assert _answered(world, user, f"Private {i}") == 1
        # The group's last answers waited out its minute; unshared, they would not have.
        in_group = [t for t, chat in emu.limits.counted if chat == GROUP]
        assert len(in_group) > GROUP_PER_MINUTE and max(in_group) - min(in_group) >= 60.0
        ran = await world.query("SELECT DISTINCT owner FROM inbox WHERE owner IS NOT NULL")
        assert len(ran) == 3  # every worker answered a share
