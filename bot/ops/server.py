"""`/healthz` and `/metrics` on `NEMOBOT_METRICS_PORT` (127.0.0.1 unless told otherwise)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from bot.core.engine import Engine
from bot.core.stats import start_of_today
from bot.ops.metrics import CONTENT_TYPE, Metrics
from storage import StoreStats

__all__ = ["Health", "check_health", "serving_ops"]

log = logging.getLogger(__name__)

_DATABASE_SECONDS = 2.0  # a health check must answer fast, whatever the database does


@dataclass(frozen=True, slots=True)
class Health:
    """Whether the bot can do its work: the database answers, every platform is connected."""

    database: bool
    platforms: dict[str, bool]

    @property
    def ok(self) -> bool:
        """Everything is up."""
        return self.database and all(self.platforms.values())

    def to_json(self) -> str:
        """The body of `/healthz`."""
        return json.dumps(
            {
                "status": "ok" if self.ok else "unhealthy",
                "database": "ok" if self.database else "unavailable",
                "platforms": {
                    name: "connected" if up else "disconnected"
                    for name, up in self.platforms.items()
                },
            }
        )


async def _counts(engine: Engine) -> StoreStats | None:
    try:
        async with asyncio.timeout(_DATABASE_SECONDS):
            return await engine.store.stats(start_of_today())
    except Exception as exc:  # noqa: BLE001 - reported as the database being down
        log.warning("health: the database did not answer (%s)", type(exc).__name__)
        return None


async def _database_up(engine: Engine) -> bool:
    try:
        async with asyncio.timeout(_DATABASE_SECONDS):
            await engine.store.ping()
    except Exception as exc:  # noqa: BLE001 - reported as the database being down
        log.warning("health: the database did not answer (%s)", type(exc).__name__)
        return False
    return True


async def check_health(engine: Engine, platforms: Sequence[str]) -> Health:
    """The database and each of `platforms` (the configured ones), checked now."""
    database = await _database_up(engine)
    return Health(database, {name: engine.platforms.receiving(name) for name in platforms})


def _app(engine: Engine, metrics: Metrics, platforms: Sequence[str]) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        health = await check_health(engine, platforms)
        return web.Response(
            text=health.to_json(),
            status=200 if health.ok else 503,
            content_type="application/json",
        )

    async def scrape(request: web.Request) -> web.Response:
        counts = await _counts(engine)
        metrics.take(counts, ((name, engine.platforms.receiving(name)) for name in platforms))
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", scrape)
    return app


@asynccontextmanager
async def serving_ops(
    engine: Engine,
    metrics: Metrics,
    platforms: Sequence[str],
    *,
    host: str,
    port: int | None,
) -> AsyncIterator[str | None]:
    """Serve `/healthz` and `/metrics` while inside; yields the base URL (None when off).

    A port that cannot be used is one error line: the bot runs on without the endpoints.
    """
    if port is None:
        yield None
        return
    runner = web.AppRunner(_app(engine, metrics, platforms), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:
            log.error(
                "cannot serve health and metrics on %s:%d (%s); running without them",
                host,
                port,
                exc.strerror or exc,
            )
            yield None
            return
        bound_host, bound_port = runner.addresses[0][:2]
        url = f"http://{_bracketed(bound_host)}:{bound_port}"
        log.info("health and metrics on %s (/healthz, /metrics)", url)
        yield url
    finally:
        await runner.cleanup()


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host
