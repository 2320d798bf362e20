"""Accepting apart (`bot.core.acceptance`): messages stored on the accepting thread, by an
edge running there (as the Telegram webhook does), are served in order, once, on the
serving loop; the thread lives exactly as long as the engine."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.core.acceptance import AcceptThread, Inline
from sandbox import RunningSandbox
from storage import AcceptRules, Enqueued, NewItem, UserRecord
from storage.sqlite import SqliteStore
from tests.engine.harness import eventually, running_bot


def _accepting_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "nemobot-accept"]


async def test_messages_stored_at_the_edge_are_served_in_order_once(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        assert isinstance(bot.engine.acceptance, AcceptThread)
        edge = bot.engine.acceptance.at_edge
        statuses = [
            (await edge(bot.engine.submit(bot.message(f'add a title "{word}"')))).status
            for word in ("One", "Two", "Three")
        ]
        duplicate = bot.message("hello", update_id=f"upd-{bot.run}-1")  # "One" delivered again
        again = await edge(bot.engine.submit(duplicate))

        def answered() -> list[str]:
            return [t.split('"')[1] for t in bot.outbox.final_texts() if t.startswith("Added")]

        await eventually(lambda: len(answered()) == 3)
        await bot.engine.wait_idle()
        assert statuses == ["queued"] * 3 and again.status == "duplicate"
        assert answered() == ["One", "Two", "Three"]
        assert sandbox.sandbox.sse_calls == 3
        places = [t for t in bot.outbox.texts() if "in line" in t]
        assert len(places) <= 2  # a place is told only to a message that waits


async def test_the_accepting_thread_lives_as_long_as_the_engine(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        assert len(_accepting_threads()) == 1
        await bot.engine.stop()
        assert isinstance(bot.engine.acceptance, Inline)
        assert not _accepting_threads()
        # Stopped, the engine still stores what arrives (for the next start).
        accepted = await bot.engine.submit(bot.message("/credits"))
        assert accepted.status == "side"


_NO_LIMITS = AcceptRules()
_WRITES: list[str] = []  # what the stores below wrote, in order (the accepting twin's too)


class _WritesCounted(SqliteStore):
    """A real SQLite store that notes its user and inbox writes."""

    async def upsert_user(
        self, platform: str, platform_user_id: str, language: str = "en"
    ) -> UserRecord:
        _WRITES.append("upsert_user")
        return await super().upsert_user(platform, platform_user_id, language)

    async def accept(self, new: NewItem, rules: AcceptRules = _NO_LIMITS) -> Enqueued:
        _WRITES.append("accept" if new.newcomer is None else "accept+user")
        return await super().accept(new, rules)


async def test_a_first_message_is_one_write_with_its_senders_row(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """A sender not seen before costs one write (their row and the message together), not
    two in a row: that is what a crowd of newcomers waits for at the edge."""
    _WRITES.clear()
    async with running_bot(tmp_path, sandbox.url, store_class=_WritesCounted) as bot:
        first = await bot.engine.submit(bot.message("hello"))
        second = await bot.engine.submit(bot.message("/credits"))
        await bot.engine.wait_idle()
        assert first.status == "queued" and second.status == "side"
        assert _WRITES[:2] == ["accept+user", "accept"]
        assert "upsert_user" not in _WRITES
        assert len(bot.outbox.final_texts()) >= 1  # the newcomer was answered
