"""Local files are copied safely: regular files only, never past the cap."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.core.files import copy_capped
from bot.core.outbox import OutboxError, OutboxTooLarge


def test_a_regular_file_within_the_cap_is_copied(tmp_path: Path) -> None:
    source = tmp_path / "a.png"
    source.write_bytes(b"x" * 1000)
    assert copy_capped(source, tmp_path / "b.png", 1000).read_bytes() == b"x" * 1000


def test_a_file_over_the_cap_stops_at_the_cap(tmp_path: Path) -> None:
    source = tmp_path / "big.png"
    source.write_bytes(b"x" * 3_000_000)
    with pytest.raises(OutboxTooLarge):
        copy_capped(source, tmp_path / "out.png", 1_000_000)


def test_a_link_to_a_device_is_refused_at_once(tmp_path: Path) -> None:
    """A symlink to /dev/zero would be copied forever."""
    link = tmp_path / "zero.png"
    link.symlink_to("/dev/zero")
    with pytest.raises(OutboxError, match="not a regular file"):
        copy_capped(link, tmp_path / "out.png", 10**12)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.mp3"
    os.mkfifo(fifo)
    with pytest.raises(OutboxError, match="not a regular file"):
        copy_capped(fifo, tmp_path / "out.mp3", 10**6)


def test_a_missing_file_is_an_outbox_error(tmp_path: Path) -> None:
    with pytest.raises(OutboxError, match="cannot read"):
        copy_capped(tmp_path / "nope.png", tmp_path / "out.png", 10)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("/abs/path/photo.png", "photo.png"),
        ("..", "file"),
        ("", "file"),
        ("a\x00b.png", "a_b.png"),
        ("日落 (1).jpg", "日落 (1).jpg"),
        ("x" * 300 + ".png", "x" * 120),
    ],
)
def test_file_names_lose_every_path_and_odd_character(name: str, expected: str) -> None:
    """A user's file name can never point a temporary file outside its folder."""
    from bot.core.uploads import safe_name

    cleaned = safe_name(name)
    assert cleaned == expected
    assert "/" not in cleaned and "\\" not in cleaned and cleaned not in (".", "..")
