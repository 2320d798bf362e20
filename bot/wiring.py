"""From settings to the values each part takes: shared by the root, doctor and the tools.

Nothing here opens anything: the composition root (`bot/app.py`) does, with these.
"""

from __future__ import annotations

from dataclasses import replace

from bot.config import Settings
from bot.core.assembly import EngineOptions, Keeping
from bot.core.context import Timing
from bot.nemo import ClientConfig

__all__ = ["client_config", "engine_options", "with_sandbox"]


def client_config(settings: Settings) -> ClientConfig:
    """How the NemoVideo client reaches and paces the backend."""
    return ClientConfig(
        base_url=settings.api_base,
        skill_version=settings.skill_version,
        skill_platform=settings.skill_platform,
        retry_after_seconds=settings.retry_after_seconds,
        sse_timeout_seconds=settings.sse_timeout_seconds,
        sse_idle_seconds=settings.sse_idle_seconds,
    )


def engine_options(
    settings: Settings, *, timing: Timing | None = None, worker_id: str = ""
) -> EngineOptions:
    """The values the engine works with (`timing` replaces the settings' waits: tests)."""
    return EngineOptions(
        timing=timing or _timing(settings),
        worker_id=worker_id,
        role=settings.role,
        web_base=settings.nemo_web_base,
        shared_token=settings.nemo_token,
        allowed_users=settings.allowed_users,
        admins=settings.admins,
        messages_per_minute=settings.user_messages_per_minute,
        queue_limit=settings.queue_limit,
        renders_per_user=settings.user_renders,
        user_daily=settings.user_daily,
        account_daily=settings.account_daily,
        stars_packs=settings.stars_packs,
        keeping=Keeping(
            text_hours=settings.inbox_text_hours,
            keep_days=settings.inbox_keep_days,
            render_keep_days=settings.render_keep_days,
        ),
    )


def _timing(settings: Settings) -> Timing:
    return Timing(
        still_working_seconds=settings.still_working_seconds,
        render_poll_seconds=settings.poll_seconds,
        lease_seconds=settings.lease_seconds,
    )


def with_sandbox(settings: Settings, url: str) -> Settings:
    """The settings as used with the built-in sandbox at `url` (its own database file, a
    quicker render poll unless one was set)."""
    return replace(
        settings,
        nemo_api_base=url,
        render_poll_seconds=settings.poll_seconds,
        db_path=settings.sqlite_file,
    )
