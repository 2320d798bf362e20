"""`nemobot doctor`: settings, NemoVideo, each platform, the database and ffmpeg, one line each.

Each line starts `ok` (green) or `FAIL` (red, saying what to fix); the exit code is 1 if any
line failed. A plain run spends nothing at NemoVideo; `--live` may (it says what first).
The platforms are asked directly with httpx rather than through PTB or discord.py: doctor
needs the raw answer (401 and 404 are different mistakes from no answer at all), not a
logged-in client, and one HTTP client serves every check.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx
import imageio_ffmpeg

from bot.config import Settings
from bot.core.root_router import build_registry
from bot.logs import redact
from bot.nemo import make_http_client
from bot.ops.nemo_check import check_backend, live_notice
from storage.inspect import Finding, inspect_database

__all__ = ["doctor"]

TELEGRAM_API = "https://api.telegram.org"
DISCORD_API = "https://discord.com"
# Application flags: the Message Content intent is on for a verified app (18) or an
# unverified one (19, "limited": under 100 servers).
GATEWAY_MESSAGE_CONTENT = 1 << 18
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19
_TIMEOUT = 10.0
_GREEN, _RED, _RESET = "\033[32m", "\033[31m", "\033[0m"


async def doctor(settings: Settings, *, live: bool = False) -> int:
    """Print one line per check (green ok / red FAIL); 1 if anything is broken, else 0.

    Nothing that costs is done unless `live`, and then it is said first (`bot.ops.nemo_check`).
    """
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    secrets = settings.secrets()
    notice = live_notice(settings) if live else None
    if notice:
        print(notice, flush=True)
    database = (
        [await _postgres(settings.postgres_url)]
        if settings.postgres_url
        else inspect_database(settings.sqlite_file)
    )
    local = [_settings(settings), *database, _ffmpeg()]
    _print(local, colour, secrets)
    async with make_http_client() as http:
        remote = await asyncio.gather(
            _nemo(http, settings, live), _telegram(http, settings), _discord(http, settings)
        )
    findings = [*local, *(finding for group in remote for finding in group)]
    _print(findings[len(local) :], colour, secrets)
    return 0 if all(finding.ok for finding in findings) else 1


def _print(findings: Iterable[Finding], colour: bool, secrets: tuple[str, ...]) -> None:
    for finding in findings:
        word = "ok" if finding.ok else "FAIL"
        pad = " " * (6 - len(word))
        if colour:
            word = f"{_GREEN if finding.ok else _RED}{word}{_RESET}"
        # Texts carry what servers answered; nothing token-shaped may reach the terminal.
        print(word + pad + redact(finding.text, secrets), flush=True)


def _settings(settings: Settings) -> Finding:
    platforms = ", ".join(settings.platforms) or "none (console only)"
    if settings.wants_sandbox:
        backend = "the built-in sandbox"
    elif settings.nemo_token:
        backend = f"{settings.api_base} with NEMO_TOKEN (shared by every user)"
    else:
        backend = f"{settings.api_base} with an anonymous token per user"
    return Finding(True, f"settings: valid; platforms: {platforms}; NemoVideo: {backend}")


def _ffmpeg() -> Finding:
    fix = "reinstall nemobot (it bundles imageio-ffmpeg) or set IMAGEIO_FFMPEG_EXE to an ffmpeg"
    try:
        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        return Finding(False, f"ffmpeg: {exc}")
    try:
        done = subprocess.run([exe, "-version"], capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return Finding(False, f"ffmpeg: {exe} does not run ({type(exc).__name__}); {fix}")
    words = done.stdout.decode(errors="replace").split()
    if done.returncode != 0 or words[:2] != ["ffmpeg", "version"] or len(words) < 3:
        return Finding(False, f"ffmpeg: {exe} is not a working ffmpeg; {fix}")
    return Finding(True, f"ffmpeg: version {words[2]} ({Path(exe).name})")


async def _postgres(url: str) -> Finding:
    """Reachable, and at which schema version (several workers may be running on it)."""
    import asyncpg  # only with PostgreSQL

    from storage._pg_core import pg_migrations

    latest = len(pg_migrations())
    try:
        conn = await asyncpg.connect(url, timeout=_TIMEOUT)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        return Finding(
            False,
            f"database: cannot reach PostgreSQL ({type(exc).__name__}: {exc}); "
            "check NEMOBOT_DB and that the server is up",
        )
    try:
        exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
        version = (
            await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations")
            if exists
            else 0
        )
        workers = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid != pg_backend_pid()"
        )
    finally:
        await conn.close()
    if version > latest:
        return Finding(
            False,
            f"database: PostgreSQL at schema {version}, newer than this "
            f"nemobot ({latest}); upgrade nemobot",
        )
    state = (
        f"schema {version} of {latest}"
        if version
        else f"empty (the first start applies schema {latest})"
    )
    return Finding(True, f"database: PostgreSQL, {state}, {workers} other connection(s)")


async def _nemo(http: httpx.AsyncClient, settings: Settings, live: bool) -> list[Finding]:
    return [await check_backend(http, settings, live=live)]


# --- Telegram ----------------------------------------------------------------------------


async def _get(
    http: httpx.AsyncClient, url: str, headers: Mapping[str, str] | None = None
) -> tuple[int, Any]:
    """Status and JSON body (None when the body is not JSON); raises httpx.HTTPError."""
    response = await http.get(url, headers=headers, timeout=_TIMEOUT)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, None


def _unreachable(platform: str, root: str, exc: httpx.HTTPError, variable: str) -> Finding:
    why = f"{type(exc).__name__}: {exc}".rstrip(": ")
    return Finding(
        False, f"{platform}: cannot reach {root} ({why}); check the network or {variable}"
    )


async def _telegram(http: httpx.AsyncClient, settings: Settings) -> list[Finding]:
    token = settings.telegram_token
    if not token:
        return []
    root = settings.telegram_api_base_url or TELEGRAM_API
    try:
        status, body = await _get(http, f"{root}/bot{token}/getMe")
        me = body.get("result") if isinstance(body, dict) and body.get("ok") else None
        if status in (401, 404):
            also = " (or check TELEGRAM_API_BASE_URL)" if settings.telegram_api_base_url else ""
            fix = f"copy it again from @BotFather into TELEGRAM_BOT_TOKEN{also}"
            return [Finding(False, f"Telegram: the token was refused ({status}); {fix}")]
        if status != 200 or not isinstance(me, dict):
            return [Finding(False, f"Telegram: getMe answered {status} ({_said(body)})")]
        found = [Finding(True, f"Telegram: token ok, bot @{me.get('username')}"), _privacy(me)]
        found.append(_inline(me))
        found.append(await _menu(http, f"{root}/bot{token}"))
        if settings.telegram_webhook_url:
            found.append(await _webhook(http, f"{root}/bot{token}", settings.telegram_webhook_url))
    except httpx.HTTPError as exc:
        return [_unreachable("Telegram", root, exc, "TELEGRAM_API_BASE_URL")]
    return found


def _said(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("description") or body.get("message") or "no description")
    return "not JSON"


def _privacy(me: Mapping[str, Any]) -> Finding:
    if me.get("can_read_all_group_messages"):
        return Finding(
            True,
            "Telegram: privacy mode off: the bot receives every group message "
            "(it still answers only mentions, replies and commands)",
        )
    return Finding(
        True,
        "Telegram: privacy mode on: in groups the bot works by mention, reply or command "
        "only, which is what nemobot answers",
    )


def _inline(me: Mapping[str, Any]) -> Finding:
    handle = f"@{me.get('username')}"
    if me.get("supports_inline_queries"):
        return Finding(
            True,
            f"Telegram: inline mode on: {handle} <description> works in any chat (it needs "
            "inline feedback on too: @BotFather /setinlinefeedback, which getMe cannot show)",
        )
    return Finding(
        True,
        f"Telegram: inline mode off (optional): @BotFather /setinline and /setinlinefeedback "
        f"let people use {handle} in any chat",
    )


async def _menu(http: httpx.AsyncClient, method_root: str) -> Finding:
    """The command menu as Telegram shows it, against the registry's commands."""
    status, body = await _get(http, f"{method_root}/getMyCommands")
    shown = body.get("result") if isinstance(body, dict) else None
    if status != 200 or not isinstance(shown, list):
        return Finding(False, f"Telegram: getMyCommands answered {status} ({_said(body)})")
    published = {item.get("command") for item in shown if isinstance(item, dict)}
    wanted = [spec.name for spec in build_registry().menu]
    missing = [name for name in wanted if name not in published]
    if not missing:
        return Finding(True, "Telegram: command menu: /" + ", /".join(wanted))
    return Finding(
        True,
        f"Telegram: command menu without /{', /'.join(missing)} yet; `nemobot run` publishes it",
    )


