"""Logging that never leaks: one line per event, tokens masked, tracebacks dropped, people
named only by a keyed hash (`pseudonym`).

Lines are `key=value` (the default) or JSON objects (`NEMOBOT_LOG_FORMAT=json`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

__all__ = [
    "JsonFormatter",
    "KeyValueFormatter",
    "RedactingFilter",
    "log_to_file",
    "pseudonym",
    "redact",
    "setup_logging",
]

MASK = "[redacted]"
# Most specific first: a NemoVideo token's pattern would swallow the digits of a Telegram
# token written right after it.
_PATTERNS = (
    # Telegram bot tokens, also inside URLs, where the colon may be percent-encoded.
    re.compile(r"\d{6,12}(?::|%3[Aa])[A-Za-z0-9_\-]{30,}"),
    re.compile(r"[MN][A-Za-z\d_\-]{23,25}\.[A-Za-z\d_\-]{6}\.[A-Za-z\d_\-]{27,}"),  # Discord
    re.compile(r"nmv_[A-Za-z]+_[A-Za-z0-9_\-]+"),  # NemoVideo tokens
    re.compile(r"(?i)(bearer\s+)[^\s\"',]+"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret and anything token-shaped masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK).replace(quote(secret, safe=""), MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(
            lambda m: (m.group(1) + MASK) if m.re.groups else MASK,
            text,
        )
    return text


_pseudonym_key = b"nemobot"


def pseudonym(value: object) -> str:
    """A short stand-in for a user or chat id: the same id gives the same name, but the id
    cannot be read back (the key comes from this installation's secrets)."""
    digest = hashlib.blake2b(str(value).encode(), key=_pseudonym_key, digest_size=5)
    return "u-" + digest.hexdigest()


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with secrets masked and no traceback attached."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            message = f"{message} ({type(error).__name__}: {error})"
        record.msg = redact(message, self._secrets)
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def _fields(record: logging.LogRecord) -> dict[str, str]:
    when = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return {
        "time": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }


_BARE = re.compile(r"[^\s\"=\\]+")


class KeyValueFormatter(logging.Formatter):
    """`time=… level=info logger=bot.core.engine msg="…"`: one line, whatever the message."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of `key=value` pairs (values quoted when they need it)."""
        return " ".join(
            f"{key}={value if _BARE.fullmatch(value) else json.dumps(value, ensure_ascii=False)}"
            for key, value in _fields(record).items()
        )


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, msg."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON object."""
        return json.dumps(_fields(record), ensure_ascii=False)


def setup_logging(level: str = "INFO", secrets: Iterable[str] = (), log_format: str = "kv") -> None:
    """Configure the root logger once: one line per record, redacted, to stderr."""
    global _pseudonym_key
    secrets = tuple(secrets)
    if secrets:
        _pseudonym_key = hashlib.blake2b("\0".join(sorted(secrets)).encode()).digest()[:32]
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else KeyValueFormatter())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; Telegram URLs carry the bot token.
    for noisy in ("httpx", "httpcore", "aiohttp.access", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def log_to_file(path: Path) -> None:
    """Move the log from stderr to `path` (created 0600, appended to), formats and masks kept.

    The console chat calls this when stderr is its terminal: log lines must not land in the
    middle of the conversation.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    handler = logging.FileHandler(path, encoding="utf-8")
    root = logging.getLogger()
    for old in root.handlers:
        handler.setFormatter(old.formatter or KeyValueFormatter())
        for found in old.filters:
            handler.addFilter(found)
    root.handlers[:] = [handler]
