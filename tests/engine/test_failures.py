"""Every backend failure becomes one friendly line, and the bot keeps working."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from bot.core import codec
from bot.core.messages import Attachment
from sandbox import RunningSandbox
from tests.engine.harness import Bot, fast_sandbox, running_bot

_LEAKS = ("Traceback", "Error(", "nmv_usr_", "status=", "endpoint=")


def assert_no_leaks(bot: Bot) -> None:
    """No sent text shows an exception, a token or other internals."""
    for text in bot.outbox.everything():
        for leak in _LEAKS:
            assert leak not in text, f"{leak!r} leaked into {text!r}"


async def test_out_of_credits_gives_the_registration_link(tmp_path: Path) -> None:
    async with (
        fast_sandbox(initial_credits=3) as sandbox,
        running_bot(tmp_path, sandbox.url) as bot,
    ):
        await bot.say("generate an image of a forest")
        creds = await bot.store.credentials(await bot.user_id())
        assert creds is not None and creds.anon_user_id is not None
        assert len(bot.outbox.texts()) == 1
        line = bot.outbox.texts()[0]
        assert "free credits" in line
        assert f"https://nemovideo.com/register?bind={creds.anon_user_id}" in line
        assert creds.anon_user_id.startswith("anon_")
        assert not bot.outbox.of("image")

        await bot.say("hello")  # a free turn still works
        assert "NemoVideo agent" in bot.outbox.final_texts()[-1]
        assert_no_leaks(bot)


async def test_expired_token_is_renewed_with_the_same_client_id(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    backend = sandbox.sandbox
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("hello")
        creds = await bot.store.credentials(await bot.user_id())
        assert creds is not None
        first_token = creds.anon_token

        backend.faults.expire_tokens = True
        await bot.say("generate an image of a snowy owl")
        assert len(bot.outbox.of("image")) == 1
        assert "snowy owl" in bot.outbox.final_texts()[-1]

        renewed = await bot.store.credentials(await bot.user_id())
        assert renewed is not None and renewed.anon_token != first_token
        assert renewed.client_id == creds.client_id
        assert renewed.anon_user_id == creds.anon_user_id
        assert backend.tokens_issued == 2
        assert {r.client_id for r in backend.tokens.values()} == {creds.client_id}
        assert backend.sessions_created == 1  # the project survived the renewal
        assert backend.sse_calls == 3  # hello, the refused call, its one retry
        assert_no_leaks(bot)


async def test_lost_session_is_recreated_once_and_the_turn_answered(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    backend = sandbox.sandbox
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("hello")
        backend.faults.lose_sessions = True
        await bot.say("generate an image of a paper boat")
        assert len(bot.outbox.of("image")) == 1
        assert "paper boat" in bot.outbox.final_texts()[-1]
        assert backend.sessions_created == 2
        assert backend.sse_calls == 3  # hello, the refused call, its one retry
        assert backend.users[next(iter(backend.users))].credits == 95  # charged once
        assert all("session was lost" not in text for text in bot.outbox.texts())
        assert_no_leaks(bot)


async def test_rate_limit_once_is_retried(sandbox: RunningSandbox, tmp_path: Path) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("hello")
        sandbox.sandbox.faults.rate_limit_once = True
        await bot.say("generate an image of a hot air balloon")
        assert len(bot.outbox.of("image")) == 1
        assert all("busy" not in text for text in bot.outbox.texts())
        assert_no_leaks(bot)


async def test_backend_down_says_try_again_and_recovers(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        sandbox.sandbox.faults.down = True
        await bot.say("generate an image of a volcano")
        assert bot.outbox.texts() == [
            "I can't reach NemoVideo right now. Please try again in a minute."
        ]
        await bot.say("credits")
        assert bot.outbox.texts()[-1].endswith("try again in a minute.")
        await bot.say("export")
        assert bot.outbox.texts()[-1].endswith("try again in a minute.")

        sandbox.sandbox.faults.down = False
        await bot.say("generate an image of a volcano")
        assert len(bot.outbox.of("image")) == 1
        assert_no_leaks(bot)


async def test_a_failed_render_offers_retry_which_renders_again(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    backend = sandbox.sandbox
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("generate an image of a desert road")
        backend.faults.render_fail_once = True
        await bot.say("export")
        failed = await bot.outbox.wait_for(lambda s: "render failed" in s.text)
        assert [b.label for b in failed.buttons] == ["Retry"]
        pressed = codec.decode(failed.buttons[0].data)
        assert pressed is not None and pressed.action == "retry"

        await bot.say(failed.buttons[0].data)  # the adapter hands the press over as text
        video = await bot.outbox.wait_for(lambda s: s.kind == "video", timeout=60)
        assert video.video is not None
        assert sorted(backend.render_submissions.values()) == [1, 1]  # two ids, each once
        statuses = sorted(job.status for job in backend.renders.values())
        assert statuses == ["completed", "failed"]
        assert_no_leaks(bot)


async def test_a_cut_stream_is_never_resent_and_the_state_is_reported(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    backend = sandbox.sandbox
    async with running_bot(tmp_path, sandbox.url) as bot:
        await bot.say("hello")
        calls = backend.sse_calls
        backend.faults.cut_stream_once = True
        await bot.say("generate an image of a glass castle")
        assert backend.sse_calls == calls + 1
        texts = bot.outbox.texts()
        assert any("connection dropped" in text for text in texts)
        assert any(text.startswith("Done.") and "glass castle" in text for text in texts)
        assert len(bot.outbox.of("image")) == 1

        await bot.say("hello")  # the line is free again
        assert backend.sse_calls == calls + 2
        assert_no_leaks(bot)


async def test_an_error_inside_the_stream_is_one_friendly_line(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    async with running_bot(tmp_path, sandbox.url) as bot:
        sandbox.sandbox.faults.stream_error_once = "model exploded: CUDA OOM at layer 12"
        await bot.say("generate an image of a comet")
        texts = bot.outbox.everything()
        assert "Something went wrong on NemoVideo's side. Please try again." in texts
        assert all("CUDA" not in text for text in texts)

        await bot.say("generate an image of a comet")
        assert len(bot.outbox.of("image")) == 1
        assert_no_leaks(bot)


async def test_no_more_anonymous_tokens_is_explained(tmp_path: Path) -> None:
    async with (
        fast_sandbox(max_tokens_per_ip=1) as sandbox,
        running_bot(tmp_path, sandbox.url) as bot,
    ):
        await bot.say("hello", user="first")
        await bot.say("hello", user="second")
        assert bot.outbox.texts()[-1].startswith("I couldn't get a free NemoVideo account")
        await bot.say("hello", user="first")  # whoever has a token goes on
        assert "NemoVideo agent" in bot.outbox.final_texts()[-1]
        assert sandbox.sandbox.tokens_issued == 1
        assert_no_leaks(bot)


async def test_a_file_the_backend_finds_too_large_is_explained(tmp_path: Path) -> None:
    picture = tmp_path / "big.png"
    Image.effect_noise((256, 256), 64).convert("RGB").save(picture, "PNG")
    assert picture.stat().st_size > 2000
    async with (
        fast_sandbox(max_upload_bytes=2000) as sandbox,
        running_bot(tmp_path, sandbox.url) as bot,
    ):
        bot.outbox.files["big"] = picture
        attachment = Attachment("image", "big.png", "big", size=picture.stat().st_size)
        await bot.say("", attachments=(attachment,))
        assert bot.outbox.texts() == [
            "That file is too large (the limit is 200 MB). Try compressing or trimming it."
        ]
        await bot.say("hello")
        assert "NemoVideo agent" in bot.outbox.final_texts()[-1]
        assert_no_leaks(bot)


async def test_a_render_id_minted_twice_is_replaced(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Two exports minting the same id in one millisecond: the second tries a fresh one."""
    ids = iter(["render_1000000000001", "render_1000000000001", "render_1000000000002"])
    async with running_bot(tmp_path, sandbox.url, render_ids=lambda: next(ids)) as bot:
        for user in ("ann", "bob"):
            await bot.say("generate an image of a heron", user=user)
            await bot.say("export", user=user)
        await bot.engine.wait_idle()
        assert len(bot.outbox.of("video")) == 2
    assert sandbox.sandbox.render_submissions == {
        "render_1000000000001": 1,
        "render_1000000000002": 1,
    }


async def test_a_render_id_the_backend_already_has_is_replaced(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Another bot on the same backend took the id: the conflict is not mistaken for ours."""
    first = iter(["render_1000000000001"])
    second = iter(["render_1000000000001", "render_1000000000002"])
    async with running_bot(tmp_path / "a", sandbox.url, render_ids=lambda: next(first)) as a:
        await a.say("generate an image of a heron")
        await a.say("export")
        await a.engine.wait_idle()
    async with running_bot(tmp_path / "b", sandbox.url, render_ids=lambda: next(second)) as b:
        await b.say("generate an image of an egret")
        await b.say("export")
        await b.engine.wait_idle()
        assert len(b.outbox.of("video")) == 1
        taken = await b.store.get_render("render_1000000000001")
        assert taken is not None and taken.status == "failed"
    assert sandbox.sandbox.render_submissions == {
        "render_1000000000001": 2,
        "render_1000000000002": 1,
    }
