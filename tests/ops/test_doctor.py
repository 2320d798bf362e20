"""`nemobot doctor`: one green or red line per check, against the sandbox and the platform fakes."""

from __future__ import annotations

import asyncio
import os
import pty
import socket
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.core.root_router import build_registry
from bot.doctor import doctor
from bot.ops.nemo_check import PROBE
from sandbox import SandboxOptions, run_sandbox
from storage import SqliteStore
from storage._pg_core import pg_migrations
from storage.postgres import PostgresStore
from tests.console.cli_support import clean_env, nemobot
from tests.discord.fake import FakeDiscordOptions, running_fake_discord
from tests.discord.harness import discord_bot, settings_for
from tests.engine.harness import fast_sandbox
from tests.orphans import die_with_parent
from tests.postgres import PostgresServer, fresh_database
from tests.telegram.emulator import EmulatorOptions, running_emulator
from tests.telegram.harness import telegram_bot

WRONG_TELEGRAM = "987654321:AAWrongTokenForDoctorTestsOnly_abcdefghij"
WRONG_DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAx.GwrongX.wrong-token-for-doctor-tests-0123456789"


@dataclass
class Checked:
    """What one doctor run printed and returned."""

    code: int
    lines: list[str]
    err: str

    def line(self, start: str) -> str:
        """The one line starting with `start`."""
        found = [line for line in self.lines if line.startswith(start)]
        assert len(found) == 1, (start, self.lines)
        return found[0]

    @property
    def failed(self) -> list[str]:
        """The red lines."""
        return [line for line in self.lines if line.startswith("FAIL")]


async def check(capsys: pytest.CaptureFixture[str], tmp_path: Path, **env: str) -> Checked:
    """Run doctor in-process on settings from `env` (the database in `tmp_path`)."""
    settings = Settings.from_env({"NEMOBOT_DB": str(tmp_path / "nemobot.db"), **env})
    code = await doctor(settings)
    out, err = capsys.readouterr()
    for secret in settings.secrets():
        assert secret not in out + err
    return Checked(code, out.splitlines(), err)


