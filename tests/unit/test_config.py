"""Settings parsing: defaults, validation, one clear error naming each variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings


def test_defaults_mean_sandbox_and_console() -> None:
    settings = Settings.from_env({})
    assert settings.wants_sandbox
    assert settings.platforms == ()
    assert settings.poll_seconds == 2  # the built-in sandbox renders in seconds
    assert settings.sqlite_file == Path("nemobot-sandbox.db")  # its accounts kept apart
    real = Settings.from_env({"NEMO_TOKEN": "nmv_usr_x"})
    assert (real.poll_seconds, real.sqlite_file) == (30, Path("nemobot.db"))
    assert settings.retry_after_seconds == 30
    assert settings.api_base == "https://mega-api-prod.nemovideo.ai"


def test_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "NEMO_API_BASE": "http://127.0.0.1:9000/",
            "NEMO_TOKEN": "nmv_usr_secret",
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "NEMOBOT_RENDER_POLL_SECONDS": "2.5",
            "NEMOBOT_ADMINS": "1, 2 ,,3",
            "NEMOBOT_LOG_LEVEL": "debug",
        }
    )
    assert settings.api_base == "http://127.0.0.1:9000"
    assert not settings.wants_sandbox
    assert settings.platforms == ("telegram",)
    assert settings.render_poll_seconds == 2.5
    assert settings.admins == frozenset({"1", "2", "3"})
    assert settings.log_level == "DEBUG"
    assert set(settings.secrets()) == {"nmv_usr_secret", "123:abc"}


def test_every_bad_value_is_named_once() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {
                "NEMOBOT_RENDER_POLL_SECONDS": "soon",
                "NEMO_API_BASE": "localhost:9000",
                "NEMOBOT_QUEUE_LIMIT": "0",
                "NEMOBOT_LOG_LEVEL": "loud",
            }
        )
    text = str(caught.value)
    for name in (
        "NEMOBOT_RENDER_POLL_SECONDS",
        "NEMO_API_BASE",
        "NEMOBOT_QUEUE_LIMIT",
        "NEMOBOT_LOG_LEVEL",
    ):
        assert name in text
    assert "\n" not in text


def test_settings_are_immutable() -> None:
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.nemo_token = "x"  # type: ignore[misc]


def test_env_file_is_read_and_environment_wins(tmp_path: Path, monkeypatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("NEMOBOT_RENDER_POLL_SECONDS=7\nNEMOBOT_QUEUE_LIMIT=9\n")
    monkeypatch.setenv("NEMOBOT_QUEUE_LIMIT", "3")
    settings = load_settings(env_file)
    assert settings.render_poll_seconds == 7
    assert settings.queue_limit == 3


def test_a_lease_is_at_least_a_second_and_independent_of_the_render_poll() -> None:
    """A render's lease is kept by its own renewals, not by the polls: any poll goes."""
    quick = {"NEMOBOT_LEASE_SECONDS": "7", "NEMOBOT_RENDER_POLL_SECONDS": "30"}
    assert Settings.from_env(quick).lease_seconds == 7
    assert Settings.from_env({}).lease_seconds == 60
    with pytest.raises(ConfigError, match="at least 1 second"):
        Settings.from_env({"NEMOBOT_LEASE_SECONDS": "0.5"})


def test_each_platform_gets_its_own_config() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook",
            "DISCORD_BOT_TOKEN": "d.token",
            "DISCORD_SHARD_COUNT": "4",
            "DISCORD_SHARD_IDS": "2,3",
            "NEMOBOT_DB": "/data/bot.db",
            "NEMOBOT_ROLE": "worker",
        }
    )
    assert settings.telegram is not None and settings.discord is not None
    assert settings.telegram.webhook_url == "https://bot.example.org/hook"
    assert settings.telegram.answer_only and settings.discord.answer_only
    assert (settings.discord.shard_count, settings.discord.shard_ids) == (4, (2, 3))
    assert settings.discord.spool_dir == Path("/data")  # beside the database by default
    assert Settings.from_env({}).telegram is None


def test_allowances_and_packs_are_off_unless_set_and_each_bad_one_is_named() -> None:
    off = Settings.from_env({})
    assert off.user_daily.unlimited and off.account_daily.unlimited and off.stars_packs == ()
    on = Settings.from_env(
        {
            "NEMOBOT_USER_DAILY_TURNS": "30",
            "NEMOBOT_USER_DAILY_EXPORTS": "0",
            "NEMOBOT_ACCOUNT_DAILY_IMAGES": "500",
            "NEMOBOT_STARS_PACKS": "turns:10:50, images:20:100",
        }
    )
    assert (on.user_daily.turns, on.user_daily.images, on.user_daily.exports) == (30, None, 0)
    assert on.account_daily.images == 500 and on.account_daily.turns is None
    assert [(p.kind, p.amount, p.stars) for p in on.stars_packs] == [
        ("turns", 10, 50),
        ("images", 20, 100),
    ]
    bad = {
        "NEMOBOT_USER_DAILY_IMAGES": "-1",
        "NEMOBOT_ACCOUNT_DAILY_TURNS": "lots",
        "NEMOBOT_STARS_PACKS": "videos:1:5",
    }
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(bad)
    assert all(str(caught.value).count(name) == 1 for name in bad)
    with pytest.raises(ConfigError, match="stars 1-10000"):
        Settings.from_env({"NEMOBOT_STARS_PACKS": "turns:10:99999"})
