"""`nemobot stats` and `nemobot backup`: they work beside a running bot, which keeps its lock."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Settings
from bot.core.stats import gather_figures
from bot.nemo import NemoClient, make_http_client
from bot.wiring import client_config
from storage import SqliteStore, Store, StoreOpenError, open_store
from storage.backup import backup_sqlite

__all__ = ["backup", "migrate_db", "print_stats"]


async def print_stats(settings: Settings) -> int:
    """Print the figures `/stats` shows (read-only: the bot may be running)."""
    store: Store
    if settings.postgres_url:
        store = await open_store(settings.postgres_url)  # no lock to keep anyone away
    else:
        store = await SqliteStore.open_reader(settings.sqlite_file)
    try:
        if settings.nemo_token and not settings.wants_sandbox:
            async with make_http_client() as http:
                config = replace(client_config(settings), retry_after_seconds=0)
                figures = await gather_figures(store, NemoClient(http, config), settings.nemo_token)
        else:
            figures = await gather_figures(store, None, None)
    finally:
        await store.close()
    print(figures.render("en"))
    return 0


def backup(settings: Settings, target: Path) -> int:
    """Copy the database to `target` while the bot may be writing it."""
    if settings.postgres_url:
        raise StoreOpenError(
            "nemobot backup copies SQLite files; for PostgreSQL use pg_dump "
            '(e.g. pg_dump --format=custom --file=nemobot.dump "$NEMOBOT_DB")'
        )
    source = settings.sqlite_file
    version = backup_sqlite(source, target)
    written = target / source.name if target.is_dir() else target
    print(f"backed up {source} to {written} (schema {version}, mode 0600)")
    return 0


async def migrate_db(source: str, target: str) -> int:
    """Copy a stopped bot's SQLite database into an empty PostgreSQL database."""
    from storage.migrate import migrate_database  # asyncpg is only loaded when it is used

    copied = await migrate_database(source, target)
    counts = ", ".join(f"{n} {table}" for table, n in copied.items())
    print(f"copied {counts}; now set NEMOBOT_DB={_masked(target)} and start the workers")
    return 0


def _masked(url: str) -> str:
    """`url` with its password (if any) shown as `***`."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()
