"""Per-user limits, and what the inbox keeps: nothing too long, no tokens, texts not forever."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bot.core.admission import MAX_MESSAGE_CHARS, Admission
from bot.core.housekeeping import Housekeeping
from bot.core.messages import ChatRef, IncomingMessage, User
from sandbox import RunningSandbox
from storage import AccessRule
from tests.engine.harness import running_bot


def _msg(user: str, text: str = "hi", platform: str = "telegram") -> IncomingMessage:
    return IncomingMessage(f"u-{user}-{text}", User(platform, user), ChatRef(platform, user), text)


def test_the_rate_limit_refuses_past_n_a_minute_and_speaks_once() -> None:
    now = [0.0]
    gate = Admission(frozenset(), frozenset({"boss"}), per_minute=3, clock=lambda: now[0])
    results = [gate.refusal(_msg("a")) for _ in range(6)]
    assert results[:3] == [None, None, None]
    refused = [r for r in results[3:] if r is not None]
    assert [r.status for r in refused] == ["throttled"] * 3
    assert [r.text_key for r in refused] == ["slow_down", None, None]  # one line, not a flood
    now[0] += 61
    assert gate.refusal(_msg("a")) is None  # a new minute
    assert all(gate.refusal(_msg("boss")) is None for _ in range(10))  # operators exempt


def test_allowlist_length_and_operators() -> None:
    gate = Admission(frozenset({"telegram:7"}), frozenset({"boss"}), per_minute=100)
    assert gate.refusal(_msg("7")) is None
    stranger = gate.refusal(_msg("8"))
    assert stranger is not None and stranger.status == "not_allowed"
    assert gate.refusal(_msg("boss")) is None
    long = gate.refusal(_msg("7", "x" * (MAX_MESSAGE_CHARS + 1)))
    assert long is not None and long.status == "too_long"
    assert long.values == {"length": MAX_MESSAGE_CHARS + 1, "limit": MAX_MESSAGE_CHARS}


def test_may_start_is_the_one_turn_check_and_can_only_look() -> None:
    """Bans, the allowlist and the rate, each with the key of its line; looking (an inline
    query) counts nothing, and a refused message is always given its reason."""
    now = [0.0]
    gate = Admission(frozenset(), frozenset({"boss"}), per_minute=2, clock=lambda: now[0])
    user = User("telegram", "5")
    assert [gate.may_start(user, count=False) for _ in range(5)] == [None] * 5
    assert [gate.may_start(user) for _ in range(3)] == [None, None, "slow_down"]
    assert gate.may_start(user, count=False) == "slow_down"
    gate.apply_rules([AccessRule("telegram:5", "ban", "boss", 0.0)])
    assert gate.may_start(user, count=False) == "banned"
    gate.apply_rules([AccessRule("telegram:6", "allow", "boss", 0.0)])
    assert gate.may_start(user, count=False) == "not_allowed"
    assert gate.may_start(User("telegram", "boss")) is None  # operators always may
    told = gate.refusal(_msg("5"))
    assert told is not None and (told.text_key, told.reason) == ("not_allowed", "not_allowed")
    again = gate.refusal(_msg("5"))
    assert again is not None and (again.text_key, again.reason) == (None, "not_allowed")


async def test_a_flooding_user_gets_one_line_and_others_are_unaffected(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    env = {"NEMOBOT_USER_MESSAGES_PER_MINUTE": "3", "NEMOBOT_QUEUE_LIMIT": "50"}
    async with running_bot(tmp_path, sandbox.url, **env) as bot:
        statuses = [(await bot.engine.submit(bot.message("/help"))).status for _ in range(8)]
        assert statuses.count("throttled") == 5
        other = await bot.engine.submit(bot.message("/help", user="calm"))
        assert other.status == "side"
        await bot.engine.wait_idle()
        texts = [s.text for s in bot.outbox.of("text") if s.chat == "chat-u1"]
        assert sum(text.startswith("You're sending messages faster") for text in texts) == 1
        assert sum(text.startswith("What I understand") for text in texts) == 3


async def test_an_over_long_message_is_refused_before_it_is_stored(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        accepted = await bot.engine.submit(bot.message("a" * (MAX_MESSAGE_CHARS + 10)))
        assert accepted.status == "too_long"
        await bot.engine.wait_idle()
        assert bot.outbox.texts() == [
            f"That message is too long ({MAX_MESSAGE_CHARS + 10} characters). Please keep it "
            f"under {MAX_MESSAGE_CHARS}."
        ]
        with sqlite3.connect(tmp_path / "bot.db") as db:
            assert db.execute("SELECT COUNT(*) FROM inbox").fetchone() == (0,)
        assert sandbox.sandbox.sse_calls == 0


async def test_a_token_pasted_into_a_message_is_never_kept(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    token = "nmv_usr_" + "k" * 32
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say(f'add a title "My key is {token}"')
        await bot.say(f"/login {token}")
    dump = "\n".join(sqlite3.connect(tmp_path / "bot.db").iterdump())
    assert token not in dump  # the sandbox refused it as a login, so not even a credential
    with sqlite3.connect(tmp_path / "bot.db") as db:
        payloads = [row[0] for row in db.execute("SELECT payload FROM inbox")]
    assert payloads and all(token not in payload for payload in payloads)


async def test_housekeeping_erases_old_texts_then_prunes_old_messages(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say('add a title "Remember me"')
        await bot.say("/help")
        now = [time.time()]
        chores = Housekeeping(bot.store, text_hours=24, keep_days=30, clock=lambda: now[0])
        assert await chores.run_once() == (0, 0, 0)  # nothing is old yet
        now[0] += 25 * 3600
        erased, pruned, _ = await chores.run_once()
        assert erased == 2 and pruned == 0
        with sqlite3.connect(tmp_path / "bot.db") as db:
            payloads = [row[0] for row in db.execute("SELECT payload FROM inbox")]
        assert all("Remember me" not in payload for payload in payloads)
        now[0] += 31 * 24 * 3600
        assert await chores.run_once() == (0, 2, 0)
        again = await bot.engine.submit(bot.message("x", update_id="fresh"))
        assert again.status == "queued"


async def test_one_render_at_a_time_per_user_but_not_for_operators(
    tmp_path: Path,
) -> None:
    from tests.engine.harness import fast_sandbox

    async with (
        fast_sandbox(render_min_seconds=2.0) as sandbox,
        running_bot(tmp_path, sandbox.url, NEMOBOT_ADMINS="boss") as bot,
    ):
        for user in ("u1", "boss"):
            await bot.say("generate an image of a kite", user=user)
            await bot.say("export", user=user)
            await bot.say("export", user=user)
        texts = {
            user: [s.text for s in bot.outbox.of("text") if s.chat == f"chat-{user}"]
            for user in ("u1", "boss")
        }
        assert any(text.startswith("🎬 Your video is already rendering") for text in texts["u1"])
        assert not any(
            text.startswith("🎬 Your video is already rendering") for text in texts["boss"]
        )
        await bot.engine.wait_idle()
        videos = {s.chat for s in bot.outbox.of("video")}
        assert len(bot.outbox.of("video")) == 3 and videos == {"chat-u1", "chat-boss"}
