"""The network ban over a pytest session: on in this process and in every child it starts.

`tests/conftest.py` calls `start` when the session begins, `check` after every test and
`stop` at the end. Children inherit the ban through the environment: `start` sets it in
this process's own `os.environ`, which `clean_env` and every other helper copy, so a new
helper that starts `python` needs nothing extra.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.netban import guard

__all__ = ["check", "start", "stop"]

SITE = Path(__file__).resolve().parent / "site"


@dataclass
class _Ban:
    log: Path
    saved: dict[str, str | None]
    read: int = 0


_active: list[_Ban] = []


def start() -> None:
    """Ban the network here and in every child started from now on."""
    guard.install()
    handle, name = tempfile.mkstemp(prefix="nemobot-netban-", suffix=".log")
    os.close(handle)
    keys = (guard.ON, guard.LOG, "PYTHONPATH")
    _active.append(_Ban(Path(name), {key: os.environ.get(key) for key in keys}))
    paths = [str(SITE), *filter(None, (os.environ.get("PYTHONPATH") or "").split(os.pathsep))]
    os.environ.update({guard.ON: "1", guard.LOG: name, "PYTHONPATH": os.pathsep.join(paths)})


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
