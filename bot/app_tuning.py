"""Process-wide interpreter settings for a bot process (the CLI and the benchmarks use them)."""

from __future__ import annotations

import sys

__all__ = ["SWITCH_INTERVAL", "tune_interpreter"]

# aiosqlite runs each statement on its own thread, which must win the GIL back from a busy
# event loop; Python hands it over every 5 ms by default, which is what a message would wait
# per statement under a crowd (bench/RESULTS.md). 0.5 ms keeps the store's thread moving.
SWITCH_INTERVAL = 0.0005


def tune_interpreter() -> None:
    """Apply the settings; call once, before the event loop starts."""
    sys.setswitchinterval(SWITCH_INTERVAL)
