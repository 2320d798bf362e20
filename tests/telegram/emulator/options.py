"""Configuration of the Bot API emulator."""

from __future__ import annotations

import re
from dataclasses import dataclass

MB = 1024 * 1024
CLOUD_UPLOAD_LIMIT = 50 * MB
CLOUD_DOWNLOAD_LIMIT = 20 * MB
LOCAL_UPLOAD_LIMIT = 2000 * MB
DEFAULT_TOKEN = "123456789:AAEmulatorTokenForTestsOnly_abcdefghijk"
TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]{30,}$")


@dataclass
class EmulatorOptions:
    """Knobs of the emulated Bot API server; defaults match the cloud API."""

    token: str = DEFAULT_TOKEN
    bot_username: str = "nemo_test_bot"
    bot_id: int = 123456789
    bot_first_name: str = "Nemo Test Bot"
    local_mode: bool = False
    max_download_bytes: int = CLOUD_DOWNLOAD_LIMIT
    max_upload_bytes: int = CLOUD_UPLOAD_LIMIT
    per_chat_interval: float | None = None
    group_per_minute: int | None = None
    bot_per_second: int | None = None  # every send of the bot, in any chat (Telegram: ~30)
    retry_after: int = 1
    privacy_mode: bool = True
    # Off by default: getMe reports privacy mode, but every user message is delivered.
    # On: group messages a privacy-mode bot would not see are recorded but not delivered.
    enforce_privacy_mode: bool = False
    callback_answer_timeout: float = 15.0
    # Inline mode (@BotFather's /setinline) and inline feedback (/setinlinefeedback): off,
    # as for a new bot. An inline query must be answered within this many seconds.
    inline_mode: bool = False
    inline_feedback: bool = False
    inline_answer_timeout: float = 10.0
    # tdlib keeps a bare "&" literally; the Bot API docs say it must be escaped. Strict (the
    # default) rejects it, so a bot that passes here also passes the real server.
    strict_html_ampersand: bool = True
    # On: photos Pillow cannot decode answer IMAGE_PROCESS_FAILED like Telegram does.
    strict_photos: bool = False
    # A sendMessageDraft preview shows this long unless the bot sends it again (Bot API docs:
    # about 30 s). Tests shorten it together with the bot's refresh interval.
    draft_ttl_seconds: float = 30.0
    webhook_retry_delay: float = 0.2
    webhook_retry_max_delay: float = 1.0
    webhook_timeout: float = 5.0
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self) -> None:
        match = TOKEN_RE.match(self.token)
        if match is None:
            raise ValueError("token must look like '<digits>:<30+ of [A-Za-z0-9_-]>'")
        token_id = int(match.group(1))
        if self.bot_id != token_id:
            if self.bot_id != EmulatorOptions.bot_id:
                raise ValueError("bot_id must be the number before the colon of the token")
            self.bot_id = token_id
        if self.local_mode and self.max_upload_bytes == CLOUD_UPLOAD_LIMIT:
            self.max_upload_bytes = LOCAL_UPLOAD_LIMIT

    @property
    def download_limit(self) -> int | None:
        """getFile size limit, or None in local mode (no limit)."""
        return None if self.local_mode else self.max_download_bytes
