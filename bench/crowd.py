"""The simulated users of the concurrency benchmark, and the check of what they received."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field

from bench.wiring import BenchBot
from bot.core.texts import t

__all__ = ["QUEUE_NOTICE", "Tally", "check_replies", "conversation", "stray_texts", "user"]

TURN_TIMEOUT = 120.0
# Texts a smooth conversation never shows: error lines, timeouts. ("You're #2 in line" is
# not trouble: a simulated user answers within milliseconds, while the bot may still be
# wrapping up the previous turn; it is counted separately.)
QUEUE_NOTICE = "queued"
TROUBLE = (
    *("queue_full", "interrupted", "still_working", "token_refused"),
    *("stream_dropped", "stream_failed", "turn_timeout"),
    *("export_busy", "export_empty", "export_failed", "export_lost", "export_too_big"),
    *("err_credits_anon", "err_credits", "err_auth_fixed", "err_auth_login", "err_rate"),
    *("err_down", "err_export_blocked", "err_session", "err_generic", "err_internal"),
)


@dataclass
class Tally:
    """What the users saw."""

    turn_seconds: list[float] = field(default_factory=list)
    export_seconds: list[float] = field(default_factory=list)
    timeouts: int = 0


def conversation(i: int) -> list[tuple[str, int]]:
    """User `i`'s messages and how many images each one should bring."""
    return [
        ("hello", 0),
        (f"generate an image of a red kite over hill number {i}", 1),
        (f"add a title: Day {i}", 0),
    ]


async def _timed(tally: Tally, seconds: list[float], started: float, wait: Awaitable[None]) -> bool:
    """Wait for the reply (a timeout counts as lost); record how long it took."""
    try:
        async with asyncio.timeout(TURN_TIMEOUT):
            await wait
    except TimeoutError:
        tally.timeouts += 1
        return False
    seconds.append(time.perf_counter() - started)
    return True


async def user(bot: BenchBot, i: int, exports: bool, delay: float, tally: Tally) -> None:
    """One person: arrive after `delay`, talk turn by turn, maybe export."""
    chat = f"user-{i}"
    await asyncio.sleep(delay)
    images = 0
    for k, (text, new_images) in enumerate(conversation(i)):
        images += new_images
        started = time.perf_counter()
        await bot.engine.submit(bot.message(chat, text))
        answered = bot.outbox.wait_until(chat, finals=k + 1, images=images)
        if not await _timed(tally, tally.turn_seconds, started, answered):
            return
    if exports:
        started = time.perf_counter()
        await bot.engine.submit(bot.message(chat, "export"))
        delivered = bot.outbox.wait_until(chat, videos=1)
        await _timed(tally, tally.export_seconds, started, delivered)


def check_replies(bot: BenchBot, users: int, exporters: set[int]) -> tuple[int, int]:
    """Lost and duplicated replies over every chat: finished answers, images, videos."""
    lost = duplicated = 0
    for i in range(users):
        expected = {
            "final": len(conversation(i)),
            "image": sum(n for _, n in conversation(i)),
            "video": 1 if i in exporters else 0,
        }
        for kind, want in expected.items():
            got = bot.outbox.count(f"user-{i}", kind)
            lost += max(0, want - got)
            duplicated += max(0, got - want)
    return lost, duplicated


def stray_texts(bot: BenchBot, users: int, keys: tuple[str, ...] = TROUBLE) -> int:
    """How many sent or edited texts were error lines or timeouts (or the given keys)."""
    prefixes = tuple(t(key).split("{", 1)[0] for key in keys)
    return sum(
        1
        for i in range(users)
        for reply in bot.outbox.chats.get(f"user-{i}", [])
        if reply.kind in ("text", "edit") and reply.text.startswith(prefixes)
    )
