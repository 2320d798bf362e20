"""Process-wide interpreter settings for a bot process (the CLI and the benchmarks use them)."""

from __future__ import annotations

import gc
import sys

__all__ = ["FULL_COLLECTION_EVERY", "SWITCH_INTERVAL", "tune_interpreter"]

# A store's thread (aiosqlite's, the accepting thread's writer) gives up the GIL inside
# every sqlite3 call and must win it back from a busy event loop each time: ~20 times for
# one message stored. Python hands it over every 5 ms by default, which under a crowd made
# a single write take tens of milliseconds. With the other changes of bench/RESULTS.md's
# arrival paragraph, 0.1 ms rather than 0.5 ms took the acknowledgement p99 of 1,000
# arrivals in 10 s from 64-104 ms to 31-48 ms (with and without rare full collections), for
# ~6 % more of the bot's CPU there (15.1 s against 14.2 s).
SWITCH_INTERVAL = 0.0001
# A full collection holds the GIL for tens of milliseconds, stopping every thread (the
# accepting one too); Python's default runs one about every 100 young ones. Ten times
# rarer, with what was loaded at start (the libraries) never scanned again (`gc.freeze`),
# such pauses touch a tenth as many acknowledgements.
FULL_COLLECTION_EVERY = 100


def tune_interpreter() -> None:
    """Apply the settings; call once, after the bot's modules are imported and before the
    event loop starts."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