async def _webhook(http: httpx.AsyncClient, method_root: str, wanted: str) -> Finding:
    status, body = await _get(http, f"{method_root}/getWebhookInfo")
    info = body.get("result") if isinstance(body, dict) else None
    if status != 200 or not isinstance(info, dict):
        return Finding(False, f"Telegram webhook: getWebhookInfo answered {status} ({_said(body)})")
    url, pending = info.get("url") or "", info.get("pending_update_count") or 0
    error = info.get("last_error_message")
    if url != wanted:
        now = f"points at {url}" if url else "is not set"
        return Finding(True, f"Telegram webhook: {now}; `nemobot run` sets it to {wanted}")
    if error and pending:
        return Finding(
            False,
            f"Telegram webhook: {pending} updates waiting, the last delivery failed ({error}); "
            f"make {wanted} reach this host at TELEGRAM_WEBHOOK_LISTEN",
        )
    return Finding(True, f"Telegram webhook: {wanted}, {pending} updates waiting")


# --- Discord -----------------------------------------------------------------------------


async def _discord(http: httpx.AsyncClient, settings: Settings) -> list[Finding]:
    token = settings.discord_token
    if not token:
        return []
    root = settings.discord_api_base_url or DISCORD_API
    api, headers = f"{root}/api/v10", {"Authorization": f"Bot {token}"}
    found: list[Finding] = []
    try:
        status, me = await _get(http, f"{api}/users/@me", headers)
        if status == 401:
            fix = "reset it in the developer portal (Bot → Reset Token) into DISCORD_BOT_TOKEN"
            return [Finding(False, f"Discord: the token was refused (401); {fix}")]
        if status != 200 or not isinstance(me, dict):
            return [Finding(False, f"Discord: /users/@me answered {status} ({_said(me)})")]
        found.append(Finding(True, f"Discord: token ok, logged in as {me.get('username')}"))
        status, app = await _get(http, f"{api}/applications/@me", headers)
        if status != 200 or not isinstance(app, dict):
            found.append(Finding(False, f"Discord: /applications/@me answered {status}"))
            return found
        found.append(_content_intent(app))
        status, commands = await _get(http, f"{api}/applications/{app.get('id')}/commands", headers)
        found.append(_commands(status, commands))
    except httpx.HTTPError as exc:
        found.append(_unreachable("Discord", root, exc, "DISCORD_API_BASE_URL"))
    return found


