"""Flood control, fault injection and reply-markup validation."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from . import errors
from .errors import ApiError
from .models import Chat, RateLimitHit
from .options import EmulatorOptions

MAX_BUTTONS = 100
MAX_CALLBACK_DATA = 64
BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
GROUP_TYPES = ("group", "supergroup")


class RateLimiter:
    """Telegram-like send limits: per private chat interval, per group rolling minute, and
    the bot's rolling second over every chat (one limiter counts every caller of the bot)."""

    def __init__(self, options: EmulatorOptions, hits: list[RateLimitHit]) -> None:
        self.options = options
        self.hits = hits
        self._last: dict[int, float] = {}
        self._window: dict[int, deque[float]] = {}
        self._bot: deque[float] = deque()
        self.counted: list[tuple[float, int]] = []  # (time, chat id) of every send let through

    def acquire(self, chat: Chat, method: str, cost: int = 1) -> None:
        """Count `cost` sends in `chat` or raise the 429 Telegram would answer."""
        now = time.monotonic()
        rule = self._broken(chat, now, cost)
        if rule:
            self.hits.append(RateLimitHit(method, chat.id, now, rule))
            raise errors.too_many_requests(self.options.retry_after)
        if chat.type == "private" and self.options.per_chat_interval is not None:
            self._last[chat.id] = now
        elif chat.type in GROUP_TYPES and self.options.group_per_minute is not None:
            self._window[chat.id].extend([now] * cost)
        if self.options.bot_per_second is not None:
            self._bot.extend([now] * cost)
        self.counted.extend([(now, chat.id)] * cost)

    def _broken(self, chat: Chat, now: float, cost: int) -> str:
        """The rule these sends would break ("chat", "group", "bot"), or ""."""
        interval = self.options.per_chat_interval
        if chat.type == "private" and interval is not None:
            last = self._last.get(chat.id)
            if last is not None and now - last < interval:
                return "chat"
        per_minute = self.options.group_per_minute
        if chat.type in GROUP_TYPES and per_minute is not None:
            sent = _recent(self._window.setdefault(chat.id, deque()), now, 60.0)
            if sent + cost > per_minute:
                return "group"
        per_second = self.options.bot_per_second
        if per_second is not None and _recent(self._bot, now, 1.0) + cost > per_second:
            return "bot"
        return ""


def _recent(window: deque[float], now: float, span: float) -> int:
    """Forget sends older than `span` seconds; how many are left."""
    while window and now - window[0] >= span:
        window.popleft()
    return len(window)


@dataclass
class Fault:
    """An injected error for the next `remaining` calls of a method."""

    method: str
    remaining: int
    error: ApiError


class FaultInjector:
    """Queue of errors to answer instead of running the method."""

    def __init__(self, options: EmulatorOptions) -> None:
        self.options = options
        self.faults: list[Fault] = []

    def add(
        self,
        method: str,
        *,
        times: int = 1,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with this error."""
        if error_code == 429 and retry_after is None:
            retry_after = self.options.retry_after  # a real 429 always carries retry_after
        if description is None:
            if error_code == 429:
                description = f"Too Many Requests: retry after {retry_after}"
            else:
                description = errors.default_description(error_code)
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        error = ApiError(error_code, description, parameters)
        self.faults.append(Fault(method.lower(), times, error))

    def take(self, method: str) -> ApiError | None:
        """The injected error for this call, if one is queued."""
        for fault in self.faults:
            if fault.method == method.lower() and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault.error
        return None


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Check an inline keyboard like the server does; other markups pass through."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise errors.bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise errors.bad_request(
            'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    buttons = [button for row in rows for button in row]
    for button in buttons:
        _validate_button(button)
    if len(buttons) > MAX_BUTTONS:
        raise ApiError(400, errors.MARKUP_TOO_LONG)
    return markup


def _validate_button(button: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise errors.bad_request(prefix + "InlineKeyboardButton must be an Object")
    if not isinstance(button.get("text"), str):
        raise errors.bad_request(prefix + 'Field "text" must be of type String')
    # Like the server, the first action present wins; the others are ignored.
    action = next((name for name in BUTTON_ACTIONS if name in button), None)
    if action is None:
        raise errors.bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if action == "callback_data":
        data = button["callback_data"]
        size = len(str(data).encode("utf-8"))
        if not isinstance(data, str) or not 1 <= size <= MAX_CALLBACK_DATA:
            raise ApiError(400, errors.BUTTON_DATA_INVALID)
    elif action == "url":
        _validate_button_url(str(button["url"]))


def _validate_button_url(url: str) -> None:
    scheme, sep, rest = url.partition("://")
    if not sep or not rest or any(ch.isspace() for ch in url):
        raise errors.bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    if scheme.lower() not in ("http", "https", "tg", "ton"):
        raise errors.bad_request(
            f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol"
        )
