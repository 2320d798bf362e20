"""The network ban over a pytest session: on in this process and in every child it starts.

`tests/conftest.py` calls `start` when the session begins, `check` after every test and
`stop` at the end. Children inherit the ban through the environment: `start` sets it in
this process's own `os.environ`, which `clean_env` and every other helper copy, so a new
helper that starts `python` needs nothing extra.
"""

from __future__ import annotations

import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.netban import guard

__all__ = ["check", "named_servers", "start", "stop"]

SITE = Path(__file__).resolve().parent / "site"


@dataclass
class _Ban:
    log: Path
    saved: dict[str, str | None]
    read: int = 0


_active: list[_Ban] = []


def named_servers(url: str) -> list[str]:
    """The host a PostgreSQL URL names, with its addresses; none for a socket folder."""
    host = urlsplit(url).hostname
    if not host or host.startswith("/") or guard.allowed_host(host, guard.loopback_names()):
        return []
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        addresses = set()
    return [host, *sorted(addresses - {host})]


def start() -> None:
    """Ban the network here and in every child started from now on."""
    # The server NEMOBOT_TEST_POSTGRES_URL names was chosen by whoever runs the tests.
    allow = named_servers(os.environ.get("NEMOBOT_TEST_POSTGRES_URL", ""))
    guard.install(allow=allow)
    handle, name = tempfile.mkstemp(prefix="nemobot-netban-", suffix=".log")
    os.close(handle)
    keys = (guard.ON, guard.LOG, guard.ALLOW, "PYTHONPATH")
    _active.append(_Ban(Path(name), {key: os.environ.get(key) for key in keys}))
    paths = [str(SITE), *filter(None, (os.environ.get("PYTHONPATH") or "").split(os.pathsep))]
    pythonpath = os.pathsep.join(paths)
    os.environ.update({guard.ON: "1", guard.LOG: name, guard.ALLOW: ",".join(allow)})
    os.environ["PYTHONPATH"] = pythonpath


def check() -> list[str]:
    """Every refusal since the last check, in this process and in its children."""
    found = guard.take_violations()
    for ban in _active:
        text = ban.log.read_text(encoding="utf-8", errors="replace")
        found += text[ban.read :].splitlines()
        ban.read = len(text)
    return found


def stop() -> None:
    """Take the ban off and put the environment back."""
    guard.uninstall()
    while _active:
        ban = _active.pop()
        for key, value in ban.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        ban.log.unlink(missing_ok=True)
