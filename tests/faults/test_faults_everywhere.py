"""The backend's faults, met on every platform: one friendly line each, and the bot goes on.

The same run of faults goes through the console (a recording outbox), Telegram (the real
adapter against the Bot API emulator) and Discord (the real adapter against the fake).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from sandbox import RunningSandbox
from tests.discord.fake import FakeDiscordOptions, running_fake_discord
from tests.discord.harness import discord_bot
from tests.engine.harness import FAST, eventually, fast_sandbox, running_bot
from tests.telegram.emulator import running_emulator
from tests.telegram.harness import telegram_bot

USER = 5001
TIMING = replace(FAST, render_poll_seconds=0.2)


@dataclass
class Chat:
    """One user's private chat with the bot, whatever the platform."""

    send: Callable[[str], object]
    shown: Callable[[], list[str]]  # the bot's messages as they look now
    videos: Callable[[], int]
    wait: Callable[..., object]

    async def post(self, text: str) -> None:
        """Send as the user (some platforms' drivers are coroutines, some are not)."""
        sent = self.send(text)
        if hasattr(sent, "__await__"):
            await sent  # type: ignore[misc]

    async def ask(self, text: str, expect: Callable[[str], bool], timeout: float = 30) -> str:
        before = Counter(self.shown())  # what was there (a message may go meanwhile)
        await self.post(text)
        found: list[str] = []

        def answered() -> bool:
            found[:] = [t for t in (Counter(self.shown()) - before).elements() if expect(t)]
            return bool(found)

        await self.wait(answered, timeout)  # type: ignore[misc]
        return found[0]


@asynccontextmanager
async def _console(
    tmp_path: Path, sandbox: RunningSandbox, env: dict[str, str]
) -> AsyncIterator[Chat]:
    idle = float(env.get("NEMOBOT_SSE_IDLE_SECONDS", "30"))
    async with running_bot(
        tmp_path, sandbox.url, timing=TIMING, sse_idle_seconds=idle, **env
    ) as bot:
        yield Chat(
            send=lambda text: bot.engine.submit(bot.message(text)),
            shown=bot.outbox.final_texts,
            videos=lambda: len(bot.outbox.of("video")),
            wait=lambda done, timeout: eventually(done, timeout),
        )


@asynccontextmanager
async def _telegram(
    tmp_path: Path, sandbox: RunningSandbox, env: dict[str, str]
) -> AsyncIterator[Chat]:
    async with running_emulator() as emu:
        emu.private_chat(USER)
        async with telegram_bot(tmp_path, emu, sandbox, timing=TIMING, **env):
            yield Chat(
                send=lambda text: emu.send_message(USER, USER, text),
                shown=lambda: [m.body or "" for m in emu.messages(USER) if not m.deleted],
                videos=lambda: sum(m.kind == "video" for m in emu.messages(USER)),
                wait=lambda done, timeout: emu.wait_for(lambda _: done(), timeout),
            )


@asynccontextmanager
async def _discord(
    tmp_path: Path, sandbox: RunningSandbox, env: dict[str, str]
) -> AsyncIterator[Chat]:
    async with running_fake_discord(FakeDiscordOptions()) as fake:
        fake.add_user(USER, "alice")
        dm = fake.dm_channel(USER)
        async with discord_bot(tmp_path, fake, sandbox, timing=TIMING, **env):
            yield Chat(
                send=lambda text: fake.user_message(dm, USER, text),
                shown=lambda: [m.content for m in fake.messages(dm) if not m.deleted],
                videos=lambda: sum(
                    any(a.filename.endswith(".mp4") for a in m.attachments)
                    for m in fake.messages(dm)
                ),
                wait=lambda done, timeout: fake.wait_for(lambda _: done(), timeout),
            )


PLATFORMS = {"console": _console, "telegram": _telegram, "discord": _discord}


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
async def test_every_backend_fault_is_one_line_and_the_bot_goes_on(
    tmp_path: Path, platform: str
) -> None:
    env = {"NEMOBOT_SSE_IDLE_SECONDS": "1"}
    async with (
        fast_sandbox(render_min_seconds=1.0) as sandbox,
        PLATFORMS[platform](tmp_path, sandbox, env) as chat,
    ):
        faults = sandbox.sandbox.faults
        # Unreachable at the start, then back.
        faults.down = True
        await chat.ask("generate an image of a fox", lambda t: "can't reach NemoVideo" in t)
        faults.down = False
        await chat.ask("generate an image of a fox", lambda t: "image of a fox" in t)
        # Rate limited on every call.
        faults.rate_limit_always = True
        await chat.ask("credits", lambda t: "NemoVideo is busy" in t)
        faults.rate_limit_always = False
        # The session lost mid-conversation: a new one, and the message answered.
        faults.lose_sessions = True
        await chat.ask('add a title "Again"', lambda t: "Again" in t)
        # The stream cut mid-text: said so, never resent.
        calls = sandbox.sandbox.sse_calls
        faults.cut_stream_once = True
        await chat.ask('add a title "Cut"', lambda t: "connection dropped" in t)
        assert sandbox.sandbox.sse_calls == calls + 1
        # A stream that goes silent past the idle limit.
        faults.silent_stream_seconds = 5.0
        await chat.ask('add a title "Quiet"', lambda t: t.startswith("⌛ That took too long"))
        faults.silent_stream_seconds = 0.0
        # A render that fails: the reason withheld, Retry offered.
        faults.render_fail_once = True
        await chat.ask("export", lambda t: "render failed" in t, timeout=60)
        # The token expires while a render runs: renewed, the video still arrives.
        sandbox.sandbox.options.render_min_seconds = 2.0
        await chat.post("export")
        faults.expire_tokens = True
        await chat.wait(lambda: chat.videos() == 1, 60)  # type: ignore[misc]
        # Still answering, and no line ever showed a traceback or an exception's name.
        await chat.ask("/help", lambda t: "What I understand" in t or "我能理解" in t)
        assert not [t for t in chat.shown() if "Traceback" in t or "Error" in t]
