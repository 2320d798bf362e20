"""Every way the database file can be unusable: one line naming it, exit code 2, doctor red."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.console.cli_support import Run, clean_env, nemobot


def _assert_one_clear_line(run: Run, *, names: Path, says: str) -> None:
    assert run.code == 2, (run.code, run.err)
    lines = [line for line in run.err.splitlines() if line.startswith("nemobot: ")]
    assert len(lines) == 1, run.err
    assert str(names) in lines[0] and says in lines[0], lines[0]
    assert "Traceback" not in run.err


async def _chat(cwd: Path, db: Path, **env: str) -> Run:
    return await nemobot(cwd, b"/help\n", "chat", NEMOBOT_DB=str(db), **env)


async def _doctor_fails_on(cwd: Path, db: Path, says: str) -> None:
    doctor = await nemobot(cwd, b"", "doctor", NEMOBOT_DB=str(db))
    assert doctor.code == 1, doctor.out
    assert any(line.startswith("FAIL") and says in line for line in doctor.out.splitlines()), (
        doctor.out
    )


async def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    db = tmp_path / "nemobot.db"
    db.write_bytes(b"this is a shopping list, not a database\n" * 200)
    _assert_one_clear_line(await _chat(tmp_path, db), names=db, says="is not a nemobot database")
    await _doctor_fails_on(tmp_path, db, "is not a nemobot database")


async def test_a_damaged_database(tmp_path: Path) -> None:
    db = tmp_path / "nemobot.db"
    ok = await _chat(tmp_path, db)
    assert ok.code == 0, ok.err
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xde\xad" * ((4096 - 100) // 2)  # the header's tail and the first pages
    db.write_bytes(bytes(data))
    for leftover in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        leftover.unlink(missing_ok=True)
    run = await _chat(tmp_path, db)
    _assert_one_clear_line(run, names=db, says="damaged")
    await _doctor_fails_on(tmp_path, db, str(db))


async def test_a_folder_instead_of_a_file(tmp_path: Path) -> None:
    db = tmp_path / "data"
    db.mkdir()
    _assert_one_clear_line(await _chat(tmp_path, db), names=db, says="is a folder")
    await _doctor_fails_on(tmp_path, db, "is a folder")


async def test_a_path_under_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("hello")
    db = blocker / "nemobot.db"
    _assert_one_clear_line(await _chat(tmp_path, db), names=db, says="is a file, not a folder")
    await _doctor_fails_on(tmp_path, db, "is a file, not a folder")


def _read_only(path: Path) -> None:
    """Make `path` unwritable even for root (the immutable attribute), else by its mode."""
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot make {path} read-only as root here: {done.stderr.decode()}")
    else:
        path.chmod(0o555 if path.is_dir() else 0o444)


def _writable_again(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    path.chmod(0o755 if path.is_dir() else 0o644)


async def test_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "nemobot.db"
    _read_only(folder)
    try:
        run = await _chat(tmp_path, db)
        _assert_one_clear_line(run, names=folder, says="not writable")
        await _doctor_fails_on(tmp_path, db, "not writable")
    finally:
        _writable_again(folder)


async def test_a_read_only_file(tmp_path: Path) -> None:
    db = tmp_path / "nemobot.db"
    sqlite3.connect(db).close()
    _read_only(db)
    try:
        run = await _chat(tmp_path, db)
        _assert_one_clear_line(run, names=db, says="read-only")
        await _doctor_fails_on(tmp_path, db, "read-only")
    finally:
        _writable_again(db)


async def test_a_database_locked_by_another_program(tmp_path: Path) -> None:
    db = tmp_path / "nemobot.db"
    assert (await _chat(tmp_path, db)).code == 0
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        run = await _chat(tmp_path, db)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _assert_one_clear_line(run, names=db, says="locked by another program")


async def test_a_second_nemobot_on_the_same_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "nemobot.db"
    first = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "chat",
        cwd=tmp_path,
        env=clean_env(NEMOBOT_DB=str(db)),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert first.stdin is not None and first.stdout is not None
    first.stdin.write(b"/help\n")
    await first.stdin.drain()
    async with asyncio.timeout(60):
        while b"What I understand" not in await first.stdout.readline():
            pass
    try:
        second = await _chat(tmp_path, db)
        _assert_one_clear_line(second, names=db, says=f"another nemobot (pid {first.pid})")
        doctor = await nemobot(tmp_path, b"", "doctor", NEMOBOT_DB=str(db))
        assert f"in use by a running nemobot (pid {first.pid})" in doctor.out
    finally:
        first.stdin.close()
        await first.wait()
