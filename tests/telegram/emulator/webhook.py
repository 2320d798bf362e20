"""Webhook delivery: POST each pending update until the bot answers 2xx."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from .models import WebhookConfig

if TYPE_CHECKING:
    from .emulator import BotApiEmulator

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDeliverer:
    """Background task delivering the oldest pending update, with capped backoff on failure."""

    def __init__(self, emu: BotApiEmulator) -> None:
        self.emu = emu
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        """Start delivering (idle until a webhook is set)."""
        self._session = aiohttp.ClientSession()
        self._task = asyncio.create_task(self._run(), name="bot-api-emulator-webhook")

    async def close(self) -> None:
        """Stop the task and close the HTTP session."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        failures = 0
        while True:
            config = self.emu.webhook
            pending = self.emu.updates.deliverable(config.allowed_updates) if config else []
            if config is None or not pending:
                await self.emu.notifier.wait(None)
                continue
            update = pending[0]
            status, error = await self._post(config, update)
            self.emu.webhook_attempts.append((update["update_id"], status))
            if 200 <= status < 300:
                failures = 0
                self.emu.updates.confirm_one(update)
            else:
                failures += 1
                config.last_error_date = int(time.time())
                config.last_error_message = error
            self.emu.notifier.notify()
            if failures:
                options = self.emu.options
                delay = options.webhook_retry_delay * 2 ** (failures - 1)
                await asyncio.sleep(min(delay, options.webhook_retry_max_delay))

    async def post_body(self, body: bytes) -> int:
        """POST `body` as is to the webhook that is set, with its secret; the HTTP status."""
        assert self._session is not None
        config = self.emu.webhook
        if config is None:
            raise ValueError("no webhook is set")
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers[SECRET_HEADER] = config.secret_token
        async with self._session.post(config.url, data=body, headers=headers) as response:
            await response.read()
            return response.status

    async def _post(self, config: WebhookConfig, update: dict[str, Any]) -> tuple[int, str]:
        assert self._session is not None
        headers = {SECRET_HEADER: config.secret_token} if config.secret_token else {}
        timeout = aiohttp.ClientTimeout(total=self.emu.options.webhook_timeout)
        try:
            async with self._session.post(
                config.url, json=update, headers=headers, timeout=timeout
            ) as response:
                await response.read()
                return response.status, f"Wrong response from the webhook: {response.status} " + (
                    response.reason or ""
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            return 0, f"Connection failed: {exc.__class__.__name__}"
