"""/settings on the engine: private chats have none, only a group's admins change it, and
what they choose (admins only, the group's language) holds in that group."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.core.group_settings import CHOICES
from bot.core.messages import ChatRef
from bot.core.texts import t
from sandbox import RunningSandbox
from tests.engine.harness import RecordingOutbox, running_bot

GROUP = {"private": False, "chat": "group-1"}


@dataclass
class GroupOutbox(RecordingOutbox):
    """A platform that says who administers each group (as Telegram's Bot API does)."""

    admins: dict[str, frozenset[str]] = field(default_factory=dict)
    asked: int = 0

    async def chat_admins(self, chat: ChatRef) -> frozenset[str]:
        self.asked += 1
        return self.admins.get(chat.chat_id, frozenset())


async def test_settings_are_for_groups_and_their_admins(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    outbox = GroupOutbox(tmp_path / "received", admins={"group-1": frozenset({"admin"})})
    async with running_bot(tmp_path, sandbox.url, outbox=outbox) as bot:
        await bot.say("/settings", user="admin")
        assert bot.outbox.texts()[-1] == t("settings_private")
        await bot.say("/settings access admins", user="member", **GROUP)
        assert bot.outbox.texts()[-1] == t("settings_admins_only")
        assert await bot.store.chat_settings("console", "group-1") is None

        await bot.say("/settings", user="admin", **GROUP)
        shown = bot.outbox.of("text")[-1]
        assert shown.text.startswith("⚙️ My settings here")
        assert [len(row) for row in shown.keyboard] == [2, 3, 2, 5]
        ticked = [b.label for b in shown.buttons if b.label.startswith("✓ ")]
        assert len(ticked) == 4  # the current value of each
        admins_only = shown.buttons[CHOICES.index(("access", "admins"))]
        await bot.press(admins_only, user="admin", **GROUP)
        change = t("settings_change_access", value=t("settings_access_admins"))
        assert bot.outbox.texts()[-1] == t("settings_changed", change=change)
        asked = outbox.asked

        await bot.say('add a title "Members too?"', user="member", **GROUP)
        assert bot.outbox.texts()[-1] == t("settings_admins_here")
        assert sandbox.sandbox.sse_calls == 0
        assert outbox.asked == asked  # who administers the group is remembered a while
        await bot.say('add a title "Admins"', user="admin", **GROUP)
        assert sandbox.sandbox.sse_calls == 1


async def test_the_groups_language_is_spoken_there_only(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url, NEMOBOT_ADMINS="boss") as bot:
        await bot.say("/settings language zh", user="boss", **GROUP)
        change = t("settings_change_language", "zh", value=t("settings_language_zh", "zh"))
        assert bot.outbox.texts()[-1] == t("settings_changed", "zh", change=change)
        await bot.say("/help", **GROUP)
        assert bot.outbox.texts()[-1].startswith(t("help", "zh")[:10])
        await bot.say("/help")
        assert bot.outbox.texts()[-1].startswith(t("help", "en")[:10])
        await bot.say("/settings volume loud", user="boss", **GROUP)
        assert bot.outbox.texts()[-1] == t("settings_usage", "zh")
