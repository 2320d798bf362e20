"""Benchmark 5: a crowd through the real Telegram adapter, long-polling a Bot API emulator.

`python -m bench.telegram_crowd [--users N] [--turns K] [--ramp S]`

Three processes: this one runs the Bot API emulator (tests/telegram/emulator, the one the
test suite drives PTB against) and the simulated users; the bot (`bench.botproc
--telegram`: engine + `TelegramAdapter`, polling) and the sandbox run in their own. Each
user opens a private chat, says "hello", then asks for an image, waiting for each answer.

Latency is end to end, as a Telegram user would see it: `emu.send_message` (the update is
queued for getUpdates) → the emulator recorded the bot's finished answer (the message
carrying the Export button) and, for an image turn, the photo. It includes long polling,
PTB's HTTP calls and the adapter's pacing of Telegram's limits (one message a second per
chat, 30 a second per bot), which a real deployment pays too.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.common import Metric, cpu_seconds, monotonic, percentile
from bench.outbox import classify
from bench.procs import child
from bench.report import emit
from bench.sandbox_proc import options_args
from tests.telegram.emulator import BotApiEmulator, BotMessage, running_emulator

__all__ = ["measure"]

BENCH = "telegram"
TURN_TIMEOUT = 120.0
FIRST_CHAT = 100_000
_FINAL_MARK = "nemo:export:"


def _is_final(message: BotMessage) -> bool:
    markup = message.reply_markup or {}
    return any(
        str(button.get("callback_data", "")).startswith(_FINAL_MARK)
        for row in markup.get("inline_keyboard", [])
        for button in row
    )


def _finals(emu: BotApiEmulator, chat: int) -> list[BotMessage]:
    return [m for m in emu.messages(chat) if not m.deleted and _is_final(m)]


def _photos(emu: BotApiEmulator, chat: int) -> list[BotMessage]:
    return [m for m in emu.messages(chat) if not m.deleted and m.kind == "photo"]


@dataclass
class Tally:
    turn_seconds: list[float] = field(default_factory=list)
    expected: dict[int, tuple[int, int]] = field(default_factory=dict)  # chat → finals, photos
    timeouts: int = 0


def _turns(i: int) -> list[tuple[str, int]]:
    return [("hello", 0), (f"generate an image of a paper boat on lake {i}", 1)]


async def _user(emu: BotApiEmulator, tally: Tally, i: int, turns: int, arrive: float) -> None:
    chat = FIRST_CHAT + i
    await asyncio.sleep(max(0.0, arrive - monotonic()))
    images = 0
    for k, (text, new_images) in enumerate(_turns(i)[:turns]):
        images += new_images
        started = monotonic()
        emu.send_message(chat, chat, text)
        tally.expected[chat] = (k + 1, images)

        def answered(e: BotApiEmulator, want: int = k + 1, photos: int = images) -> bool:
            return len(_finals(e, chat)) >= want and len(_photos(e, chat)) >= photos

        try:
            await emu.wait_for(answered, TURN_TIMEOUT)
        except TimeoutError:
            tally.timeouts += 1
            return
        final = _finals(emu, chat)[k]
        done = max([final.sent_at, *(p.sent_at for p in _photos(emu, chat)[:images])])
        tally.turn_seconds.append(done - started)
        await asyncio.sleep(random.uniform(0.0, 1.0))  # reading the answer


async def _bot_report(port: int) -> dict[str, Any]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as http:
        async with http.post(f"http://127.0.0.1:{port}/idle") as response:
            response.raise_for_status()
        await asyncio.sleep(0.5)
        async with http.get(f"http://127.0.0.1:{port}/report") as response:
            found: dict[str, Any] = await response.json()
            return found


async def measure(users: int = 100, turns: int = 2, ramp: float = 5.0) -> list[Metric]:
    """Run the Telegram crowd; correctness, end-to-end latency, the bot's RSS and CPU."""
    random.seed(5)
    tally = Tally()
    async with (
        running_emulator() as emu,
        child("sandbox", "bench.sandbox_proc", *options_args()) as sandbox,
        child(
            "bot",
            "bench.botproc",
            *("--api", sandbox.info["url"], "--telegram", emu.url),
            *("--telegram-token", emu.token),
        ) as bot,
    ):
        await emu.wait_for(lambda e: e.waiting_pollers > 0, 30)
        for i in range(users):
            emu.private_chat(FIRST_CHAT + i, first_name=f"User{i}")
        cpu_before = (bot.cpu(), sandbox.cpu(), cpu_seconds())
        start = monotonic() + 0.1
        arrivals = sorted(random.uniform(0, ramp) for _ in range(users))
        await asyncio.gather(
            *(_user(emu, tally, i, turns, start + arrivals[i]) for i in range(users))
        )
        report = await _bot_report(bot.info["port"])
        wall = monotonic() - start
        cpu = [
            a - b
            for a, b in zip((bot.cpu(), sandbox.cpu(), cpu_seconds()), cpu_before, strict=True)
        ]
        lost = duplicated = trouble = 0
        for chat, (finals, photos) in tally.expected.items():
            for got, want in ((len(_finals(emu, chat)), finals), (len(_photos(emu, chat)), photos)):
                lost += max(0, want - got)
                duplicated += max(0, got - want)
            trouble += sum(
                1 for m in emu.messages(chat) if m.text and classify("text", m.text, ()) == "X"
            )
        calls = len(emu.calls)
        kinds = ("sendMessage", "sendPhoto", "sendMediaGroup", "editMessageText")
        sends = sum(len(emu.calls_to(kind)) for kind in kinds)
        drafts = len(emu.calls_to("sendMessageDraft"))
        typing = len(emu.calls_to("sendChatAction"))
        errors = len(emu.internal_errors) + len(bot.warnings())
    turns_done = tally.turn_seconds
    peak = report["hwm_mb"]
    return [
        Metric(
            BENCH,
            "users (real adapter, long polling)",
            users,
            "",
            note=f"{turns} turns each (hello → image), arrivals within {ramp:g} s",
        ),
        Metric(
            BENCH,
            "lost / duplicated answers",
            lost + duplicated,
            "",
            "= 0",
            lost + duplicated == 0 and trouble == 0,
            f"{lost} lost ({tally.timeouts} timeouts), {duplicated} duplicated, "
            f"{trouble} error texts",
        ),
        Metric(
            BENCH,
            "end-to-end latency p50",
            round(percentile(turns_done, 50) * 1000),
            "ms",
            note=f"n={len(turns_done)}; emu.send_message → finished answer (+ photo) recorded",
        ),
        Metric(
            BENCH,
            "end-to-end latency p95",
            round(percentile(turns_done, 95) * 1000),
            "ms",
            note=f"p99 {percentile(turns_done, 99) * 1000:.0f} ms; pacing: 1 msg/s per chat",
        ),
        Metric(
            BENCH,
            "throughput",
            round(len(turns_done) / wall, 1),
            "answers/s",
            note=f"{sends} messages sent or edited ({sends / wall:.0f}/s; the adapter's cap is "
            f"30/s), {drafts} drafts, {typing} chat actions; {calls} Bot API calls in "
            f"{wall:.0f} s",
        ),
        Metric(
            BENCH,
            "peak RSS of the bot process",
            round(peak, 1),
            "MB",
            note=f"VmHWM; {report['rss_ready_mb']:.0f} MB at start (PTB loaded)",
        ),
        Metric(
            BENCH,
            "engine.submit p99 (in the bot)",
            round(percentile(report["submit"], 99) * 1000, 1),
            "ms",
            note=f"p50 {percentile(report['submit'], 50) * 1000:.1f} ms, "
            f"n={len(report['submit'])}; called by the adapter per update",
        ),
        Metric(
            BENCH,
            "CPU",
            round(cpu[0], 1),
            "s (bot)",
            note=f"bot {cpu[0]:.1f} s, sandbox {cpu[1]:.1f} s, generator+emulator "
            f"{cpu[2]:.1f} s in {wall:.0f} s; {errors} warnings/errors logged",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run, print the metrics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--turns", type=int, default=2, choices=(1, 2))
    parser.add_argument("--ramp", type=float, default=5.0)
    args = parser.parse_args(argv)
    emit(asyncio.run(measure(args.users, args.turns, args.ramp)))


if __name__ == "__main__":
    main()
