"""The interpreter settings of a bot process (`bot.app_tuning`), checked in a fresh one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.app_tuning import FULL_COLLECTION_EVERY, SWITCH_INTERVAL

_REPORT = (
    "import gc, json, sys; from bot.app_tuning import tune_interpreter; tune_interpreter(); "
    "print(json.dumps([sys.getswitchinterval(), gc.get_threshold()[2], gc.get_freeze_count()]))"
)


def test_a_tuned_process_switches_often_and_collects_fully_seldom() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _REPORT], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    interval, full_every, frozen = json.loads(out)
    assert interval == pytest.approx(SWITCH_INTERVAL) and SWITCH_INTERVAL < 0.005  # default 5 ms
    assert full_every == FULL_COLLECTION_EVERY > 10  # and one full collection per 10 middle
    assert frozen > 10_000  # what was loaded at start is never scanned again
