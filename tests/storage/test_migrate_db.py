"""SQLite → PostgreSQL: every user, token, session, message and pending render arrives."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from store_fakes import CHAT, FakeClock, chat_on, message

from storage import (
    ChatSettings,
    Counts,
    NewRender,
    SqliteStore,
    StarPayment,
    StatusAnswer,
    StoreOpenError,
)
from storage.migrate import TABLES, migrate_database
from storage.postgres import PostgresStore
from tests.console.cli_support import nemobot
from tests.postgres import PostgresServer, fresh_database

SESSION = "1234567890123456789"
PRESS = "again:1234567890123456789:3"  # a button press still waiting: a repeat is dropped


async def _filled(path: Path, clock: FakeClock) -> dict[str, object]:
    """A SQLite database with a bit of everything; what to look for afterwards."""
    async with await SqliteStore.open(path, clock=clock) as store:
        alice = await store.upsert_user("telegram", "1001", "zh")
        bob = await store.upsert_user("discord", "2002")
        client = await store.client_id_for(alice.id)
        await store.save_anonymous_token(alice.id, "nmv_anon_" + "a" * 20, "anon-1", 2e9)
        await store.set_login_token(bob.id, "nmv_usr_" + "b" * 20)
        await store.save_session(alice.id, "anon", SESSION, "task-1")
        done = await store.accept(message(alice.id, "u1"))
        claim = await store.claim_next(alice.id, "old", 30)
        assert claim is not None and await store.finish(claim.item.id, "old")
        waiting = await store.accept(message(alice.id, "u2", "x", kind="again", press=PRESS))
        await store.create_render(NewRender("render_1", alice.id, CHAT, SESSION), "old", 30)
        answer = StatusAnswer("processing", 40, submitted_at=1.5)
        assert await store.record_status("render_1", "old", answer) is not None
        await store.create_render(
            NewRender("render_0", bob.id, chat_on("discord"), SESSION), "old", 30
        )
        assert await store.record_status("render_0", "old", StatusAnswer("completed", 100))
        assert await store.begin_delivery("render_0", "old")
        assert await store.end_render("render_0", "old", "delivered")
        image = await store.remember_image(alice.id, SESSION, "k1", "https://x/1.png", "a cat")
        await store.bump_usage(alice.id, turns=3, images=1)
        await store.set_access("discord:9", "ban", True, set_by="console:boss")
        await store.spend("2026-12-01", alice.id, "telegram:-5", Counts(turns=2, images=1))
        paid = StarPayment("charge-1", alice.id, "turns:10", 50, Counts(turns=10), 2.0)
        assert await store.credit_payment(paid)
        await store.save_chat_settings(ChatSettings("telegram", "-5", "admins", quiet=True))
    return {
        "alice": alice.id,
        "bob": bob.id,
        "client": client,
        "done": done.item_id,
        "waiting": waiting.item_id,
        "image": image,
    }


async def test_everything_arrives_and_work_goes_on(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    clock = FakeClock()
    source = tmp_path / "nemobot.db"
    seen = await _filled(source, clock)
    target = await fresh_database(postgres_server)
    copied = await migrate_database(str(source), target)
    assert copied == {
        "users": 2,
        "credentials": 2,
        "sessions": 1,
        "inbox": 2,
        "renders": 2,
        "usage": 1,
        "images": 1,
        "access_rules": 1,
        "daily_spending": 2,
        "extras": 1,
        "star_payments": 1,
        "chat_settings": 1,
    }

    clock.advance(60)  # the old process's leases ran out long ago
    async with await PostgresStore.open(target, clock=clock) as store:
        alice = await store.get_user(int(str(seen["alice"])))
        assert alice is not None and (alice.platform_user_id, alice.language) == ("1001", "zh")
        creds = await store.credentials(alice.id)
        assert creds is not None and creds.client_id == seen["client"]
        assert creds.anon_token == "nmv_anon_" + "a" * 20
        bob_creds = await store.credentials(int(str(seen["bob"])))
        assert bob_creds is not None and bob_creds.login_token == "nmv_usr_" + "b" * 20
        session = await store.get_session(alice.id, "anon")
        assert session is not None and (session.session_id, session.task_id) == (SESSION, "task-1")
        assert await store.queued_count(alice.id) == 1
        again = await store.accept(message(alice.id, "u1"))
        assert again.duplicate  # the update ids came along: no answer twice
        pressed = await store.accept(message(alice.id, "u9", "x", kind="again", press=PRESS))
        assert pressed.repeat and pressed.item_id == seen["waiting"]  # so did the press key
        claim = await store.claim_next(alice.id, "new", 30)
        assert claim is not None and claim.item.id == seen["waiting"]
        assert claim.item.intent == message(alice.id, "u2", "x", kind="again").intent
        later = await store.accept(message(alice.id, "u3"))
        assert later.item_id > int(str(seen["waiting"]))  # ids go on after the copied ones
        pending = await store.take_over_renders("new", 30, ["telegram", "discord"])
        assert [(j.render_id, j.status, j.progress) for j in pending] == [
            ("render_1", "processing", 40)
        ]
        delivered = await store.get_render("render_0")
        assert delivered is not None and delivered.delivered
        image = await store.get_image(int(str(seen["image"])))
        assert image is not None and image.prompt == "a cat"
        assert (await store.usage(alice.id)).turns == 3
        assert [r.who for r in await store.access_rules()] == ["discord:9"]
        spent = await store.spending("2026-12-01", alice.id, "telegram:-5")
        assert spent.user == spent.chat == Counts(turns=2, images=1)
        assert spent.extras == Counts(turns=10)
        assert not await store.credit_payment(  # the charge came along: no second credit
            StarPayment("charge-1", alice.id, "turns:10", 50, Counts(turns=10), 2.0)
        )
        here = await store.chat_settings("telegram", "-5")
        assert here is not None and here.quiet and here.access == "admins"
        fresh = await store.upsert_user("telegram", "3003")
        assert fresh.id > int(str(seen["bob"]))


async def test_refuses_a_target_that_is_not_empty_and_changes_nothing(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    source = tmp_path / "nemobot.db"
    await _filled(source, FakeClock())
    target = await fresh_database(postgres_server)
    async with await PostgresStore.open(target) as store:
        await store.upsert_user("telegram", "already-here")
    with pytest.raises(StoreOpenError, match="already has users"):
        await migrate_database(str(source), target)
    conn = await asyncpg.connect(target)
    try:
        for table in TABLES:
            count = await conn.fetchval(f"SELECT count(*) FROM {table}")
            assert count == (1 if table == "users" else 0), table
    finally:
        await conn.close()


async def test_refuses_while_a_bot_uses_the_file(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    source = tmp_path / "nemobot.db"
    target = await fresh_database(postgres_server)
    async with await SqliteStore.open(source):
        with pytest.raises(StoreOpenError, match="in use by another nemobot"):
            await migrate_database(str(source), target)


async def test_the_command_line_copies_and_hides_the_password(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    source = tmp_path / "nemobot.db"
    await _filled(source, FakeClock())
    target = await fresh_database(postgres_server)
    with_password = target.replace("nemobot@", "nemobot:s3cret-pw@")  # trust auth ignores it
    run = await nemobot(tmp_path, b"", "migrate-db", str(source), with_password)
    assert run.code == 0, run.err
    assert "copied 2 users" in run.out and "s3cret-pw" not in run.out + run.err
    wrong = await nemobot(tmp_path, b"", "migrate-db", str(source), str(tmp_path / "x.db"))
    assert wrong.code == 2 and "postgresql://" in wrong.err and "Traceback" not in wrong.err
