"""After a restart the bot tells the truth: nothing that may have been sent is sent again."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.messages import ChatRef
from sandbox import RunningSandbox
from storage import NewRender, StatusAnswer
from tests.engine.harness import running_bot


async def test_a_video_that_may_have_been_sent_is_offered_again_never_resent(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a lighthouse")
        await bot.say("export")
        await bot.engine.wait_idle()
        assert len(bot.outbox.of("video")) == 1
        user = await bot.user_id()
        job = next(iter(await bot.store.active_renders(user)), None)
        assert job is None  # delivered
        # The crash: a second render stopped between sending the video and recording it.
        render_id = "render_crash_1"
        chat = ChatRef("console", "chat-u1").to_json()
        session = await bot.store.get_session(user, "anon:" + (await bot.store.client_id_for(user)))
        assert session is not None
        owner = bot.engine.worker_id
        new = NewRender(render_id, user, chat, session.session_id)
        await bot.store.create_render(new, owner, 60)
        first = next(iter(sandbox.sandbox.render_submissions))
        url = f"{sandbox.url}/renders/{first}.mp4"
        done = StatusAnswer("completed", 100, url)
        assert await bot.store.record_status(render_id, owner, done) is not None
        assert await bot.store.begin_delivery(render_id, owner)
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.engine.wait_idle()
        assert bot.outbox.of("video") == []  # not sent again on its own
        (notice,) = [s for s in bot.outbox.of("text") if "may already be above" in s.text]
        assert [b.label for b in notice.buttons] == ["Resend"]
        await bot.press(notice.buttons[0])
        await asyncio.wait_for(bot.engine.wait_idle(), 30)
        assert len(bot.outbox.of("video")) == 1
        await bot.press(notice.buttons[0])  # a second press: nothing left to resend
        assert bot.outbox.texts()[-1].startswith("There's no video waiting")
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.engine.wait_idle()
        assert not [s for s in bot.outbox.log if "may already be above" in s.text]
        assert bot.outbox.of("video") == []


async def test_still_rendering_is_said_only_of_a_submitted_render(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a canal")
        user = await bot.user_id()
        chat = ChatRef("console", "chat-u1").to_json()
        new = NewRender("render_never_sent", user, chat, "s")
        await bot.store.create_render(new, bot.engine.worker_id, 60)
        await bot.engine.stop()
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.engine.wait_idle()
        assert not any("still rendering" in text for text in bot.outbox.texts())