def closed_port_url() -> str:
    """A loopback URL nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def make_database(path: Path) -> None:
    """A real nemobot database, closed again (mode 0600, schema current)."""
    store = await SqliteStore.open(path)
    await store.close()


# --- everything configured and working ---------------------------------------------------


async def test_all_green_against_the_sandbox_and_both_platforms(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    await make_database(tmp_path / "nemobot.db")
    async with (
        run_sandbox(SandboxOptions()) as sandbox,
        running_emulator() as emu,
        running_fake_discord() as fake,
    ):
        result = await check(
            capsys,
            tmp_path,
            NEMO_API_BASE=sandbox.url,
            NEMO_TOKEN=sandbox.sandbox.create_user_token(credits=7),
            TELEGRAM_BOT_TOKEN=emu.token,
            TELEGRAM_API_BASE_URL=emu.url,
            DISCORD_BOT_TOKEN=fake.options.token,
            DISCORD_API_BASE_URL=fake.url,
        )
    assert result.code == 0, result.lines
    assert result.failed == []
    assert all(line.startswith("ok    ") for line in result.lines), result.lines
    assert "\033[" not in "".join(result.lines)  # captured stdout is no terminal: no colour
    assert "platforms: telegram, discord" in result.line("ok    settings: valid")
    assert "opens (schema" in result.line(f"ok    database: {tmp_path / 'nemobot.db'}")
    result.line("ok    database: mode 600")
    result.line("ok    database: the file, its folder and journal files are writable")
    result.line("ok    database: writable now, no other process is using it")
    result.line("ok    ffmpeg: version ")
    assert "token ok, 7 credits left" in result.line(f"ok    backend {sandbox.url}")
    result.line("ok    Telegram: token ok, bot @nemo_test_bot")
    assert "by mention, reply or command" in result.line("ok    Telegram: privacy mode on")
    menu = result.line("ok    Telegram: command menu without /start, /help")
    assert menu.endswith("/logout, /settings yet; `nemobot run` publishes it")
    result.line("ok    Discord: token ok, logged in as nemobot")
    result.line("ok    Discord: the Message Content intent is enabled")
    assert "/imagine" in result.line("ok    Discord: slash commands")
    assert "not registered yet; `nemobot run` syncs them" in result.line("ok    Discord: slash")


# --- NemoVideo ---------------------------------------------------------------------------


async def test_anonymous_tokens_reachable_without_minting_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with run_sandbox(SandboxOptions()) as sandbox:
        result = await check(capsys, tmp_path, NEMO_API_BASE=sandbox.url)
    assert result.code == 0, result.lines
    assert "reachable" in result.line(f"ok    backend {sandbox.url}")
    assert "anonymous token per user" in result.line("ok    settings")
    paths = [path for _, path, _ in sandbox.sandbox.requests]
    assert paths == [PROBE]  # one free question, and no anonymous token
    assert sandbox.sandbox.tokens_issued == 0


async def test_live_says_what_it_spends_then_mints_one_token_per_host(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with run_sandbox(SandboxOptions()) as sandbox:
        settings = Settings.from_env(
            {"NEMOBOT_DB": str(tmp_path / "nemobot.db"), "NEMO_API_BASE": sandbox.url}
        )
        codes = [await doctor(settings, live=True) for _ in range(2)]
        client_ids = list(sandbox.sandbox.client_tokens)
        issued = sandbox.sandbox.tokens_issued
    lines = capsys.readouterr().out.splitlines()
    assert codes == [0, 0], lines
    assert lines[0].startswith(f"doctor --live: asks {sandbox.url} for one anonymous token")
    assert "no credits are spent" in lines[0]
    minted = [line for line in lines if "hands out anonymous tokens" in line]
    assert len(minted) == 2 and minted[0].startswith("ok    ")
    assert len(client_ids) == 1 and uuid.UUID(client_ids[0])  # a UUID, the same both times
    assert issued == 1  # the second run got the same token back


async def test_live_with_a_shared_token_spends_nothing_and_says_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with run_sandbox(SandboxOptions()) as sandbox:
        token = sandbox.sandbox.create_user_token(credits=7)
        settings = Settings.from_env(
            {
                "NEMOBOT_DB": str(tmp_path / "nemobot.db"),
                "NEMO_API_BASE": sandbox.url,
                "NEMO_TOKEN": token,
            }
        )
        code = await doctor(settings, live=True)
        issued = sandbox.sandbox.tokens_issued
    out = capsys.readouterr().out
    assert code == 0, out
    assert "doctor --live: asks" not in out
    assert issued == 1  # the test's own token only


async def test_a_server_that_is_not_nemovideo_is_red(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with run_sandbox(SandboxOptions()) as sandbox:
        wrong = f"{sandbox.url}/not-the-api"
        result = await check(capsys, tmp_path, NEMO_API_BASE=wrong)
    assert result.code == 1
    line = result.line(f"FAIL  backend {wrong}: no NemoVideo API here (404 for {PROBE})")
    assert line.endswith("check NEMO_API_BASE")


async def test_a_backend_that_is_down_is_red(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with run_sandbox(SandboxOptions()) as sandbox:
        sandbox.sandbox.faults.down = True
        result = await check(capsys, tmp_path, NEMO_API_BASE=sandbox.url)
    assert result.code == 1
    assert "unavailable (HTTP 503)" in result.line(f"FAIL  backend {sandbox.url}")


async def test_a_shared_token_without_credits_is_red(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with run_sandbox(SandboxOptions()) as sandbox:
        token = sandbox.sandbox.create_user_token(credits=0)
        result = await check(capsys, tmp_path, NEMO_API_BASE=sandbox.url, NEMO_TOKEN=token)
    assert result.code == 1
    (line,) = result.failed
    assert line.startswith(f"FAIL  backend {sandbox.url}: token ok, but 0 credits left")
    assert "top up at https://nemovideo.com" in line


async def test_a_refused_nemo_token_is_red(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with run_sandbox(SandboxOptions()) as sandbox:
        result = await check(
            capsys, tmp_path, NEMO_API_BASE=sandbox.url, NEMO_TOKEN="nmv_usr_wrong"
        )
    assert result.code == 1
    assert "NEMO_TOKEN was refused" in result.line(f"FAIL  backend {sandbox.url}")


@pytest.mark.parametrize("token", [None, "nmv_usr_whatever"])
async def test_an_unreachable_backend_is_red(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, token: str | None
) -> None:
    url = closed_port_url()
    env = {"NEMO_API_BASE": url} | ({"NEMO_TOKEN": token} if token else {})
    result = await check(capsys, tmp_path, **env)
    assert result.code == 1
    line = result.line(f"FAIL  backend {url}: unavailable (ConnectError")
    assert "check NEMO_API_BASE and the network" in line


# --- Telegram ----------------------------------------------------------------------------


async def test_a_wrong_telegram_token_is_red_and_not_printed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with running_emulator() as emu:
        result = await check(
            capsys, tmp_path, TELEGRAM_BOT_TOKEN=WRONG_TELEGRAM, TELEGRAM_API_BASE_URL=emu.url
        )
    assert result.code == 1
    assert result.failed == [
        "FAIL  Telegram: the token was refused (401); copy it again from @BotFather into "
        "TELEGRAM_BOT_TOKEN (or check TELEGRAM_API_BASE_URL)"
    ]
    assert "987654321" not in "\n".join(result.lines) + result.err


async def test_telegram_without_privacy_mode_reads_every_group_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with running_emulator(EmulatorOptions(privacy_mode=False)) as emu:
        result = await check(
            capsys, tmp_path, TELEGRAM_BOT_TOKEN=emu.token, TELEGRAM_API_BASE_URL=emu.url
        )
    assert result.code == 0, result.lines
    assert "receives every group message" in result.line("ok    Telegram: privacy mode off")


async def test_an_unreachable_telegram_is_red(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = closed_port_url()
    result = await check(
        capsys, tmp_path, TELEGRAM_BOT_TOKEN=WRONG_TELEGRAM, TELEGRAM_API_BASE_URL=url
    )
    assert result.code == 1
    assert "check the network or TELEGRAM_API_BASE_URL" in result.line(
        f"FAIL  Telegram: cannot reach {url} (ConnectError"
    )


async def test_a_webhook_not_set_yet_is_fine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with running_emulator() as emu:
        hook = "https://bot.example.com/telegram"
        result = await check(
            capsys,
            tmp_path,
            TELEGRAM_BOT_TOKEN=emu.token,
            TELEGRAM_API_BASE_URL=emu.url,
            TELEGRAM_WEBHOOK_URL=hook,
        )
    assert result.code == 0, result.lines
    assert result.line("ok    Telegram webhook: is not set").endswith(f"sets it to {hook}")


async def test_the_menu_published_by_the_running_adapter_is_the_registrys(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with (
        fast_sandbox() as sandbox,
        running_emulator() as emu,
        telegram_bot(tmp_path, emu, sandbox),
    ):
        await emu.wait_for(lambda e: "zh" in e.commands)
        result = await check(
            capsys,
            tmp_path,
            NEMO_API_BASE=sandbox.url,
            TELEGRAM_BOT_TOKEN=emu.token,
            TELEGRAM_API_BASE_URL=emu.url,
        )
    listed = ", /".join(spec.name for spec in build_registry().menu)
    assert result.line("ok    Telegram: command menu") == f"ok    Telegram: command menu: /{listed}"


async def test_a_failing_webhook_is_red_with_telegrams_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hook = closed_port_url() + "/telegram"
    async with running_emulator() as emu, httpx.AsyncClient() as http:
        answer = await http.post(f"{emu.url}/bot{emu.token}/setWebhook", json={"url": hook})
        assert answer.json()["ok"] is True
        emu.private_chat(42)
        emu.send_message(42, 42, "hello")
        await emu.wait_for(lambda e: e.webhook is not None and bool(e.webhook.last_error_message))
        result = await check(
            capsys,
            tmp_path,
            TELEGRAM_BOT_TOKEN=emu.token,
            TELEGRAM_API_BASE_URL=emu.url,
            TELEGRAM_WEBHOOK_URL=hook,
        )
    assert result.code == 1
    (line,) = result.failed
    assert line.startswith("FAIL  Telegram webhook: 1 updates waiting, the last delivery failed")
    assert "(Connection failed: " in line and f"make {hook} reach this host" in line


# --- Discord -----------------------------------------------------------------------------


async def test_discord_without_the_message_content_intent_is_red(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    options = FakeDiscordOptions(message_content_intent_enabled=False)
    async with running_fake_discord(options) as fake:
        result = await check(
            capsys, tmp_path, DISCORD_BOT_TOKEN=fake.options.token, DISCORD_API_BASE_URL=fake.url
        )
    assert result.code == 1
    (line,) = result.failed
    assert line.startswith("FAIL  Discord: the Message Content intent is off")
    assert "developer portal (Bot → Privileged Gateway Intents → Message Content Intent)" in line
    result.line("ok    Discord: token ok")


async def test_a_wrong_discord_token_is_red(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with running_fake_discord() as fake:
        result = await check(
            capsys, tmp_path, DISCORD_BOT_TOKEN=WRONG_DISCORD, DISCORD_API_BASE_URL=fake.url
        )
        asked = [(r.path, r.status) for r in fake.requests]
    assert result.code == 1
    assert result.failed == [
        "FAIL  Discord: the token was refused (401); reset it in the developer portal "
        "(Bot → Reset Token) into DISCORD_BOT_TOKEN"
    ]
    assert asked == [("/users/@me", 401)]  # no further calls with a refused token
    assert not [line for line in result.lines if line.startswith("ok    Discord")]


async def test_commands_synced_by_the_running_adapter_are_registered(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async with (
        run_sandbox(SandboxOptions()) as sandbox,
        running_fake_discord() as fake,
        discord_bot(tmp_path, fake, sandbox),
    ):
        settings = settings_for(fake, sandbox, tmp_path)
        code = await doctor(settings)
        synced = sorted(command["name"] for command in fake.commands)
    lines = capsys.readouterr().out.splitlines()
    assert code == 0, lines
    (commands,) = [line for line in lines if line.startswith("ok    Discord: slash commands")]
    listed = ", /".join(spec.name for spec in build_registry().menu)
    assert commands == f"ok    Discord: slash commands registered: /imagine, /{listed}"
    assert sorted(commands.split(": ", 2)[2].replace("/", "").split(", ")) == synced
    assert f"in use by a running nemobot (pid {os.getpid()})" in "\n".join(lines)


# --- the database ------------------------------------------------------------------------


async def test_a_database_open_to_others_is_red(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "nemobot.db"
    await make_database(db)
    db.chmod(0o644)
    result = await check(capsys, tmp_path)
    assert result.code == 1
    assert result.failed == [
        f"FAIL  database: {db} has mode 644, open to other users; run chmod 600 {db} "
        "(nemobot also does it when it starts)"
    ]


async def test_doctor_works_beside_a_running_bot(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "nemobot.db"
    store = await SqliteStore.open(db)
    # The bot in the middle of a write: doctor must not try to write, so it is not refused.
    writing = sqlite3.connect(db, isolation_level=None)
    writing.execute("BEGIN IMMEDIATE")
    try:
        result = await check(capsys, tmp_path)
    finally:
        writing.execute("ROLLBACK")
        writing.close()
        await store.close()
    assert result.code == 0, result.lines
    assert result.line("ok    database: in use by a running nemobot").endswith(
        f"(pid {os.getpid()}), checked read-only"
    )
    assert "opens (schema" in result.line(f"ok    database: {db}")
    result.line("ok    database: the file, its folder and journal files are writable")
    assert not [line for line in result.lines if "no other process" in line]


async def test_a_database_locked_by_another_program_is_red(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "nemobot.db"
    await make_database(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = await check(capsys, tmp_path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.code == 1
    (line,) = result.failed
    assert line.startswith(f"FAIL  database: {db} is locked by another program; close it")


async def test_a_damaged_database_is_red_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "nemobot.db"
    db.write_bytes(b"not a database at all\n" * 300)
    db.chmod(0o600)
    result = await check(capsys, tmp_path)
    assert result.code == 1
    assert result.failed == [
        f"FAIL  database: {db} is not a nemobot database, or it is damaged; move it aside "
        "(keep it for a recovery) or point NEMOBOT_DB at another file"
    ]


async def test_a_lock_file_this_user_cannot_write_is_red(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "nemobot.db"
    await make_database(db)
    lock = db.with_name("nemobot.db.lock")
    assert lock.exists()
    _read_only(lock)
    try:
        result = await check(capsys, tmp_path)
    finally:
        _writable_again(lock)
    assert result.code == 1
    (line,) = result.failed
    assert line.startswith(f"FAIL  database: {lock} is not writable by this user")
    assert "nemobot cannot start without it" in line


def _read_only(path: Path) -> None:
    """Unwritable even for root (the immutable attribute), else by its mode."""
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot make {path} immutable here: {done.stderr.decode()}")
    else:
        path.chmod(0o400)


def _writable_again(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    path.chmod(0o600)


# --- ffmpeg ------------------------------------------------------------------------------


@pytest.mark.parametrize(("exe", "says"), [("missing", "does not run"), ("true", "is not a")])
async def test_a_broken_ffmpeg_is_red(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    exe: str,
    says: str,
) -> None:
    path = str(tmp_path / exe) if exe == "missing" else exe
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", path)
    result = await check(capsys, tmp_path)
    assert result.code == 1
    (line,) = result.failed
    assert line.startswith(f"FAIL  ffmpeg: {path} {says}")
    assert "set IMAGEIO_FFMPEG_EXE to an ffmpeg" in line


# --- the command line --------------------------------------------------------------------


async def test_the_command_exits_1_on_a_red_line_without_printing_the_token(
    tmp_path: Path,
) -> None:
    async with running_emulator() as emu:
        run = await nemobot(
            tmp_path,
            b"",
            "doctor",
            TELEGRAM_BOT_TOKEN=WRONG_TELEGRAM,
            TELEGRAM_API_BASE_URL=emu.url,
        )
        good = await nemobot(
            tmp_path, b"", "doctor", TELEGRAM_BOT_TOKEN=emu.token, TELEGRAM_API_BASE_URL=emu.url
        )
    assert run.code == 1, run.out + run.err
    assert "FAIL  Telegram: the token was refused (401)" in run.out
    assert WRONG_TELEGRAM not in run.out + run.err
    assert "987654321" not in run.out + run.err
    assert good.code == 0, good.out + good.err
    assert "ok    Telegram: token ok, bot @nemo_test_bot" in good.out
    assert emu.token not in good.out + good.err


async def _on_a_terminal(cwd: Path, **env: str) -> tuple[int, str]:
    """Run `nemobot doctor` with stdout on a pseudo-terminal; its code and output."""
    main, child = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "doctor",
        cwd=cwd,
        env=clean_env(**env),
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    os.close(child)
    reading = asyncio.create_task(asyncio.to_thread(_read_all, main))
    try:
        async with asyncio.timeout(90):
            code = await process.wait()
            return code, await reading
    finally:
        os.close(main)


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


async def test_colour_only_on_a_terminal_and_without_no_color(tmp_path: Path) -> None:
    url = closed_port_url()
    code, shown = await _on_a_terminal(tmp_path, NEMO_API_BASE=url)
    plain_code, plain = await _on_a_terminal(tmp_path, NEMO_API_BASE=url, NO_COLOR="1")
    assert code == plain_code == 1
    assert "\033[32mok\033[0m    settings: valid" in shown
    assert f"\033[31mFAIL\033[0m  backend {url}" in shown
    assert "\033[" not in plain
    assert "ok    settings: valid" in plain and f"FAIL  backend {url}" in plain


async def test_a_postgresql_database_is_checked_by_url(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, postgres_server: PostgresServer
) -> None:
    url = await fresh_database(postgres_server)
    async with run_sandbox(SandboxOptions()) as sandbox:
        empty = await check(capsys, tmp_path, NEMO_API_BASE=sandbox.url, NEMOBOT_DB=url)
        assert empty.code == 0, empty.lines
        assert "empty (the first start applies schema" in empty.line("ok    database")
        async with await PostgresStore.open(url):  # a worker is running on it
            running = await check(capsys, tmp_path, NEMO_API_BASE=sandbox.url, NEMOBOT_DB=url)
        latest = len(pg_migrations())
        assert f"schema {latest} of {latest}" in running.line("ok    database")
        assert "1 other connection" in running.line("ok    database")
        gone = "postgresql://nemobot:pw-not-shown@127.0.0.1:9/nemobot"
        down = await check(capsys, tmp_path, NEMO_API_BASE=sandbox.url, NEMOBOT_DB=gone)
    assert down.code == 1
    assert "cannot reach PostgreSQL" in down.line("FAIL  database")
    assert "pw-not-shown" not in "\n".join(down.lines)
