"""The database file on disk: where it may live, its mode, and the one-process lock."""

from __future__ import annotations

import fcntl
import logging
import os
import stat
from pathlib import Path

from .errors import StoreOpenError

__all__ = [
    "ProcessLock",
    "check_location",
    "create_private_file",
    "lock_holder",
    "lock_path",
    "tighten",
]

log = logging.getLogger(__name__)


def lock_path(path: Path) -> Path:
    """The lock file beside the database."""
    return path.with_name(path.name + ".lock")


def check_location(path: Path) -> None:
    """Refuse, with what to do, a path that cannot hold the database."""
    if path.is_dir():
        raise StoreOpenError(
            f"{path} is a folder, not a database file; set NEMOBOT_DB to a file in it, "
            f"e.g. {path / 'nemobot.db'}"
        )
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise StoreOpenError(f"cannot create {path}: {ancestor} is a file, not a folder")
    folder = path.parent if path.parent.exists() else ancestor
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreOpenError(
            f"the folder {folder} is not writable by this user; the database {path.name} "
            "and its journal files need it (fix its permissions or point NEMOBOT_DB elsewhere)"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StoreOpenError(
            f"{path} is read-only for this user; make it writable (chmod u+rw) or point "
            "NEMOBOT_DB elsewhere"
        )


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists (SQLite then uses it as a new DB)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        # The umask can only remove bits, but an odd umask could leave the owner unable to write.
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def tighten(path: Path) -> None:
    """Give the database (and its journal files) mode 0600 if they are open to others."""
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            candidate.chmod(0o600)
            log.warning("%s was readable by others (mode %o); it is now 0600", candidate, mode)


class ProcessLock:
    """An exclusive lock on `<db>.lock`, held for the life of the process that opened it."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def take(cls, path: Path) -> ProcessLock:
        """Take the database's lock, or raise StoreOpenError naming the process holding it."""
        target = lock_path(path)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreOpenError(f"cannot create the lock file {target} ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise StoreOpenError(
                f"{path} is in use by another nemobot (pid {holder}); one SQLite database "
                "serves one process — stop the other one, or use PostgreSQL for several workers"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        return cls(fd)

    def release(self) -> None:
        """Give the lock up (closing the file releases it); safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def lock_holder(path: Path) -> str | None:
    """The pid holding the database's lock, or None when nobody does."""
    target = lock_path(path)
    try:
        fd = os.open(target, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.read(fd, 32).decode(errors="replace").strip() or "?"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
