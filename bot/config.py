"""One immutable settings object, read from the environment and an optional `.env` file."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.core.allowances import parse_allowance
from bot.core.stars import Pack, parse_packs
from storage.opening import is_postgres, sqlite_path
from storage.records import KINDS, Quota

__all__ = [
    "DEFAULT_API_BASE",
    "ConfigError",
    "DiscordConfig",
    "Settings",
    "TelegramConfig",
    "load_settings",
]

DEFAULT_API_BASE = "https://mega-api-prod.nemovideo.ai"
DEFAULT_WEB_BASE = "https://nemovideo.com"
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_POLL_SECONDS = 30.0
_SANDBOX_POLL_SECONDS = 2.0

T = TypeVar("T")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names every offending variable."""


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """What the Telegram adapter is configured with."""

    token: str
    api_base_url: str | None = None  # another Bot API server (a self-hosted one)
    local_mode: bool = False  # that server runs with --local
    webhook_url: str | None = None  # webhook mode instead of long polling
    webhook_secret: str | None = None
    webhook_listen: tuple[str, int] = ("0.0.0.0", 8443)
    answer_only: bool = False  # role worker: answer through the API, receive nothing


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    """What the Discord adapter is configured with."""

    token: str
    spool_dir: Path  # where attachments wait (shared by all workers)
    api_base_url: str | None = None  # a Discord-compatible server
    shard_count: int | None = None  # over all workers
    shard_ids: tuple[int, ...] | None = None  # this worker's shards
    answer_only: bool = False  # role worker: answer through the REST API, no gateway


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot can be configured with (see `.env.example`)."""

    nemo_api_base: str | None = None
    nemo_token: str | None = None
    nemo_web_base: str = DEFAULT_WEB_BASE
    skill_version: str = "1.0.0"
    skill_platform: str = "unknown"
    telegram_token: str | None = None
    telegram_api_base_url: str | None = None
    telegram_local_mode: bool = False
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_webhook_listen: tuple[str, int] = ("0.0.0.0", 8443)
    discord_token: str | None = None
    discord_api_base_url: str | None = None
    discord_shard_count: int | None = None
    discord_shard_ids: tuple[int, ...] | None = None
    db_path: Path | None = None  # None: nemobot.db (nemobot-sandbox.db with the sandbox)
    postgres_url: str | None = None  # NEMOBOT_DB=postgresql://…: PostgreSQL instead of db_path
    role: str = "all"  # all | ingress (receive and store only) | worker (answer only)
    spool_dir: Path | None = None  # where Discord attachments wait (shared by all workers)
    allowed_users: frozenset[str] = field(default_factory=frozenset)
    admins: frozenset[str] = field(default_factory=frozenset)
    render_poll_seconds: float | None = None  # None: 30 s (2 s with the built-in sandbox)
    still_working_seconds: float = 120.0
    retry_after_seconds: float = 30.0
    sse_timeout_seconds: float = 900.0
    sse_idle_seconds: float = 600.0
    queue_limit: int = 5
    lease_seconds: float = 60.0
    user_messages_per_minute: int = 20
    user_renders: int = 1
    inbox_text_hours: float = 24.0
    inbox_keep_days: float = 30.0
    render_keep_days: float = 30.0
    user_daily: Quota = field(default_factory=Quota)  # per user and UTC day; shared account
    account_daily: Quota = field(default_factory=Quota)  # everyone together, per UTC day
    stars_packs: tuple[Pack, ...] = ()  # sold for Telegram Stars; none: nothing is sold
    log_level: str = "INFO"
    log_format: str = "kv"
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"

    @property
    def api_base(self) -> str:
        """The NemoVideo API root actually used."""
        return (self.nemo_api_base or DEFAULT_API_BASE).rstrip("/")

    @property
    def sqlite_file(self) -> Path:
        """The SQLite file: NEMOBOT_DB, else one kept apart for the sandbox's accounts."""
        if self.db_path is not None:
            return self.db_path
        # Sandbox accounts are meaningless to the real API: keep them apart.
        return Path("nemobot-sandbox.db" if self.wants_sandbox else "nemobot.db")

    @property
    def database(self) -> str | Path:
        """Where the store lives: the PostgreSQL URL, else the SQLite file."""
        return self.postgres_url or self.sqlite_file

    @property
    def poll_seconds(self) -> float:
        """The longest wait between a render's status checks."""
        if self.render_poll_seconds is not None:
            return self.render_poll_seconds
        # With the built-in sandbox a newcomer should see the MP4 within a minute.
        return _SANDBOX_POLL_SECONDS if self.wants_sandbox else _POLL_SECONDS

    @property
    def telegram(self) -> TelegramConfig | None:
        """The Telegram adapter's configuration, if its token is set."""
        if not self.telegram_token:
            return None
        return TelegramConfig(
            token=self.telegram_token,
            api_base_url=self.telegram_api_base_url,
            local_mode=self.telegram_local_mode,
            webhook_url=self.telegram_webhook_url,
            webhook_secret=self.telegram_webhook_secret,
            webhook_listen=self.telegram_webhook_listen,
            answer_only=self.role == "worker",
        )

    @property
    def discord(self) -> DiscordConfig | None:
        """The Discord adapter's configuration, if its token is set."""
        if not self.discord_token:
            return None
        return DiscordConfig(
            token=self.discord_token,
            spool_dir=self.spool_dir or self.sqlite_file.resolve().parent,
            api_base_url=self.discord_api_base_url,
            shard_count=self.discord_shard_count,
            shard_ids=self.discord_shard_ids,
            answer_only=self.role == "worker",
        )

    @property
    def wants_sandbox(self) -> bool:
        """No backend and no token configured: run against the built-in sandbox."""
        return self.nemo_api_base is None and self.nemo_token is None

    @property
    def platforms(self) -> tuple[str, ...]:
        """Chat platforms whose tokens are set."""
        configured = {"telegram": self.telegram, "discord": self.discord}
        return tuple(name for name, config in configured.items() if config is not None)

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log line or a chat."""
        values = (
            self.nemo_token,
            self.telegram_token,
            self.discord_token,
            self.telegram_webhook_secret,
            urlsplit(self.postgres_url).password if self.postgres_url else None,
        )
        return tuple(v for v in values if v)

    # long: one table, a line per variable (name, parser, default), read top to bottom
    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Parse and validate; raise one ConfigError naming every bad variable."""
        reader = _Reader(env)
        shard_count = reader.get("DISCORD_SHARD_COUNT", _positive_int, None)
        settings = cls(
            nemo_api_base=reader.get("NEMO_API_BASE", _url, None),
            nemo_token=reader.get("NEMO_TOKEN", str, None),
            nemo_web_base=reader.get("NEMO_WEB_BASE", _url, DEFAULT_WEB_BASE).rstrip("/"),
            skill_version=reader.get("NEMO_SKILL_VERSION", str, "1.0.0"),
            skill_platform=reader.get("NEMO_SKILL_PLATFORM", str, "unknown"),
            telegram_token=reader.get("TELEGRAM_BOT_TOKEN", str, None),
            telegram_api_base_url=reader.get("TELEGRAM_API_BASE_URL", _url, None),
            telegram_local_mode=reader.get("TELEGRAM_LOCAL_MODE", _bool, False),
            telegram_webhook_url=reader.get("TELEGRAM_WEBHOOK_URL", _url, None),
            telegram_webhook_secret=reader.get("TELEGRAM_WEBHOOK_SECRET", _secret_token, None),
            telegram_webhook_listen=reader.get(
                "TELEGRAM_WEBHOOK_LISTEN", _host_port, ("0.0.0.0", 8443)
            ),
            discord_token=reader.get("DISCORD_BOT_TOKEN", str, None),
            discord_api_base_url=reader.get("DISCORD_API_BASE_URL", _url, None),
            discord_shard_count=shard_count,
            discord_shard_ids=reader.get("DISCORD_SHARD_IDS", _shard_ids(shard_count), None),
            db_path=reader.get("NEMOBOT_DB", _sqlite_file, None),
            postgres_url=reader.get("NEMOBOT_DB", _postgres_url, None),
            role=reader.get("NEMOBOT_ROLE", _role, "all"),
            spool_dir=reader.get("NEMOBOT_SPOOL_DIR", Path, None),
            allowed_users=reader.get("NEMOBOT_ALLOWED_USERS", _id_set, frozenset()),
            admins=reader.get("NEMOBOT_ADMINS", _id_set, frozenset()),
            render_poll_seconds=reader.get("NEMOBOT_RENDER_POLL_SECONDS", _seconds, None),
            still_working_seconds=reader.get("NEMOBOT_STILL_WORKING_SECONDS", _seconds, 120.0),
            retry_after_seconds=reader.get("NEMOBOT_RETRY_AFTER_SECONDS", _seconds, 30.0),
            sse_timeout_seconds=reader.get("NEMOBOT_SSE_TIMEOUT_SECONDS", _seconds, 900.0),
            sse_idle_seconds=reader.get("NEMOBOT_SSE_IDLE_SECONDS", _seconds, 600.0),
            queue_limit=reader.get("NEMOBOT_QUEUE_LIMIT", _positive_int, 5),
            lease_seconds=reader.get("NEMOBOT_LEASE_SECONDS", _lease, 60.0),
            user_messages_per_minute=reader.get(
                "NEMOBOT_USER_MESSAGES_PER_MINUTE", _positive_int, 20
            ),
            user_renders=reader.get("NEMOBOT_USER_RENDERS", _positive_int, 1),
            inbox_text_hours=reader.get("NEMOBOT_INBOX_TEXT_HOURS", _seconds, 24.0),
            inbox_keep_days=reader.get("NEMOBOT_INBOX_KEEP_DAYS", _seconds, 30.0),
            render_keep_days=reader.get("NEMOBOT_RENDER_KEEP_DAYS", _seconds, 30.0),
            user_daily=reader.quota("NEMOBOT_USER_DAILY"),
            account_daily=reader.quota("NEMOBOT_ACCOUNT_DAILY"),
            stars_packs=reader.get("NEMOBOT_STARS_PACKS", parse_packs, ()),
            log_level=reader.get("NEMOBOT_LOG_LEVEL", _log_level, "INFO"),
            log_format=reader.get("NEMOBOT_LOG_FORMAT", _log_format, "kv"),
            metrics_port=reader.get("NEMOBOT_METRICS_PORT", _port, None),
            metrics_host=reader.get("NEMOBOT_METRICS_HOST", str, "127.0.0.1"),
        )
        if reader.problems:
            raise ConfigError("invalid settings: " + "; ".join(reader.problems))
        return settings


