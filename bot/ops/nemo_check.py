"""`nemobot doctor`'s NemoVideo lines: is the backend there, and what does NEMO_TOKEN hold.

A plain run spends nothing. No anonymous token is minted: the backend hands each IP only
about ten a week, and a doctor run from cron would take them from real users. Instead the
balance is asked for without a token, which a NemoVideo backend refuses (401) and so shows
it is there. With NEMO_TOKEN set, that token's balance is read, which is free.
`nemobot doctor --live` also mints one anonymous token, and says so before it does.
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import replace

import httpx

from bot.config import Settings
from bot.nemo import Auth, NemoClient
from bot.nemo.errors import NemoAuthError, NemoError, NemoUnavailable, RateLimited, TokenRefused
from bot.wiring import client_config
from storage.inspect import Finding

__all__ = ["PROBE", "check_backend", "live_notice"]

PROBE = "/api/credits/balance/simple"  # answers 401 without a token, and costs nothing
_TIMEOUT = 10.0


def live_notice(settings: Settings) -> str | None:
    """What `doctor --live` is about to spend, or None when it spends nothing more."""
    if settings.wants_sandbox or settings.nemo_token:
        return None
    return (
        f"doctor --live: asks {settings.api_base} for one anonymous token (each IP gets about "
        "ten a week; the same one again on the next --live run from this host); "
        "no credits are spent"
    )


async def check_backend(http: httpx.AsyncClient, settings: Settings, *, live: bool) -> Finding:
    """One line about NemoVideo; only with `live` (and no NEMO_TOKEN) is a token minted."""
    if settings.wants_sandbox:
        return Finding(True, "backend: the built-in sandbox (set NEMO_TOKEN for the real API)")
    where = f"backend {settings.api_base}"
    # A check answers at once: no waiting out a 429.
    client = NemoClient(http, replace(client_config(settings), retry_after_seconds=0))
    try:
        if settings.nemo_token:
            balance = await client.credits(Auth(settings.nemo_token))
            return _balance(where, balance.available, settings)
        reached = await _reachable(http, settings.api_base)
        if not live or not reached.ok:
            return reached
        await client.anonymous_token(_doctor_client_id())
    except NemoError as exc:
        return Finding(False, f"{where}: {_nemo_problem(exc, settings)}")
    return Finding(True, f"{where}: reachable, it hands out anonymous tokens (one asked for)")


async def _reachable(http: httpx.AsyncClient, api_base: str) -> Finding:
    where = f"backend {api_base}"
    try:
        status = (await http.get(f"{api_base}{PROBE}", timeout=_TIMEOUT)).status_code
    except httpx.HTTPError as exc:
        why = f"{type(exc).__name__}: {exc}".rstrip(": ")
        return Finding(False, f"{where}: {_unavailable(why)}")
    if status in (200, 401, 403):
        return Finding(
            True,
            f"{where}: reachable; users get anonymous tokens as they come "
            "(`nemobot doctor --live` asks for one to check)",
        )
    if status == 429:
        return Finding(False, f"{where}: {_BUSY}")
    if status >= 500:
        return Finding(False, f"{where}: {_unavailable(f'HTTP {status}')}")
    return Finding(
        False, f"{where}: no NemoVideo API here ({status} for {PROBE}); check NEMO_API_BASE"
    )


def _balance(where: str, available: int, settings: Settings) -> Finding:
    if available > 0:
        return Finding(True, f"{where}: token ok, {available} credits left (shared)")
    return Finding(
        False,
        f"{where}: token ok, but 0 credits left for every user; top up at "
        f"{settings.nemo_web_base} or set NEMO_TOKEN to another account's token",
    )


def _doctor_client_id() -> str:
    """A UUID of this host's own: `--live` runs renew one token instead of taking more."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"nemobot-doctor.{socket.gethostname()}"))


_BUSY = "busy (429, too many requests); run nemobot doctor again in a minute"


def _unavailable(detail: str) -> str:
    return f"unavailable ({detail}); check NEMO_API_BASE and the network, or try later"


def _nemo_problem(exc: NemoError, settings: Settings) -> str:
    if isinstance(exc, NemoAuthError):
        return (
            f"NEMO_TOKEN was refused ({exc.message}); copy a valid token from "
            f"{settings.nemo_web_base} into NEMO_TOKEN"
        )
    if isinstance(exc, NemoUnavailable):
        cause = exc.__cause__
        return _unavailable(
            f"{type(cause).__name__}: {cause}".rstrip(": ") if cause else exc.message
        )
    if isinstance(exc, RateLimited):
        return _BUSY
    if isinstance(exc, TokenRefused):
        return f"no anonymous token for this host ({exc.message}); set NEMO_TOKEN"
    return f"{type(exc).__name__}: {exc.message}"
