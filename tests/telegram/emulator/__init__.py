"""An in-process emulator of the Telegram Bot API for tests that drive the real PTB client.

    async with running_emulator() as emu:
        emu.private_chat(42)
        bot = Bot(emu.token, base_url=f"{emu.url}/bot", base_file_url=f"{emu.url}/file/bot")
        async with bot:
            emu.send_message(42, 42, "/start")          # queued as an update
            (update,) = await bot.get_updates()
            await bot.send_message(42, "<b>hi</b>", parse_mode="HTML")
        assert emu.messages(42)[0].text == "hi"

Errors are worded like api.telegram.org's; see EmulatorOptions for the few deliberate choices.
"""

from __future__ import annotations

from .emulator import BotApiEmulator, running_emulator
from .entities import parse_formatted
from .errors import ApiError
from .files import StoredFile
from .media import MediaInfo
from .models import (
    ApiCall,
    BotMessage,
    CallbackAnswer,
    CallbackQueryRecord,
    Chat,
    RateLimitHit,
    WebhookConfig,
)
from .options import EmulatorOptions
from .webhook import SECRET_HEADER

__all__ = [
    "SECRET_HEADER",
    "ApiCall",
    "ApiError",
    "BotApiEmulator",
    "BotMessage",
    "CallbackAnswer",
    "CallbackQueryRecord",
    "Chat",
    "EmulatorOptions",
    "MediaInfo",
    "RateLimitHit",
    "StoredFile",
    "WebhookConfig",
    "parse_formatted",
    "running_emulator",
]
