"""`python -m bench.profile_split FILE`: where a bot's CPU went, by area, from a cProfile dump.

`bench.botproc --profile FILE` writes the dump (the serving thread: turns, replies, renders;
the accepting thread is not in it). Each function's own time (tottime) is summed by the
area its file belongs to, so the table adds up to the whole profile.
"""

from __future__ import annotations

import argparse
import pstats
from collections import Counter

__all__ = ["main", "split"]

# First match wins: (area, a fragment of the file path).
AREAS = (
    ("engine: bot/core", "/bot/core/"),
    ("NemoVideo client: bot/nemo", "/bot/nemo/"),
    ("the store: storage", "/storage/"),
    ("benchmark harness: bench", "/bench/"),
    ("bot (other)", "/bot/"),
    ("httpx / httpcore / h11 (HTTP client)", "/httpx/"),
    ("httpx / httpcore / h11 (HTTP client)", "/httpcore/"),
    ("httpx / httpcore / h11 (HTTP client)", "/h11/"),
    ("httpx-sse", "/httpx_sse/"),
    ("aiohttp (bench front door)", "/aiohttp/"),
    ("aiosqlite (hand-off to the database thread)", "/aiosqlite/"),
    ("anyio / sniffio", "/anyio/"),
    ("json", "/json/"),
    ("ssl / socket / selectors", "/selectors.py"),
    ("asyncio event loop", "/asyncio/"),
    ("logging", "/logging/"),
)


def split(path: str) -> list[tuple[str, float]]:
    """Own time per area, largest first, in seconds."""
    stats = pstats.Stats(path)
    areas: Counter[str] = Counter()
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    raw = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        area = next((label for label, part in AREAS if part in filename), None)
        if area is None:
            area = "built-ins (C: sockets, sqlite3, json…)" if filename == "~" else "other Python"
            if filename == "~" and "select" in name:
                area = "waiting in select (idle)"
        areas[area] += tottime
    return areas.most_common()


def main(argv: list[str] | None = None) -> None:
    """Print the split as a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    args = parser.parse_args(argv)
    rows = split(args.file)
    busy = sum(seconds for area, seconds in rows if not area.startswith("waiting"))
    print("| area | own CPU | share of busy |\n|---|---:|---:|")
    for area, seconds in rows:
        share = "—" if area.startswith("waiting") else f"{seconds / busy:.0%}"
        print(f"| {area} | {seconds:.1f} s | {share} |")


if __name__ == "__main__":
    main()
