"""Who pays: anonymous tokens and sessions are made once and kept; /login and /logout."""

from __future__ import annotations

from pathlib import Path

from sandbox import RunningSandbox
from tests.engine.harness import running_bot


async def test_token_and_session_are_created_once_and_survive_a_restart(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    backend = sandbox.sandbox
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("hello")
        assert (backend.tokens_issued, backend.sessions_created) == (1, 1)
        await bot.say("what can you do?")
        assert (backend.tokens_issued, backend.sessions_created) == (1, 1)
        assert backend.sse_calls == 2
        creds = await bot.store.credentials(await bot.user_id())
        assert creds is not None and creds.anon_user_id is not None
        assert creds.anon_user_id.startswith("anon_")

    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("hello again")
        answer = bot.outbox.final_texts()[-1]
        assert "NemoVideo agent" in answer
    assert (backend.tokens_issued, backend.sessions_created) == (1, 1)
    assert backend.sse_calls == 3


async def test_each_chat_user_gets_a_token_and_session_of_their_own(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("hello", user="alice")
        await bot.say("hello", user="bob")
    backend = sandbox.sandbox
    assert (backend.tokens_issued, backend.sessions_created) == (2, 2)
    assert len({record.client_id for record in backend.tokens.values()}) == 2


async def test_login_in_a_group_is_refused_and_the_message_deleted(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    token = sandbox.sandbox.create_user_token("user_group", credits=42)
    async with running_bot(tmp_path, sandbox.url) as bot:
        msg = bot.message(f"/login {token}", chat="group-1", private=False)
        await bot.engine.submit(msg)
        await bot.engine.wait_idle()
        deleted = bot.outbox.of("delete")
        assert [d.message_id for d in deleted] == [msg.message_id]
        assert any("private chat" in text for text in bot.outbox.texts())
        creds = await bot.store.credentials(await bot.user_id())
        assert creds is None or creds.login_token is None
    assert all(token not in text for text in bot.outbox.everything())


async def test_login_with_a_bad_token_says_it_did_not_work(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("/login nmv_usr_not_a_real_token")
        assert any("didn't work" in text for text in bot.outbox.texts())
        creds = await bot.store.credentials(await bot.user_id())
        assert creds is None or creds.login_token is None


async def test_login_then_logout_switches_accounts(sandbox: RunningSandbox, tmp_path: Path) -> None:
    token = sandbox.sandbox.create_user_token("user_registered", credits=42)
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say(f"/login {token}")
        assert any("own NemoVideo account (42 credits)" in t for t in bot.outbox.texts())
        assert len(bot.outbox.of("delete")) == 1  # the token's message is removed

        await bot.say("credits")
        assert "42 available" in bot.outbox.texts()[-1]
        await bot.say("generate an image of a red kite")
        await bot.outbox.wait_for(lambda s: s.kind == "image")
        assert sandbox.sandbox.users["user_registered"].credits == 37

        await bot.say("/logout")
        assert "back on the bot's account" in bot.outbox.texts()[-1]
        await bot.say("credits")
        assert "100 available" in bot.outbox.texts()[-1]
        assert sandbox.sandbox.tokens_issued == 2  # the registered one and one anonymous

        stored = await bot.store.get_item(1)
        assert stored is not None and token not in stored.payload
    assert all(token not in text for text in bot.outbox.everything())
