"""No token material outside the token columns: not in any log line, not anywhere in the database.

One `nemobot run` (Telegram and Discord) and one `nemobot chat` hold full conversations at DEBUG
level; then their logs and a dump of each database are searched for the bot tokens, the
NemoVideo tokens the sandbox issued, and a token a user pasted into a message.
"""

from __future__ import annotations

import re
import signal
import sqlite3
from pathlib import Path

from sandbox import SandboxOptions, run_sandbox
from tests.console.cli_support import nemobot
from tests.discord.fake import FakeDiscordOptions, running_fake_discord
from tests.discord.test_discord_process import start_on_both_platforms
from tests.telegram.emulator import running_emulator

GUILD = 1700000000000000001
CHANNEL = 1700000000000000011
ALICE = 1800000000000000001
TG_USER = 6001
PASTED = "nmv_usr_" + "P" * 40
# Where tokens may rest: the anonymous and login tokens of each user.
TOKEN_COLUMNS = {("credentials", "anon_token"), ("credentials", "login_token")}


def _leaks_in_database(path: Path, secrets: list[str]) -> list[str]:
    """Every (table, column) outside TOKEN_COLUMNS holding token material."""
    found = []
    shaped = re.compile(r"nmv_[A-Za-z]+_[A-Za-z0-9_\-]{8,}")
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = db.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    text = str(value)
                    if (table, column) in TOKEN_COLUMNS:
                        continue
                    if shaped.search(text) or any(s in text for s in secrets):
                        found.append(f"{table}.{column}: {text[:80]}")
    return found


def _issued(sandbox_tokens: dict[str, object]) -> list[str]:
    return [str(token) for token in sandbox_tokens]


async def test_no_token_material_in_logs_or_the_database(tmp_path: Path) -> None:
    options = SandboxOptions(chunk_delay_seconds=0, image_seconds=1)
    async with (
        run_sandbox(options) as sandbox,
        running_emulator() as emu,
        running_fake_discord(FakeDiscordOptions()) as fake,
    ):
        people = (GUILD, CHANNEL, ALICE, TG_USER)
        bot = await start_on_both_platforms(
            tmp_path, sandbox, emu, fake, people, NEMOBOT_RENDER_POLL_SECONDS="0.3"
        )
        # Telegram: image, video, credits, a pasted token, a login in private.
        for text in ("generate an image of a kite", "export", "/credits", f"my key is {PASTED}"):
            emu.send_message(TG_USER, TG_USER, text)
        emu.send_message(TG_USER, TG_USER, f"/login {PASTED}")
        await emu.wait_for_message(TG_USER, lambda m: m.kind == "video", 60)
        await emu.wait_for_message(TG_USER, lambda m: "didn't work" in (m.text or ""), 30)
        # Discord: a mention with an image, and a slash command.
        mention = f"<@{FakeDiscordOptions().application_id}> generate an image of a tide {PASTED}"
        await fake.user_message(CHANNEL, ALICE, mention, guild_id=GUILD, mentions_bot=True)
        await fake.wait_for_message(CHANNEL, lambda m: bool(m.attachments), 30)
        record = await fake.slash_command("credits", ALICE, channel_id=CHANNEL, guild_id=GUILD)
        answers = lambda f: [record.original, *record.followups]  # noqa: E731
        await fake.wait_for(lambda f: any(m and "Credits" in m.content for m in answers(f)), 30)
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.wait() == 0
        # The console, too.
        chat = await nemobot(
            tmp_path,
            f"generate an image of a bell\n/status\nremember {PASTED}\n".encode(),
            "chat",
            NEMO_API_BASE=sandbox.url,
            NEMOBOT_DB=str(tmp_path / "console.db"),
            NEMOBOT_LOG_LEVEL="DEBUG",
        )
        assert chat.code == 0
        issued = [record.token for record in sandbox.sandbox.tokens.values()]

    assert issued, "the conversations used anonymous NemoVideo tokens"
    secrets = [emu.token, emu.token.split(":", 1)[1], fake.options.token, PASTED, *issued]
    logs = bot.log + chat.err + chat.out
    for secret in secrets:
        assert secret not in logs
    assert not re.search(r"nmv_[A-Za-z]+_[A-Za-z0-9_\-]{8,}", logs)
    for database in ("bot.db", "console.db"):
        assert _leaks_in_database(tmp_path / database, secrets) == [], database
