"""Hypothesis settings for the property tests: random, bounded, and nothing written to the repo."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis keeps caches (unicode tables, collected constants) in ./.hypothesis even with
# no example database: keep them out of the repository unless the caller chose a place.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "nemobot-hypothesis")

# database=None: no example database. Random on purpose (not derandomized). Health checks
# stay on; a test that needs one off says so in its own @settings.
settings.register_profile("nemobot-property", database=None, max_examples=200)
settings.load_profile("nemobot-property")
