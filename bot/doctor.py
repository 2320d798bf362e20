"""`nemobot doctor`: check settings, storage, ffmpeg and the backend, one line each."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import imageio_ffmpeg

from bot.app import client_config
from bot.config import Settings
from bot.nemo import Auth, NemoClient, make_http_client
from bot.nemo.errors import NemoError
from storage.inspect import inspect_database

__all__ = ["doctor"]


async def doctor(settings: Settings) -> int:
    """Print what works and what does not; exit code 1 if anything is broken."""
    problems = 0

    def report(ok: bool, what: str) -> None:
        nonlocal problems
        problems += not ok
        print(("ok    " if ok else "FAIL  ") + what)

    report(True, f"platforms: {', '.join(settings.platforms) or 'console only'}")
    for finding in inspect_database(Path(settings.db_path)):
        report(finding.ok, finding.text)
    try:
        report(True, f"ffmpeg: {Path(imageio_ffmpeg.get_ffmpeg_exe()).name}")
    except RuntimeError as exc:
        report(False, f"ffmpeg: {exc}")
    if settings.wants_sandbox:
        report(True, "backend: the built-in sandbox (set NEMO_TOKEN for the real API)")
        return 1 if problems else 0
    async with make_http_client() as http:
        # A check answers at once: no waiting out a 429.
        config = replace(client_config(settings), retry_after_seconds=0)
        client = NemoClient(http, config)
        try:
            if settings.nemo_token:
                balance = await client.credits(Auth(settings.nemo_token))
                report(True, f"backend {settings.api_base}: token ok, {balance.available} credits")
            else:
                await client.anonymous_token("nemobot-doctor")
                report(True, f"backend {settings.api_base}: reachable")
        except NemoError as exc:
            report(False, f"backend {settings.api_base}: {type(exc).__name__}: {exc.message}")
    return 1 if problems else 0
