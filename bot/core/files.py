"""Copying a user's local file safely: regular files only, never more than a cap."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bot.core.outbox import OutboxError, OutboxTooLarge

__all__ = ["copy_capped"]

_CHUNK = 1024 * 1024


def copy_capped(source: Path, dest: Path, limit: int) -> Path:
    """Copy `source` to `dest` (blocking: run it in a thread).

    Devices, FIFOs and sockets are refused (a link to /dev/zero would never end, a FIFO would
    block), and the copy stops with `OutboxTooLarge` as soon as it passes `limit` bytes.
    """
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise OutboxError(f"cannot read {source.name}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as src:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OutboxError(f"{source.name} is not a regular file")
        written = 0
        with dest.open("wb") as out:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise OutboxTooLarge(f"{source.name} is over {limit} bytes")
                out.write(chunk)
    return dest
