"""BotApiEmulator: state, lifecycle, and the running_emulator context manager."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from .chats import ChatStore
from .files import FileStore
from .inline import InlineQueryRecord, InlineSide
from .inspection import Inspection
from .limits import FaultInjector, RateLimiter
from .models import (
    ApiCall,
    BotMessage,
    CallbackAnswer,
    CallbackQueryRecord,
    DraftRecord,
    RateLimitHit,
    WebhookConfig,
)
from .options import EmulatorOptions
from .payments import Checkout, PaymentSide, StarCharge
from .server import build_app
from .updates import Notifier, UpdateQueue
from .users import UserSide
from .webhook import WebhookDeliverer


class BotApiEmulator(UserSide, InlineSide, PaymentSide, Inspection):
    """An in-process Telegram Bot API server for one bot token, driven from tests."""

    def __init__(self, options: EmulatorOptions | None = None) -> None:
        self.options = options or EmulatorOptions()
        self.bot_user: dict[str, Any] = {
            "id": self.options.bot_id,
            "is_bot": True,
            "first_name": self.options.bot_first_name,
            "username": self.options.bot_username,
        }
        self.notifier = Notifier()
        self.files = FileStore()
        self.chats = ChatStore(self.bot_user)
        self.updates = UpdateQueue(self.notifier)
        self.rate_limited: list[RateLimitHit] = []
        self.limits = RateLimiter(self.options, self.rate_limited)
        self.faults = FaultInjector(self.options)
        self.holds: dict[str, asyncio.Event] = {}  # method → when its next answer may go
        self.gates: dict[str, asyncio.Event] = {}  # method → when its next call may run
        self.gated: list[str] = []  # calls that reached a gate, in order
        self.calls: list[ApiCall] = []
        self.webhook: WebhookConfig | None = None
        self.webhook_attempts: list[tuple[int, int]] = []
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.callback_answers: list[CallbackAnswer] = []
        self.inline_queries: dict[str, InlineQueryRecord] = {}
        self.inline_messages: dict[str, BotMessage] = {}  # by inline_message_id
        self.actions: dict[int, list[tuple[str, float]]] = {}
        self.draft_log: dict[int, list[DraftRecord]] = {}
        self.command_sets: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.downloads: list[str] = []
        self.invoice_payloads: dict[tuple[int, int], str] = {}
        self.checkouts: dict[str, Checkout] = {}
        self.star_charges: dict[str, StarCharge] = {}
        self.chat_roles: dict[int, dict[int, str]] = {}  # chat -> user -> creator|administrator
        self.internal_errors: list[BaseException] = []
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._deliverer = WebhookDeliverer(self)
        self._local_dir: Path | None = None

    @property
    def token(self) -> str:
        """The bot token the server accepts."""
        return self.options.token

    async def start(self) -> None:
        """Bind 127.0.0.1 on a free port (or options.port) and start serving."""
        if self.options.local_mode:
            self._local_dir = Path(tempfile.mkdtemp(prefix="bot-api-emulator-"))
            self.files.local_dir = self._local_dir
        self._runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.options.host, self.options.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._deliverer.start()

    async def post_to_webhook(self, body: Any) -> int:
        """Send any JSON value (or bytes, as they are) to the bot's webhook, as Telegram would
        send an update; the status the bot answers. Not queued, never retried."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return await self._deliverer.post_body(raw)

    async def close(self) -> None:
        """Release long polls, stop webhook delivery, close the server, remove local files."""
        self.updates.closing = True
        self.notifier.notify()
        await self._deliverer.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._local_dir is not None:
            shutil.rmtree(self._local_dir, ignore_errors=True)


@asynccontextmanager
async def running_emulator(options: EmulatorOptions | None = None) -> AsyncIterator[BotApiEmulator]:
    """Start an emulator for the duration of the block."""
    emu = BotApiEmulator(options)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.close()
