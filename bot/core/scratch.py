"""Temporary files of one bot process, in one folder a later start can clean up.

A process killed mid-download leaves its files behind; each process works under
`<tmp>/nemobot-run-<pid>-…`, so the next start removes the folders of processes that are gone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

__all__ = ["Scratch"]

log = logging.getLogger(__name__)

_PREFIX = "nemobot-run-"
# Folders of versions before this one (no pid in their name): removed once this old.
_LEGACY = ("nemobot-img-", "nemobot-render-", "nemobot-up-")
_LEGACY_AGE = 3600.0
# Folders made by this process. In a container the bot has the same pid on every start, so
# a folder named with our pid that we did not make was left by an earlier run.
_MADE_HERE: set[str] = set()


class Scratch:
    """This process's folder of temporary files."""

    def __init__(self, base: Path | None = None) -> None:
        self._base = base or Path(tempfile.gettempdir())
        self._root: Path | None = None

    def folder(self, prefix: str) -> tempfile.TemporaryDirectory[str]:
        """A fresh folder for one job, removed when the `with` block ends."""
        if self._root is None or not self._root.is_dir():
            self._root = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=self._base))
            _MADE_HERE.add(self._root.name)
        return tempfile.TemporaryDirectory(prefix=prefix, dir=self._root)

    def sweep(self) -> int:
        """Remove the folders left by processes that no longer run; returns how many."""
        removed = 0
        for path in self._base.glob(f"{_PREFIX}*"):
            pid = path.name[len(_PREFIX) :].split("-", 1)[0]
            if pid.isdigit() and _left_behind(path, int(pid)) and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        cutoff = time.time() - _LEGACY_AGE
        for prefix in _LEGACY:
            for path in self._base.glob(f"{prefix}*"):
                with contextlib.suppress(OSError):
                    if path.is_dir() and path.stat().st_mtime < cutoff:
                        shutil.rmtree(path, ignore_errors=True)
                        removed += 1
        if removed:
            log.info("removed %d temporary folder(s) left by earlier runs", removed)
        return removed


def _left_behind(path: Path, pid: int) -> bool:
    if pid == os.getpid():
        return path.name not in _MADE_HERE
    return not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
