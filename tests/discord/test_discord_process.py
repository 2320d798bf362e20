"""`nemobot run` with Discord and Telegram in one process: one engine, SIGTERM exits 0."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from sandbox import SandboxOptions, run_sandbox
from tests.console.cli_support import clean_env
from tests.discord.fake import FakeDiscordOptions, running_fake_discord
from tests.telegram.emulator import running_emulator
from tests.telegram.test_telegram_process import _start

GUILD = 1500000000000000001
CHANNEL = 1500000000000000011
ALICE = 1600000000000000001
TG_USER = 3001


async def test_both_platforms_in_one_process_then_sigterm_exits_0(tmp_path: Path) -> None:
    options = SandboxOptions(chunk_delay_seconds=0, image_seconds=1)
    async with (
        run_sandbox(options) as sandbox,
        running_emulator() as emu,
        running_fake_discord() as fake,
    ):
        emu.private_chat(TG_USER)
        fake.add_guild(GUILD, channels=[(CHANNEL, "general")])
        fake.add_user(ALICE, "alice")
        env = clean_env(
            NEMO_API_BASE=sandbox.url,
            NEMOBOT_DB=str(tmp_path / "bot.db"),
            NEMOBOT_LOG_LEVEL="DEBUG",
            TELEGRAM_BOT_TOKEN=emu.token,
            TELEGRAM_API_BASE_URL=emu.url,
            DISCORD_BOT_TOKEN=fake.options.token,
            DISCORD_API_BASE_URL=fake.url,
        )
        bot = await _start(tmp_path, env)
        await fake.wait_connected(30)
        await emu.wait_for(lambda e: e.waiting_pollers > 0, 30)
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
