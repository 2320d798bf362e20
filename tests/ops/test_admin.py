"""Operators' commands: /stats, /ban, /unban, /allow, /deny — only for them, only in private."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.core.help import help_text
from bot.core.texts import t
from sandbox import RunningSandbox
from tests.engine.harness import Bot, running_bot

BOSS = "boss"
UNKNOWN = t("unknown_command", command="/stats")


def inbox_rows(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "bot.db") as db:
        (count,) = db.execute("SELECT count(*) FROM inbox").fetchone()
    return int(count)


async def boss(bot: Bot, text: str) -> str:
    """What the operator's private command got back."""
    before = len(bot.outbox.texts())
    await bot.say(text, user=BOSS)
    answers = bot.outbox.texts()[before:]
    assert len(answers) >= 1
    return "\n".join(answers)


async def test_stats_is_an_unknown_command_to_everyone_else_and_in_groups(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url, NEMOBOT_ADMINS=BOSS) as bot:
        await bot.say("/stats")
        assert bot.outbox.texts()[-1] == UNKNOWN
        await bot.say("/ban u2")
        assert bot.outbox.texts()[-1] == t("unknown_command", command="/ban")
        await bot.say("/stats", user=BOSS, private=False, chat="group-1")
        assert bot.outbox.texts()[-1] == UNKNOWN
        assert "Users:" not in "\n".join(bot.outbox.texts())


async def test_stats_gives_the_operator_the_figures(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url, NEMOBOT_ADMINS=BOSS) as bot:
        await bot.say("generate an image of a red kite")
        await bot.say("generate an image of a blue kite", user="u2")
        answer = await boss(bot, "/stats")
        assert "Users: 3" in answer  # u1, u2 and the operator
        assert "Turns today: 2" in answer
        assert "Queue: 0 waiting" in answer
        assert "Credits on the shared token: none" in answer


async def test_a_ban_takes_effect_on_the_next_message_and_lifts_with_unban(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url, NEMOBOT_ADMINS=BOSS) as bot:
        await bot.say("/help", user="u2")
        assert t("admin_ban", who="console:u2") in await boss(bot, "/ban console:u2")
        rows = inbox_rows(tmp_path)
        refused = await bot.engine.submit(bot.message("generate an image of a cat", user="u2"))
        assert refused.status == "not_allowed"
        await bot.engine.submit(bot.message("and again", user="u2"))
        await bot.engine.wait_idle(renders=False)
        assert bot.outbox.texts().count(t("banned")) == 1  # told once, not once a message
        assert inbox_rows(tmp_path) == rows  # nothing stored
        await bot.say("/help")  # others are unaffected
        assert bot.outbox.texts()[-1] == help_text(bot.engine.registry, "en")

        assert t("admin_ban_unchanged", who="console:u2") in await boss(bot, "/ban console:u2")
        assert t("admin_unban", who="console:u2") in await boss(bot, "/unban console:u2")
        accepted = await bot.engine.submit(bot.message("/help", user="u2"))
        assert accepted.status != "not_allowed"


async def test_a_bare_id_bans_the_user_on_every_platform(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url, NEMOBOT_ADMINS=BOSS) as bot:
        await boss(bot, "/ban u2")
        refused = await bot.engine.submit(bot.message("hi", user="u2"))
        assert refused.status == "not_allowed"


async def test_allow_turns_the_allowlist_on_and_deny_takes_a_user_off(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url, NEMOBOT_ADMINS=BOSS) as bot:
        assert (await bot.engine.submit(bot.message("/help", user="u3"))).status != "not_allowed"
        answer = await boss(bot, "/allow u3")
        assert t("admin_allow", who="u3") in answer and t("admin_allowlist_on") in answer
        assert (await bot.engine.submit(bot.message("/help", user="u3"))).status != "not_allowed"
        assert (await bot.engine.submit(bot.message("/help", user="u4"))).status == "not_allowed"
        assert (await bot.engine.submit(bot.message("/help", user=BOSS))).status != "not_allowed"
        assert t("admin_allowlist_on") not in await boss(bot, "/allow u4")  # on already
        assert t("admin_deny", who="u3") in await boss(bot, "/deny u3")
        assert (await bot.engine.submit(bot.message("/help", user="u3"))).status == "not_allowed"
        assert t("admin_deny_unchanged", who="u9") in await boss(bot, "/deny u9")
        answer = await boss(bot, "/deny u4")  # the last one: the list is off, and says so
        assert t("admin_allowlist_off") in answer
        assert (await bot.engine.submit(bot.message("/help", user="u3"))).status != "not_allowed"


async def test_rules_are_kept_in_the_database_across_a_restart(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url, NEMOBOT_ADMINS=BOSS) as bot:
        await boss(bot, "/ban u2")
    async with running_bot(tmp_path, sandbox.url, NEMOBOT_ADMINS=BOSS) as bot:
        refused = await bot.engine.submit(bot.message("hi", user="u2"))
        assert refused.status == "not_allowed"
        answer = await boss(bot, "/stats")
        assert "Banned: 1" in answer


async def test_operators_cannot_be_banned_or_denied_what_the_settings_allow(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(
        tmp_path, sandbox.url, NEMOBOT_ADMINS=BOSS, NEMOBOT_ALLOWED_USERS="u5"
    ) as bot:
        assert t("admin_cannot_ban", who="console:boss") in await boss(bot, "/ban console:boss")
        assert t("admin_configured", who="u5") in await boss(bot, "/deny u5")
        assert t("admin_usage", command="ban") in await boss(bot, "/ban")
        assert t("admin_usage", command="allow") in await boss(bot, "/allow two words")
        assert (await bot.engine.submit(bot.message("/help", user="u5"))).status != "not_allowed"


async def test_on_telegram_an_operator_bans_from_a_private_chat_and_groups_see_nothing(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    from tests.telegram.emulator import running_emulator
    from tests.telegram.harness import telegram_bot

    operator, member, group = 4001, 4002, -100777
    async with (
        running_emulator() as emu,
        telegram_bot(tmp_path, emu, sandbox, NEMOBOT_ADMINS=f"telegram:{operator}"),
    ):
        emu.private_chat(operator)
        emu.private_chat(member)
        emu.group_chat(group)
        emu.send_message(group, operator, "/stats@nemo_test_bot")
        await emu.wait_for_message(group, lambda m: (m.text or "").startswith("I don't know"))
        emu.send_message(operator, operator, f"/ban {member}")
        await emu.wait_for_message(operator, lambda m: "banned" in (m.text or ""))
        emu.send_message(member, member, "/help")
        await emu.wait_for_message(member, lambda m: (m.text or "") == t("banned"))
        emu.send_message(operator, operator, "/stats")
        stats = await emu.wait_for_message(operator, lambda m: "Banned: 1" in (m.text or ""))
        assert "Users:" in (stats.text or "")
