"""`nemobot run` with Discord and Telegram in one process: one engine, SIGTERM exits 0."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from sandbox import RunningSandbox, SandboxOptions, run_sandbox
from tests.console.cli_support import clean_env
from tests.discord.fake import FakeDiscord, FakeDiscordOptions, running_fake_discord
from tests.telegram.emulator import BotApiEmulator, running_emulator
from tests.telegram.test_telegram_process import BotProcess, _start

GUILD = 1500000000000000001
CHANNEL = 1500000000000000011
ALICE = 1600000000000000001
TG_USER = 3001


async def start_on_both_platforms(
    folder: Path,
    sandbox: RunningSandbox,
    emu: BotApiEmulator,
    fake: FakeDiscord,
    people: tuple[int, int, int, int],
    **extra: str,
) -> BotProcess:
    """`nemobot run` on Telegram and Discord at once, returned once both are connected.

    `people`: the guild, its channel, a Discord user and a Telegram user to know about.
    """
    guild, channel, discord_user, telegram_user = people
    emu.private_chat(telegram_user)
    fake.add_guild(guild, channels=[(channel, "general")])
    fake.add_user(discord_user, "alice")
    env = clean_env(
        NEMO_API_BASE=sandbox.url,
        NEMOBOT_DB=str(folder / "bot.db"),
        NEMOBOT_LOG_LEVEL="DEBUG",
        TELEGRAM_BOT_TOKEN=emu.token,
        TELEGRAM_API_BASE_URL=emu.url,
        DISCORD_BOT_TOKEN=fake.options.token,
        DISCORD_API_BASE_URL=fake.url,
        **extra,
    )
    bot = await _start(folder, env)
    await fake.wait_connected(30)
    await emu.wait_for(lambda e: e.waiting_pollers > 0, 30)
    return bot


async def test_both_platforms_in_one_process_then_sigterm_exits_0(tmp_path: Path) -> None:
    options = SandboxOptions(chunk_delay_seconds=0, image_seconds=1)
    async with (
        run_sandbox(options) as sandbox,
        running_emulator() as emu,
        running_fake_discord() as fake,
    ):
        people = (GUILD, CHANNEL, ALICE, TG_USER)
        bot = await start_on_both_platforms(tmp_path, sandbox, emu, fake, people)
        mention = f"<@{FakeDiscordOptions().application_id}> credits"
        await fake.user_message(CHANNEL, ALICE, mention, guild_id=GUILD, mentions_bot=True)
        emu.send_message(TG_USER, TG_USER, "/credits")
        await fake.wait_for_message(CHANNEL, lambda m: m.content.startswith("💳"), 30)
        await emu.wait_for_message(TG_USER, lambda m: (m.text or "").startswith("💳"), 30)

        started = asyncio.get_running_loop().time()
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait(timeout=12) == 0
        assert asyncio.get_running_loop().time() - started < 10
        log = bot.log
        assert "Traceback" not in log
        for secret in (emu.token.split(":", 1)[1], fake.options.token):
            assert secret not in log
        assert "Discord: connected" in log and "Telegram: connected" in log
