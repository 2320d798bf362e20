"""Daily allowances on a shared account: refused before the agent is called, counted after,
reset at midnight UTC, operators exempt, a group's own allowance within the operator's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.core.texts import t
from bot.logs import pseudonym
from sandbox import RunningSandbox
from tests.engine.harness import Bot, running_bot

BOSS = "boss"
# 23:58 UTC: two minutes before the allowances come back.
LATE = dt.datetime(2026, 12, 1, 23, 58, tzinfo=dt.UTC).timestamp()


class Clock:
    """The day the allowances are counted in, moved by the test (no sleeping)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def out_of(what: str, limit: int, time: str = "") -> str:
    """The start of the refusal line (the time left is checked where it is known)."""
    line = t("allowance_out_user", limit=limit, what=t(f"allowance_{what}"), time=time or "X")
    return line if time else line.split(" in X")[0]


async def turn(bot: Bot, text: str, **kwargs: object) -> str:
    """The last thing the bot said after `text`."""
    await bot.say(text, **kwargs)
    return bot.outbox.texts()[-1]


async def test_a_spent_allowance_refuses_the_next_turn_before_the_agent_is_called(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    token = sandbox.sandbox.create_user_token(credits=500)
    env = {"NEMO_TOKEN": token, "NEMOBOT_USER_DAILY_TURNS": "2"}
    async with running_bot(tmp_path, sandbox.url, **env) as bot:
        await bot.say('add a title "One"')
        await bot.say('add a title "Two"')
        assert sandbox.sandbox.sse_calls == 2
        typing_before = len(bot.outbox.of("typing"))
        refused = await turn(bot, 'add a title "Three"')
        assert refused.startswith(out_of("turns", 2))
        assert sandbox.sandbox.sse_calls == 2  # no /run_sse for the refused turn
        assert len(bot.outbox.of("typing")) == typing_before  # nor a sign of work
        assert "0 turns" in await turn(bot, "/credits")
        # Another user's allowance is their own.
        await bot.say('add a title "Mine"', user="u2")
        assert sandbox.sandbox.sse_calls == 3


async def test_allowances_come_back_at_midnight_utc(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    token = sandbox.sandbox.create_user_token(credits=500)
    clock = Clock(LATE)
    env = {"NEMO_TOKEN": token, "NEMOBOT_USER_DAILY_TURNS": "1"}
    async with running_bot(tmp_path, sandbox.url, clock=clock, **env) as bot:
        await bot.say('add a title "Before midnight"')
        refused = await turn(bot, 'add a title "Too many"')
        assert refused == out_of("turns", 1, t("time_minutes", n=2))
        clock.now += 119  # 23:59:59: still the same day
        assert (await turn(bot, 'add a title "Still too many"')).startswith(out_of("turns", 1))
        clock.now += 1  # 00:00:00 UTC
        await bot.say('add a title "A new day"')
        assert sandbox.sandbox.sse_calls == 2
        assert "A new day" in bot.outbox.final_texts()[-1]


async def test_operators_are_exempt(sandbox: RunningSandbox, tmp_path: Path) -> None:
    token = sandbox.sandbox.create_user_token(credits=500)
    env = {"NEMO_TOKEN": token, "NEMOBOT_USER_DAILY_TURNS": "1", "NEMOBOT_ADMINS": BOSS}
    async with running_bot(tmp_path, sandbox.url, **env) as bot:
        for n in range(3):
            await bot.say(f'add a title "Boss {n}"', user=BOSS)
        assert sandbox.sandbox.sse_calls == 3
        credits = await turn(bot, "/credits", user=BOSS)
        assert t("allowance_none") in credits and "500" in credits  # and the account's balance


async def test_images_are_counted_after_the_turn_that_made_them(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    token = sandbox.sandbox.create_user_token(credits=500)
    env = {"NEMO_TOKEN": token, "NEMOBOT_USER_DAILY_IMAGES": "1"}
    async with running_bot(tmp_path, sandbox.url, **env) as bot:
        await bot.say('add a title "No image"')
        await bot.say("generate an image of a red kite")
        assert len(bot.outbox.of("image")) == 1
        refused = await turn(bot, "generate an image of a blue kite")
        assert refused.startswith(out_of("images", 1))  # any turn may make an image
        assert sandbox.sandbox.sse_calls == 2


async def test_the_account_ceiling_stops_everyone(sandbox: RunningSandbox, tmp_path: Path) -> None:
    token = sandbox.sandbox.create_user_token(credits=500)
    env = {"NEMO_TOKEN": token, "NEMOBOT_ACCOUNT_DAILY_TURNS": "2"}
    async with running_bot(tmp_path, sandbox.url, **env) as bot:
        await bot.say('add a title "A"', user="u1")
        await bot.say('add a title "B"', user="u2")
        refused = await turn(bot, 'add a title "C"', user="u3")
        what = t("allowance_turns")
        assert refused.startswith(t("allowance_out_account", limit=2, what=what, time="X")[:40])
        assert sandbox.sandbox.sse_calls == 2


async def test_an_export_is_counted_once_delivered(sandbox: RunningSandbox, tmp_path: Path) -> None:
    token = sandbox.sandbox.create_user_token(credits=500)
    env = {"NEMO_TOKEN": token, "NEMOBOT_USER_DAILY_EXPORTS": "1"}
    async with running_bot(tmp_path, sandbox.url, **env) as bot:
        await bot.say("generate an image of a lighthouse")
        await bot.say("/export")
        await bot.engine.wait_idle()
        assert len(bot.outbox.of("video")) == 1
        refused = await turn(bot, "/export")
        assert refused.startswith(out_of("exports", 1))
        await bot.engine.wait_idle()
        assert len(bot.outbox.of("video")) == 1


async def test_without_a_shared_account_nothing_is_metered(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url, NEMOBOT_USER_DAILY_TURNS="1") as bot:
        for n in range(3):
            await bot.say(f'add a title "Free {n}"')
        assert sandbox.sandbox.sse_calls == 3  # each user's own anonymous account
        assert (await turn(bot, "/credits")).startswith("💳 Credits")


async def test_a_groups_own_allowance_holds_there_and_only_there(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url, NEMOBOT_ADMINS=BOSS) as bot:
        group = {"private": False, "chat": "group-1"}
        changed = await turn(bot, "/settings limit 1", user=BOSS, **group)
        assert changed == t("settings_changed", change=t("settings_change_limit", value="1"))
        await bot.say('add a title "In the group"', **group)
        refused = await turn(bot, 'add a title "Again in the group"', **group)
        what = t("allowance_turns")
        assert refused.startswith(t("allowance_out_chat", limit=1, what=what, time="X")[:40])
        await bot.say('add a title "In private"')
        assert sandbox.sandbox.sse_calls == 2


async def test_stats_show_spending_per_day_and_the_top_spenders_by_pseudonym(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    clock = Clock(LATE)
    async with running_bot(tmp_path, sandbox.url, clock=clock, NEMOBOT_ADMINS=BOSS) as bot:
        await bot.say("generate an image of a heron", user="u2")
        clock.now += 3600  # the next UTC day
        await bot.say("generate an image of an egret")
        await bot.say('add a title "Egrets"')
        stats = await turn(bot, "/stats", user=BOSS)
        assert "2026-12-02: 2 turns, 1 images, 0 exports (1 users)" in stats
        assert "2026-12-01: 1 turns, 1 images, 0 exports (1 users)" in stats
        assert stats.index("2026-12-02") < stats.index("2026-12-01")  # newest first
        first, second = pseudonym(await bot.user_id("u1")), pseudonym(await bot.user_id("u2"))
        assert f"{first}: 1 images, 2 turns" in stats and f"{second}: 1 images, 1 turns" in stats
        assert "u1" not in stats and "u2" not in stats  # people only by pseudonym
