"""Temporary folders: each run cleans up what killed runs left, never what a live one uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.core.scratch import Scratch


def test_a_folder_in_use_survives_a_sweep(tmp_path: Path) -> None:
    scratch = Scratch(tmp_path)
    with scratch.folder("job-") as job:
        (Path(job) / "part").write_bytes(b"x")
        assert Scratch(tmp_path).sweep() == 0
        assert (Path(job) / "part").exists()


def test_folders_of_a_dead_process_are_removed(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = tmp_path / f"nemobot-run-{done.stdout.strip()}-abc"
    (dead / "job").mkdir(parents=True)
    assert Scratch(tmp_path).sweep() == 1
    assert not dead.exists()


def test_a_folder_with_our_pid_that_we_did_not_make_is_from_an_earlier_run(
    tmp_path: Path,
) -> None:
    """In a container every start has the same pid: the name alone proves nothing."""
    earlier = tmp_path / f"nemobot-run-{os.getpid()}-old"
    (earlier / "job").mkdir(parents=True)
    scratch = Scratch(tmp_path)
    with scratch.folder("job-"):
        assert scratch.sweep() == 1
        assert not earlier.exists()
        assert len(list(tmp_path.glob("nemobot-run-*"))) == 1  # ours stays
