"""Tokens, sessions, credits, state and the headers every request carries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from client_support import Env, EnvFactory, options, run_turn, write_image

from bot.core.timeline import summary
from bot.nemo import Auth, RenderIds
from bot.nemo.errors import NotFound, TokenRefused

FILE_PATHS = ("/media/", "/renders/")

_render_ids = RenderIds()


async def test_anonymous_token_is_stable_per_client_id(env: Env) -> None:
    """The same client id gets the same token back; another id gets its own user."""
    first = await env.client.anonymous_token("client-a")
    again = await env.client.anonymous_token("client-a")
    other = await env.client.anonymous_token("client-b")

    assert first.token.startswith("nmv_usr_")
    assert first.user_id.startswith("anon_")
    assert first.credits == 100
    assert again.token == first.token and again.user_id == first.user_id
    assert other.token != first.token and other.user_id != first.user_id
    left = first.expires_at - datetime.now(UTC)
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    assert env.sandbox.tokens_issued == 2


async def test_token_refused_past_the_per_ip_limit(make_env: EnvFactory) -> None:
    """The per-IP limit surfaces as TokenRefused; reusing a known client id still works."""
    async with make_env(options(max_tokens_per_ip=2)) as env:
        kept = await env.client.anonymous_token("one")
        await env.client.anonymous_token("two")
        with pytest.raises(TokenRefused) as caught:
            await env.client.anonymous_token("three")
        assert (caught.value.status, caught.value.code) == (403, 1003)
        assert (await env.client.anonymous_token("one")).token == kept.token


async def test_create_session_returns_a_19_digit_string(env: Env) -> None:
    """Session ids stay strings of 19 digits; each call opens a new session."""
    issued = await env.client.anonymous_token("client-1")
    auth = Auth(issued.token)
    first = await env.client.create_session(auth)
    second = await env.client.create_session(auth, language="zh-CN")

    assert isinstance(first.session_id, str)
    assert re.fullmatch(r"\d{19}", first.session_id)
    assert first.session_id != second.session_id
    assert first.user_id == issued.user_id
    assert first.task_id
    assert env.sandbox.sessions[second.session_id].language == "zh-CN"


async def test_credits_and_state_before_and_after_a_generation(
    env: Env, login: tuple[Auth, str]
) -> None:
    """A fresh account has 100 credits and an empty draft; one image costs 5."""
    auth, sid = login
    balance = await env.client.credits(auth)
    assert (balance.available, balance.frozen, balance.total) == (100, 0, 100)
    empty = await env.client.state(auth, sid)
    assert summary(empty.draft) is None
    assert empty.generated_media == ()

    await run_turn(env, auth, sid, "generate an image of lighthouse at dawn")

    assert (await env.client.credits(auth)).available == 95
    state = await env.client.state(auth, sid)
    assert [m.prompt for m in state.generated_media] == ["lighthouse at dawn"]
    assert state.generated_media[0].url.startswith(env.running.url + "/media/")
    assert summary(state.draft) == "Timeline (1 track): 1. Video: lighthouse at dawn (0-1s)"


async def test_every_request_carries_attribution_and_bearer(
    make_env: EnvFactory, tmp_path: Path
) -> None:
    """X-Skill-* (configurable) on every API call; Bearer on all but the token call."""
    async with make_env(skill_version="2.5.0", skill_platform="cursor") as env:
        issued = await env.client.anonymous_token("client-h")
        auth = Auth(issued.token)
        sid = (await env.client.create_session(auth)).session_id
        await env.client.credits(auth)
        await run_turn(env, auth, sid, "generate an image of a cat")
        state = await env.client.state(auth, sid)
        uploaded = await env.client.upload_files(
            auth, sid, [(write_image(tmp_path / "a.png"), "a.png")]
        )
        assert uploaded.files[0].cdn_url
        await env.client.upload_urls(auth, sid, [uploaded.files[0].cdn_url])
        render_id = _render_ids()
        await env.client.submit_render(auth, sid, state.draft, render_id)
        await env.client.render_status(auth, render_id)
        await env.client.cancel_render(auth, render_id)
        with pytest.raises(NotFound):
            await env.client.download_render(auth, render_id, tmp_path / "none.mp4")

    api_calls = [r for r in env.sandbox.requests if not r[1].startswith(FILE_PATHS)]
    called = {(method, re.sub(r"\d{19}|render_\d+", "<id>", path)) for method, path, _ in api_calls}
    assert len(called) == 10, called
    for method, path, headers in api_calls:
        assert headers.get("X-Skill-Source") == "ai-image-free", (method, path)
        assert headers.get("X-Skill-Version") == "2.5.0", (method, path)
        assert headers.get("X-Skill-Platform") == "cursor", (method, path)
        if path == "/api/auth/anonymous-token":
            assert "Authorization" not in headers
            assert headers.get("X-Client-Id") == "client-h"
        else:
            assert headers.get("Authorization") == f"Bearer {issued.token}", (method, path)
    sse = env.requests("/run_sse")
    assert sse[0][2].get("Accept") == "text/event-stream"


async def test_default_attribution_values(env: Env, login: tuple[Auth, str]) -> None:
    """Without configuration the client says version 1.0.0 on platform unknown."""
    auth, _ = login
    await env.client.credits(auth)
    _, _, headers = env.requests("/api/credits")[-1]
    assert headers["X-Skill-Version"] == "1.0.0"
    assert headers["X-Skill-Platform"] == "unknown"


def test_new_render_ids_are_unique_and_vendor_shaped() -> None:
    """`render_<unix ms>`, never repeated even when asked for many in the same millisecond."""
    ids = [_render_ids() for _ in range(2000)]
    assert all(re.fullmatch(r"render_\d{13}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    assert abs(int(ids[0].removeprefix("render_")) - now_ms) < 60_000
