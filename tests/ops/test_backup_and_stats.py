"""`nemobot backup` and `nemobot stats` beside a running bot; housekeeping of old renders."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import time
from pathlib import Path

from bot.core.allowances import utc_day
from bot.core.housekeeping import Housekeeping
from bot.logs import pseudonym
from sandbox import RunningSandbox
from storage import SqliteStore
from storage.backup import backup_sqlite
from tests.console.cli_support import nemobot
from tests.engine.harness import running_bot


def rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


async def test_a_backup_taken_during_a_conversation_opens_and_holds_every_row(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a harbour")
        talking = asyncio.gather(
            *(bot.say(f"generate an image of boat {n}", user=f"u{n}") for n in range(2, 6))
        )
        copy = tmp_path / "backups" / "during.db"
        version = await asyncio.to_thread(backup_sqlite, tmp_path / "bot.db", copy)
        await talking
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        with sqlite3.connect(copy) as db:
            assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
            assert db.execute("PRAGMA user_version").fetchone() == (version,)
        during_users = {row[2] for row in rows(copy, "users")}
        assert "u1" in during_users  # what was there before the backup began

        await bot.engine.wait_idle()
        after = tmp_path / "backups" / "after.db"
        backup_sqlite(tmp_path / "bot.db", after)
        for table in ("users", "credentials", "sessions", "inbox", "images", "usage"):
            assert rows(after, table) == rows(tmp_path / "bot.db", table), table
        assert {f"u{n}" for n in range(1, 6)} <= {row[2] for row in rows(after, "users")}

    # The copy is a working database: a bot opens it as it is.
    async with await SqliteStore.open(after) as restored:
        assert (await restored.stats(0)).users == 5


async def test_backup_and_stats_work_beside_a_running_bot(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    env = {"NEMO_API_BASE": sandbox.url, "NEMOBOT_DB": str(tmp_path / "bot.db")}
    async with running_bot(tmp_path, sandbox.url) as bot:  # holds the database's lock
        await bot.say("generate an image of a kestrel")
        second = await nemobot(tmp_path, b"hi\n", "chat", **env)
        assert second.code == 2 and "in use by another nemobot" in second.err  # still locked

        stats = await nemobot(tmp_path, b"", "stats", **env)
        assert stats.code == 0, stats.err
        assert "Users: 1" in stats.out and "Turns today: 1" in stats.out
        today = utc_day(time.time())
        assert f"{today}: 1 turns, 1 images, 0 exports (1 users)" in stats.out
        assert f"{pseudonym(await bot.user_id())}: 1 images, 1 turns" in stats.out

        backup = await nemobot(tmp_path, b"", "backup", str(tmp_path / "copy.db"), **env)
        assert backup.code == 0, backup.err
        assert "backed up" in backup.out and "schema" in backup.out
        assert [row[2] for row in rows(tmp_path / "copy.db", "users")] == ["u1"]


async def test_stats_and_backup_without_a_database_say_so_in_one_line(tmp_path: Path) -> None:
    env = {"NEMO_API_BASE": "http://127.0.0.1:9", "NEMOBOT_DB": str(tmp_path / "none.db")}
    for args in (("stats",), ("backup", str(tmp_path / "copy.db"))):
        run = await nemobot(tmp_path, b"", *args, **env)
        assert run.code == 2
        assert run.err.strip().count("\n") == 0 and "there is no database" in run.err
        assert "Traceback" not in run.err
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "copy.db").exists()


async def test_housekeeping_prunes_delivered_renders_but_keeps_the_current_projects_images(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a comet")
        await bot.say("export")
        await bot.outbox.wait_for(lambda sent: sent.kind == "video", 60)
        await bot.engine.wait_idle()
        db = tmp_path / "bot.db"
        assert [row[4] for row in rows(db, "renders")] == ["delivered"]
        images = len(rows(db, "images"))
        assert images >= 1

        now = [time.time()]
        chores = Housekeeping(
            bot.store, text_hours=24, keep_days=30, render_keep_days=30, clock=lambda: now[0]
        )
        assert (await chores.run_once())[2] == 0  # nothing old yet
        now[0] += 31 * 24 * 3600
        assert (await chores.run_once())[2] == 1
        assert rows(db, "renders") == []
        assert len(rows(db, "images")) == images  # the project is still the user's

        await bot.say("/new")
        await chores.run_once()
        assert rows(db, "images") == []  # a past project's old images go
