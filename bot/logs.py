"""Logging that never leaks: tokens are masked and tracebacks are dropped from every line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

__all__ = ["RedactingFilter", "redact", "setup_logging"]

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


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once: one line per record, redacted, to stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; Telegram URLs carry the bot token.
    for noisy in ("httpx", "httpcore", "aiohttp.access", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
