"""Export: generate → state → render → poll → download, and the render error paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from client_support import Env, EnvFactory, run_turn, wait_render

from bot.core.media import probe_video
from bot.core.timeline import summary
from bot.nemo import Auth, RenderIds
from bot.nemo.errors import NemoAuthError, NemoUnavailable, NotFound, RenderConflict

PROMPTS = ("a red fox in snow", "a lighthouse at dawn", "a bowl of ramen")

_render_ids = RenderIds()


async def generated_draft(env: Env, auth: Auth, sid: str, count: int = 1) -> dict[str, object]:
    """Run `count` generation turns and return the session's draft."""
    for prompt in PROMPTS[:count]:
        await run_turn(env, auth, sid, f"generate {prompt}")
    return dict((await env.client.state(auth, sid)).draft)


async def test_generate_render_download_cycle(
    env: Env, login: tuple[Auth, str], tmp_path: Path
) -> None:
    """Three images → a one-track draft → a 1080p H.264 MP4 downloaded from the output URL."""
    auth, sid = login
    for prompt in PROMPTS:
        turn = await run_turn(env, auth, sid, f"generate {prompt}")
        assert turn.texts == [
            f"Here is your image of {prompt}. Want me to add a title or export it as a slideshow?"
        ]
    state = await env.client.state(auth, sid)
    assert [m.prompt for m in state.generated_media] == list(PROMPTS)
    text = summary(state.draft)
    assert text is not None and text.startswith("Timeline (1 track): 1. Video:")
    assert text.endswith("(0-3s)")
    assert (await env.client.credits(auth)).available == 85

    render_id = _render_ids()
    submitted = await env.client.submit_render(auth, sid, state.draft, render_id)
    assert (submitted.id, submitted.status, submitted.finished) == (render_id, "pending", False)
    done = await wait_render(env, auth, render_id)
    assert (done.status, done.progress, done.error) == ("completed", 100, None)
    assert done.output_url == f"{env.running.url}/renders/{render_id}.mp4"

    video = await env.client.download(done.output_url, tmp_path / "out.mp4")
    assert video == tmp_path / "out.mp4"
    assert not (tmp_path / "out.mp4.part").exists()
    info = await probe_video(video)
    assert info is not None
    assert (info.codec, info.width, info.height) == ("h264", 1920, 1080)
    assert 1.5 < info.duration < 3.5
    assert env.sandbox.render_submissions == {render_id: 1}
    assert (await env.client.credits(auth)).available == 85  # export is free


async def test_transient_poll_errors_never_resubmit(
    env: Env, login: tuple[Auth, str], tmp_path: Path
) -> None:
    """Two 503s while polling are retried on the same id; the render is submitted once."""
    auth, sid = login
    draft = await generated_draft(env, auth, sid)
    render_id = _render_ids()
    await env.client.submit_render(auth, sid, draft, render_id)
    env.faults.poll_error_count = 2

    first = await env.client.render_status(auth, render_id)
    assert first.id == render_id
    assert env.faults.poll_error_count == 0
    assert len(env.requests(f"/lambda/{render_id}", "GET")) == 3
    done = await wait_render(env, auth, render_id)

    assert done.status == "completed"
    assert env.sandbox.render_submissions[render_id] == 1
    posts = [path for _, path, _ in env.requests("/api/render/proxy/lambda", "POST")]
    assert posts == ["/api/render/proxy/lambda"]


async def test_poll_errors_past_the_retries_raise_unavailable(make_env: EnvFactory) -> None:
    """More 503s than `poll_retries`: NemoUnavailable, still no second submission."""
    async with make_env(poll_retries=1) as env:
        auth, sid = await env.login()
        draft = await generated_draft(env, auth, sid)
        render_id = _render_ids()
        await env.client.submit_render(auth, sid, draft, render_id)
        env.faults.poll_error_count = 3
        with pytest.raises(NemoUnavailable) as caught:
            await env.client.render_status(auth, render_id)
        assert caught.value.status == 503
        assert len(env.requests(f"/lambda/{render_id}", "GET")) == 2
        env.faults.poll_error_count = 0
        assert (await wait_render(env, auth, render_id)).status == "completed"
        assert env.sandbox.render_submissions == {render_id: 1}


async def test_same_render_id_twice_conflicts(env: Env, login: tuple[Auth, str]) -> None:
    """Reusing a render id is a 409 → RenderConflict; the first job is unaffected."""
    auth, sid = login
    draft = await generated_draft(env, auth, sid)
    render_id = _render_ids()
    await env.client.submit_render(auth, sid, draft, render_id)
    with pytest.raises(RenderConflict) as caught:
        await env.client.submit_render(auth, sid, draft, render_id)
    assert caught.value.status == 409
    assert env.sandbox.render_submissions[render_id] == 2
    await env.client.cancel_render(auth, render_id)
    assert (await env.client.render_status(auth, render_id)).status == "failed"


async def test_authenticated_download_fallback(
    env: Env, login: tuple[Auth, str], tmp_path: Path
) -> None:
    """`download_render` fetches the finished MP4 with the Bearer token."""
    auth, sid = login
    draft = await generated_draft(env, auth, sid, count=2)
    render_id = _render_ids()
    with pytest.raises(NotFound):  # not finished (or not even started) yet
        await env.client.download_render(auth, render_id, tmp_path / "early.mp4")
    await env.client.submit_render(auth, sid, draft, render_id)
    done = await wait_render(env, auth, render_id)
    assert done.status == "completed"

    dest = await env.client.download_render(auth, render_id, tmp_path / "fallback.mp4")
    _, path, headers = env.requests("/download")[-1]
    assert path == f"/api/render/proxy/{render_id}/download"
    assert headers["Authorization"] == f"Bearer {auth.token}"
    info = await probe_video(dest)
    assert info is not None and (info.codec, info.width, info.height) == ("h264", 1920, 1080)
    assert done.output_url is not None
    direct = await env.client.download(done.output_url, tmp_path / "direct.mp4")
    assert dest.read_bytes() == direct.read_bytes()
    assert not (tmp_path / "early.mp4").exists()

    with pytest.raises(NemoAuthError):
        await env.client.download_render(Auth("nmv_usr_wrong"), render_id, tmp_path / "x.mp4")


async def test_failed_render_reports_its_error(env: Env, login: tuple[Auth, str]) -> None:
    """A render that fails says so in the status, with the backend's reason."""
    auth, sid = login
    draft = await generated_draft(env, auth, sid)
    env.faults.render_fail_once = True
    render_id = _render_ids()
    await env.client.submit_render(auth, sid, draft, render_id)
    done = await wait_render(env, auth, render_id)
    assert done.status == "failed" and done.finished
    assert done.error and "failed" in done.error
    assert done.output_url is None
    # Export is free: one retry under a new id is allowed and works.
    retry_id = _render_ids()
    assert retry_id != render_id
    await env.client.submit_render(auth, sid, draft, retry_id)
    assert (await wait_render(env, auth, retry_id)).status == "completed"
