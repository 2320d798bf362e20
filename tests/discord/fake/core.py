"""State shared by the fake's routes, gateway and driving helpers."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any

from tests.discord.fake.errors import ApiError
from tests.discord.fake.gateway import GatewayHub
from tests.discord.fake.ids import SnowflakeFactory
from tests.discord.fake.limits import ChannelRateLimiter, RateDecision
from tests.discord.fake.options import FakeDiscordOptions
from tests.discord.fake.records import (
    Fault,
    InteractionRecord,
    RateLimitHit,
    RecordedRequest,
)
from tests.discord.fake.world import World

MESSAGES_BUCKET = "f4ke0000messages"
_log = logging.getLogger(__name__)


class FakeCore:
    """The fake's memory, clock and change notifications."""

    def __init__(self, options: FakeDiscordOptions) -> None:
        self.options = options
        self.snowflakes = SnowflakeFactory()
        self.world = World(options, self.snowflakes)
        self.port = 0
        self.hub = GatewayHub(
            options,
            self.world,
            url=self.gateway_url,
            now=self.now,
            on_change=self.changed,
            on_error=self.internal_error,
        )
        self.limiter = ChannelRateLimiter(options.rate_limit_per_channel, options.retry_after)
        self.requests: list[RecordedRequest] = []
        self.rate_limited: list[RateLimitHit] = []
        self.typing: dict[int, list[float]] = {}
        self.interactions: dict[str, InteractionRecord] = {}
        self.commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.command_ids: dict[tuple[int | None, str, int], int] = {}
        self.faults: list[Fault] = []
        # Bugs in the fake itself (not Discord answers); running_fake_discord() raises them.
        self.internal_errors: list[BaseException] = []
        self._clock_offset = 0.0
        self._condition: asyncio.Condition | None = None
        self._notify_task: asyncio.Task[None] | None = None

    # --- clock and addresses -----------------------------------------------------------

    def now(self) -> float:
        """The fake's monotonic clock (advance_time() moves it forward)."""
        return time.monotonic() + self._clock_offset

    def advance_time(self, seconds: float) -> None:
        """Jump the fake's clock: interaction deadlines and rate-limit windows pass at once."""
        self._clock_offset += seconds
        self.changed()

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    def gateway_url(self) -> str:
        """The websocket URL (also READY's resume_gateway_url)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    def cdn_url(self, channel_id: int, attachment_id: int, filename: str) -> str:
        """Where the fake serves an attachment."""
        return f"{self.url}/attachments/{channel_id}/{attachment_id}/{filename}"

    # --- change notification -----------------------------------------------------------

    @property
    def condition(self) -> asyncio.Condition:
        """Notified after every recorded request or state change."""
        if self._condition is None:
            self._condition = asyncio.Condition()
        return self._condition

    def changed(self) -> None:
        """Wake wait_for() callers; several changes in one loop turn coalesce."""
        if self._condition is None or self._notify_task is not None:
            return
        self._notify_task = asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        self._notify_task = None
        async with self.condition:
            self.condition.notify_all()

    async def stop_notifier(self) -> None:
        """Finish a pending notification (clean shutdown)."""
        task = self._notify_task
        if task is not None:
            await task

    def internal_error(self, error: BaseException) -> None:
        """Remember a bug in the fake and log it."""
        self.internal_errors.append(error)
        _log.error("fake Discord internal error", exc_info=error)
        self.changed()

    # --- rate limits -------------------------------------------------------------------

    def take_message_slot(self, method: str, path: str, channel_id: int) -> RateDecision | None:
        """Count a message create/edit in a channel; raise 429 past the window."""
        decision = self.limiter.take(channel_id, self.now())
        if decision is None or decision.allowed:
            return decision
        self.rate_limited.append(
            RateLimitHit(method, path, channel_id, decision.reset_after, self.now(), False)
        )
        raise rate_limit_error(decision.reset_after, decision.limit, MESSAGES_BUCKET)

    def interaction_by_token(self, token: str) -> InteractionRecord | None:
        """The interaction a webhook/callback token belongs to."""
        return self.interactions.get(token)


def rate_limit_headers(decision: RateDecision, bucket: str) -> dict[str, str]:
    """Discord's X-RateLimit-* headers for a counted request."""
    return {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": f"{time.time() + decision.reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{decision.reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
    }


def rate_limit_error(retry_after: float, limit: int, bucket: str) -> ApiError:
    """A 429 as Discord sends it; discord.py only retries a 429 that carries a Via header."""
    error = ApiError(429, "You are being rate limited.", 0)
    error.body = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": False,
    }
    error.headers = {
        **rate_limit_headers(RateDecision(False, limit, 0, retry_after), bucket),
        "Retry-After": str(math.ceil(retry_after)),
        "X-RateLimit-Scope": "user",
        "Via": "1.1 google",
    }
    return error
