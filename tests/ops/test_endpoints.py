"""`/healthz` and `/metrics`: health follows the database and every platform; metrics move."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.core.engine import Engine
from bot.ops.metrics import Metrics
from bot.ops.server import serving_ops
from sandbox import RunningSandbox
from tests.discord.fake import running_fake_discord
from tests.discord.harness import discord_bot
from tests.engine.harness import eventually, fast_sandbox, running_bot
from tests.telegram.emulator import running_emulator
from tests.telegram.harness import telegram_bot

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@asynccontextmanager
async def endpoints(
    engine: Engine, platforms: tuple[str, ...], metrics: Metrics | None = None
) -> AsyncIterator[str]:
    async with serving_ops(
        engine, metrics or Metrics(), platforms, host="127.0.0.1", port=0
    ) as url:
        assert url is not None
        yield url


async def health(url: str) -> tuple[int, dict[str, object]]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{url}/healthz")
    return response.status_code, response.json()


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_move_after_a_conversation_and_an_export(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with (
        running_bot(tmp_path, sandbox.url) as bot,
        endpoints(bot.engine, ("console",), bot.metrics) as url,
    ):
        before = await scrape(url)
        assert value(before, "nemobot_turns_total", outcome="answered") == 0
        assert value(before, "nemobot_users") == 0

        await bot.say("generate an image of a lighthouse at dusk")
        after = await scrape(url)
        assert value(after, "nemobot_turns_total", outcome="answered") == 1
        assert value(after, "nemobot_turn_seconds_count") == 1
        assert value(after, "nemobot_first_feedback_seconds_count") == 1
        assert value(after, "nemobot_users") == 1
        assert value(after, "nemobot_inbox_rows") == 1
        assert value(after, "nemobot_queue_depth") == 0
        assert value(after, "nemobot_database_up") == 1
        assert value(after, "nemobot_platform_connected", platform="console") == 1

        await bot.say("export")
        await bot.outbox.wait_for(lambda sent: sent.kind == "video", 60)
        await bot.engine.wait_idle()

        async def delivered() -> bool:
            samples = await scrape(url)
            return value(samples, "nemobot_renders_total", status="delivered") == 1

        await eventually(delivered, 10)


async def test_backend_errors_are_counted_by_code_even_when_a_retry_saves_the_answer(
    tmp_path: Path,
) -> None:
    async with (
        fast_sandbox() as sandbox,
        running_bot(tmp_path, sandbox.url) as bot,
        endpoints(bot.engine, ("console",), bot.metrics) as url,
    ):
        await bot.say("credits")  # the account exists before the fault
        sandbox.sandbox.faults.rate_limit_once = True
        await bot.say("credits")
        assert any("credit" in text.lower() for text in bot.outbox.texts()[-1:])
        samples = await scrape(url)
        assert value(samples, "nemobot_backend_errors_total", code="429") == 1


async def test_queue_depth_counts_waiting_messages(tmp_path: Path) -> None:
    async with (
        fast_sandbox(chunk_delay_seconds=0.2) as sandbox,
        running_bot(tmp_path, sandbox.url) as bot,
        endpoints(bot.engine, ("console",)) as url,
    ):
        for text in ("generate an image of a fox", "add a title", "add music"):
            await bot.engine.submit(bot.message(text))

        async def two_waiting() -> bool:
            samples = await scrape(url)
            return (
                value(samples, "nemobot_queue_depth") == 2
                and value(samples, "nemobot_answering") == 1
            )

        await eventually(two_waiting, 10)
        await bot.engine.wait_idle(renders=False)
        assert value(await scrape(url), "nemobot_queue_depth") == 0


async def test_health_goes_red_when_the_database_stops_answering(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with (
        running_bot(tmp_path, sandbox.url) as bot,
        endpoints(bot.engine, ("console",)) as url,
    ):
        status, body = await health(url)
        assert (status, body["status"], body["database"]) == (200, "ok", "ok")
        await bot.store.close()
        status, body = await health(url)
        assert (status, body["status"], body["database"]) == (503, "unhealthy", "unavailable")
        assert value(await scrape(url), "nemobot_database_up") == 0


async def test_health_goes_red_while_telegram_cannot_be_reached(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with (
        running_emulator() as emu,
        telegram_bot(tmp_path, emu, sandbox) as bot,
        endpoints(bot.engine, ("telegram",)) as url,
    ):
        status, body = await health(url)
        assert (status, body["platforms"]) == (200, {"telegram": "connected"})
        emu.fail_next("getUpdates", error_code=502, description="Bad Gateway")
        emu.private_chat(7001)
        emu.send_message(7001, "hello")  # ends the long poll that is waiting

        async def red() -> bool:
            return (await health(url))[0] == 503

        await eventually(red, 15)
        assert (await health(url))[1]["platforms"] == {"telegram": "disconnected"}

        async def green() -> bool:
            return (await health(url))[0] == 200

        await eventually(green, 15)


async def test_health_goes_red_while_the_discord_gateway_is_down(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with (
        running_fake_discord() as fake,
        discord_bot(tmp_path, fake, sandbox) as bot,
        endpoints(bot.engine, ("discord",)) as url,
    ):
        assert (await health(url))[0] == 200
        fake.gateway_outage(True)
        await fake.disconnect_bot(4000)

        async def red() -> bool:
            status, body = await health(url)
            return status == 503 and body["platforms"] == {"discord": "disconnected"}

        await eventually(red, 10)
        fake.gateway_outage(False)

        async def green() -> bool:
            return (await health(url))[0] == 200

        await eventually(green, 30)


async def test_a_platform_never_connected_is_red(sandbox: RunningSandbox, tmp_path: Path) -> None:
    async with (
        running_bot(tmp_path, sandbox.url) as bot,
        endpoints(bot.engine, ("console", "telegram")) as url,
    ):
        status, body = await health(url)
        assert status == 503
        assert body["platforms"] == {"console": "connected", "telegram": "disconnected"}


async def test_a_busy_port_is_one_line_and_the_bot_runs_on(
    sandbox: RunningSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with (
        running_bot(tmp_path, sandbox.url) as bot,
        endpoints(bot.engine, ("console",)) as url,
    ):
        port = int(url.rsplit(":", 1)[1])
        with caplog.at_level(logging.ERROR):
            async with serving_ops(
                bot.engine, Metrics(), ("console",), host="127.0.0.1", port=port
            ) as second:
                assert second is None
                await bot.say("/help")
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and f"127.0.0.1:{port}" in errors[0]
        assert bot.outbox.texts()  # the bot answered all the same
        assert (await health(url))[0] == 200


def test_endpoints_listen_on_localhost_unless_told_otherwise() -> None:
    assert Settings.from_env({}).metrics_host == "127.0.0.1"
    assert Settings.from_env({}).metrics_port is None
    assert Settings.from_env({"NEMOBOT_METRICS_PORT": "9464"}).metrics_port == 9464
    with pytest.raises(ValueError, match="NEMOBOT_METRICS_PORT"):
        Settings.from_env({"NEMOBOT_METRICS_PORT": "http"})
