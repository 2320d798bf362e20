"""Gateway events discord.py cannot read are skipped, not fatal.

discord.py parses each dispatch inside its gateway loop; a parser that raises (a field a
Discord-compatible server leaves out, or words differently) ends the shard's loop, and
`AutoShardedClient` then stops the whole client. Each parser is wrapped so that such an
event is logged by its name only (never its content) and the connection goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

__all__ = ["guard_parsers"]

log = logging.getLogger(__name__)

Parser = Callable[[Any], None]


def guard_parsers(parsers: dict[str, Parser]) -> None:
    """Make every event parser in `parsers` (discord.py's table, changed in place) skip and
    log an event it cannot read instead of raising."""
    for name, parse in list(parsers.items()):
        parsers[name] = _guarded(name, parse)


def _guarded(name: str, parse: Parser) -> Parser:
    def guarded(data: Any) -> None:
        try:
            parse(data)
        except Exception as exc:  # noqa: BLE001 - one unreadable event must not end the gateway
            log.warning(
                "skipped a Discord %s event: discord.py cannot read it (%s)",
                name,
                type(exc).__name__,
            )

    return guarded