def _content_intent(app: Mapping[str, Any]) -> Finding:
    flags = app.get("flags")
    if isinstance(flags, int) and flags & (
        GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED
    ):
        return Finding(True, "Discord: the Message Content intent is enabled")
    return Finding(
        False,
        "Discord: the Message Content intent is off, so the bot sees only mentions, DMs and "
        "slash commands; enable it in the developer portal (Bot → Privileged Gateway Intents "
        "→ Message Content Intent)",
    )


def _commands(status: int, body: Any) -> Finding:
    if status != 200 or not isinstance(body, list):
        return Finding(False, f"Discord: listing the slash commands answered {status}")
    registered = {command.get("name") for command in body if isinstance(command, dict)}
    wanted = _discord_command_names()
    missing = [name for name in wanted if name not in registered]
    if not missing:
        return Finding(True, "Discord: slash commands registered: /" + ", /".join(wanted))
    return Finding(
        True,
        f"Discord: slash commands /{', /'.join(missing)} not registered yet; "
        "`nemobot run` syncs them when it starts",
    )


def _discord_command_names() -> list[str]:
    """What the adapter syncs, read from the adapter's own command tree."""
    # Imported here: discord.py costs a noticeable start-up time and only this check needs it.
    import discord

    from adapters.dc.commands import install_commands, tree_for

    async def unused(*_: object, **__: object) -> None:
        """Never runs: the tree is only read."""

    # A client that never connects: its start-up warnings (no voice libraries, no guilds
    # intent) are about a connection doctor does not make.
    chatter = logging.getLogger("discord")
    level = chatter.level
    chatter.setLevel(logging.ERROR)
    try:
        tree = tree_for(discord.Client(intents=discord.Intents.none()))
    finally:
        chatter.setLevel(level)
    install_commands(tree, unused, build_registry())
    return [command.name for command in tree.get_commands()]