def load_settings(env_file: Path | None = Path(".env")) -> Settings:
    """Settings from `.env` (if present) overlaid by the process environment."""
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ)
    return Settings.from_env(merged)


class _Reader:
    """Collects every problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []

    def get(self, name: str, parse: Callable[[str], T], default: T) -> T:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            self.problems.append(f"{name}: {exc}")
            return default

    def quota(self, prefix: str) -> Quota:
        """`<prefix>_TURNS`, `_IMAGES` and `_EXPORTS`: a day's allowance (unset: no limit)."""
        return Quota(*(self.get(f"{prefix}_{k.upper()}", parse_allowance, None) for k in KINDS))


def _url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"expected a number of seconds, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"must not be negative, got {raw!r}")
    return value


def _lease(raw: str) -> float:
    value = _seconds(raw)
    if value < 1:
        raise ValueError(f"must be at least 1 second, got {raw!r}")
    return value


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"expected a whole number, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"must be at least 1, got {raw!r}")
    return value


def _bool(raw: str) -> bool:
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected 1/0, true/false, yes/no or on/off, got {raw!r}")


def _secret_token(raw: str) -> str:
    # Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and - in a webhook secret.
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
        raise ValueError("use 1-256 letters, digits, '_' or '-'")
    return raw


def _host_port(raw: str) -> tuple[str, int]:
    host, sep, port = raw.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {raw!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


def _shard_ids(count: int | None) -> Callable[[str], tuple[int, ...]]:
    """A parser of comma-separated shard ids, each in range(count), each once."""

    def parse(raw: str) -> tuple[int, ...]:
        if count is None:
            raise ValueError("needs DISCORD_SHARD_COUNT (the total over all workers)")
        try:
            ids = tuple(int(part) for part in raw.split(","))
        except ValueError:
            raise ValueError(f"expected comma-separated shard numbers, got {raw!r}") from None
        if not all(0 <= shard < count for shard in ids) or len(set(ids)) != len(ids):
            raise ValueError(f"expected distinct shards 0-{count - 1}, got {raw!r}")
        return ids

    return parse


def _sqlite_file(raw: str) -> Path | None:
    if is_postgres(raw):
        return None  # the PostgreSQL URL is read as postgres_url
    return sqlite_path(raw)


def _postgres_url(raw: str) -> str | None:
    if not is_postgres(raw):
        return None
    parts = urlsplit(raw)
    if not parts.hostname and "host=" not in parts.query:
        raise ValueError("a PostgreSQL URL needs a host, e.g. postgresql://nemobot@db/nemobot")
    return raw


ROLES = ("all", "ingress", "worker")


def _role(raw: str) -> str:
    value = raw.lower()
    if value not in ROLES:
        raise ValueError(f"expected one of {', '.join(ROLES)}, got {raw!r}")
    return value


def _id_set(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _log_format(raw: str) -> str:
    value = raw.lower()
    if value not in ("kv", "json"):
        raise ValueError(f"expected kv or json, got {raw!r}")
    return value


def _port(raw: str) -> int:
    # 0 asks the system for a free port (the bot logs which).
    if not raw.isdigit() or not 0 <= int(raw) < 65536:
        raise ValueError(f"expected a port number 0-65535, got {raw!r}")
    return int(raw)


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in _LOG_LEVELS or not isinstance(logging.getLevelName(level), int):
        raise ValueError(f"expected one of {', '.join(_LOG_LEVELS)}, got {raw!r}")
    return level
