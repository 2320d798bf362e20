"""Every error the backend can answer, mapped to its exception through the real client."""

from __future__ import annotations

from pathlib import Path

import pytest
from client_support import (
    Env,
    EnvFactory,
    closed_port,
    odd_server,
    open_client,
    open_env,
    options,
    run_turn,
    write_image,
)

from bot.nemo import Auth, RenderIds
from bot.nemo.errors import (
    ExportBlocked,
    FileTooLarge,
    NemoAuthError,
    NemoError,
    NemoProtocolError,
    NemoUnavailable,
    NotFound,
    OutOfCredits,
    RateLimited,
    SessionNotFound,
    UnsupportedFile,
    error_for,
)

CREDITS = "/api/credits/balance/simple"

_render_ids = RenderIds()


class Refresher:
    """A token refresher that renews through the anonymous flow and counts its calls."""

    def __init__(self, env: Env, client_id: str, token: str | None = None) -> None:
        self.env = env
        self.client_id = client_id
        self.token = token
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.token is not None:
            return self.token
        return (await self.env.client.anonymous_token(self.client_id)).token


# -- 1001: expired token -----------------------------------------------------------------------


async def test_expired_token_is_refreshed_once_and_the_call_succeeds(env: Env) -> None:
    """1001 → the refresher runs exactly once → the same call is retried with the new token."""
    issued = await env.client.anonymous_token("client-r")
    refresher = Refresher(env, "client-r")
    auth = Auth(issued.token, refresh=refresher)
    env.faults.expire_tokens = True

    balance = await env.client.credits(auth)

    assert balance.available == 100
    assert refresher.calls == 1
    assert auth.token != issued.token
    assert [r[2]["Authorization"] for r in env.requests(CREDITS)] == [
        f"Bearer {issued.token}",
        f"Bearer {auth.token}",
    ]


async def test_expired_token_without_refresher_raises_auth_error(
    env: Env, login: tuple[Auth, str]
) -> None:
    """No refresher: NemoAuthError (401, code 1001) after a single request."""
    auth, sid = login
    env.faults.expire_tokens = True
    with pytest.raises(NemoAuthError) as caught:
        await env.client.state(auth, sid)
    assert (caught.value.status, caught.value.code) == (401, 1001)
    assert len(env.requests("/api/state/")) == 1


async def test_refresh_is_tried_only_once(env: Env, login: tuple[Auth, str]) -> None:
    """A refresher that hands back another bad token: one refresh, then NemoAuthError."""
    auth, _ = login
    refresher = Refresher(env, "unused", token="nmv_usr_still_bad")
    auth.refresh = refresher
    env.faults.expire_tokens = True
    with pytest.raises(NemoAuthError):
        await env.client.credits(auth)
    assert refresher.calls == 1
    assert len(env.requests(CREDITS)) == 2


async def test_expired_token_refresh_on_upload_and_stream(env: Env, tmp_path: Path) -> None:
    """The retry re-sends the whole multipart body and re-opens the agent stream."""
    issued = await env.client.anonymous_token("client-u")
    refresher = Refresher(env, "client-u")
    auth = Auth(issued.token, refresh=refresher)
    sid = (await env.client.create_session(auth)).session_id

    env.faults.expire_tokens = True
    image = write_image(tmp_path / "x.png", (30, 20))
    uploaded = await env.client.upload_files(auth, sid, [(image, "x.png")])
    assert (uploaded.files[0].width, uploaded.files[0].height) == (30, 20)
    assert refresher.calls == 1

    env.faults.expire_tokens = True
    turn = await run_turn(env, auth, sid, "hello")
    assert turn.texts and turn.texts[0].startswith("Hi!")
    assert refresher.calls == 2


# -- 1002, 2001, 404, 409 ----------------------------------------------------------------------


async def test_lost_session_raises_session_not_found(env: Env, login: tuple[Auth, str]) -> None:
    """1002 (HTTP 404) → SessionNotFound, not the generic NotFound."""
    auth, sid = login
    env.faults.lose_sessions = True
    with pytest.raises(SessionNotFound) as caught:
        await env.client.state(auth, sid)
    assert (caught.value.status, caught.value.code) == (404, 1002)


async def test_out_of_credits_before_the_stream(make_env: EnvFactory) -> None:
    """A generation the account cannot pay for: OutOfCredits (2001) when opening the stream."""
    async with make_env(options(initial_credits=3)) as env:
        auth, sid = await env.login()
        with pytest.raises(OutOfCredits) as caught:
            await run_turn(env, auth, sid, "generate an image of a cat")
        assert caught.value.code == 2001
        # A free turn still works on the same account.
        assert (await run_turn(env, auth, sid, "hello")).texts


async def test_unknown_render_is_not_found(env: Env, login: tuple[Auth, str]) -> None:
    """A render id the backend never saw: 404 without a code → NotFound."""
    auth, _ = login
    with pytest.raises(NotFound):
        await env.client.render_status(auth, "render_1")


# -- answers only a raw request can provoke ----------------------------------------------------


async def test_export_without_attribution_headers_is_blocked(
    env: Env, login: tuple[Auth, str]
) -> None:
    """The client always attributes, so a raw request shows 402 → ExportBlocked."""
    auth, sid = login
    await run_turn(env, auth, sid, "generate an image of a boat")
    draft = (await env.client.state(auth, sid)).draft
    body = {"id": _render_ids(), "sessionId": sid, "draft": draft}
    response = await env.http.post(
        f"{env.running.url}/api/render/proxy/lambda",
        json=body,
        headers={"Authorization": f"Bearer {auth.token}"},
    )
    assert response.status_code == 402
    error = error_for(response.status_code, response.json(), "render")
    assert isinstance(error, ExportBlocked)
    assert env.sandbox.renders == {}


async def test_unsupported_type_from_the_server(env: Env, login: tuple[Auth, str]) -> None:
    """The client refuses bad names itself; a raw upload shows the server's 4001."""
    auth, sid = login
    response = await env.http.post(
        f"{env.running.url}/api/upload-video/nemo_agent/me/{sid}",
        files=[("files", ("tool.exe", b"MZ\x90\x00", "application/octet-stream"))],
        headers={"Authorization": f"Bearer {auth.token}"},
    )
    error = error_for(response.status_code, response.json(), "upload")
    assert isinstance(error, UnsupportedFile)
    assert error.code == 4001


# -- 429 ---------------------------------------------------------------------------------------


async def test_rate_limited_once_is_retried(env: Env, login: tuple[Auth, str]) -> None:
    """One 429: the client waits (0 s here) and the second request succeeds."""
    auth, _ = login
    env.faults.rate_limit_once = True
    assert (await env.client.credits(auth)).available == 100
    assert len(env.requests(CREDITS)) == 2


async def test_rate_limited_once_on_upload_resends_the_files(
    env: Env, login: tuple[Auth, str], tmp_path: Path
) -> None:
    """The retried multipart upload carries the full files again."""
    auth, sid = login
    env.faults.rate_limit_once = True
    image = write_image(tmp_path / "r.png", (33, 22))
    result = await env.client.upload_files(auth, sid, [(image, "r.png")])
    assert (result.files[0].width, result.files[0].height) == (33, 22)
    assert len(env.requests("/api/upload-video/")) == 2


async def test_rate_limited_twice_raises() -> None:
    """A second 429 after the wait: RateLimited, after exactly two requests."""
    waits: list[float] = []
    holder: list[Env] = []

    async def sleep(seconds: float) -> None:
        # The wait is where a real client would pause; re-arm the fault there.
        waits.append(seconds)
        holder[0].faults.rate_limit_once = True

    async with open_env(sleep=sleep, retry_after_seconds=7) as env:
        holder.append(env)
        auth, _ = await env.login()
        env.faults.rate_limit_once = True
        with pytest.raises(RateLimited) as caught:
            await env.client.credits(auth)
        assert caught.value.status == 429
        assert waits == [7]
        assert len(env.requests(CREDITS)) == 2


async def test_rate_limited_before_the_stream_is_retried(env: Env, login: tuple[Auth, str]) -> None:
    """A 429 envelope instead of a stream: retried once, then the turn streams."""
    auth, sid = login
    env.faults.rate_limit_once = True
    assert (await run_turn(env, auth, sid, "hello")).texts
    assert len(env.requests("/run_sse")) == 2


# -- the backend is down or unreachable --------------------------------------------------------


async def test_backend_down_is_unavailable(env: Env, login: tuple[Auth, str]) -> None:
    """A 503 with a plain-text body → NemoUnavailable, for calls and for the stream."""
    auth, sid = login
    env.faults.down = True
    with pytest.raises(NemoUnavailable) as caught:
        await env.client.credits(auth)
    assert caught.value.status == 503
    with pytest.raises(NemoUnavailable):
        await run_turn(env, auth, sid, "hello")
    env.faults.down = False
    assert (await env.client.credits(auth)).available == 100


async def test_unreachable_backend_is_unavailable() -> None:
    """Nothing listening on the port → NemoUnavailable wrapping the connect error."""
    async with open_client(f"http://127.0.0.1:{closed_port()}") as client:
        with pytest.raises(NemoUnavailable, match="unreachable"):
            await client.anonymous_token("client-1")
        with pytest.raises(NemoUnavailable):
            async with client.stream(Auth("nmv_usr_x"), "1" * 19, "hello"):
                pass


# -- bodies that break the contract ------------------------------------------------------------

HTML = b"<html><body>Bad gateway</body></html>"


@pytest.mark.parametrize(
    ("status", "content_type", "body", "expected"),
    [
        (200, "text/html", HTML, NemoProtocolError),
        (502, "text/html", HTML, NemoUnavailable),
        (500, "application/json", b"{not json", NemoUnavailable),
        (200, "application/json", b"[1, 2]", NemoProtocolError),
        (200, "application/json", b'{"code": 0}', NemoProtocolError),
        (200, "application/json", b'{"code": 0, "data": "yes"}', NemoProtocolError),
        (200, "application/json", b'{"code": 0, "data": {"frozen": 1}}', NemoProtocolError),
        (200, "application/json", b'{"code": 1001, "msg": "expired"}', NemoAuthError),
        (200, "application/json", b'{"code": "2001", "detail": "no credits"}', OutOfCredits),
        (418, "text/plain", b"teapot", NemoError),
        (200, "cut", b'{"code": 0, "da', NemoUnavailable),
    ],
)
async def test_odd_bodies(status: int, content_type: str, body: bytes, expected: type) -> None:
    """Non-JSON, wrong shapes and cut bodies map to protocol or availability errors."""
    async with (
        odd_server({CREDITS: (status, content_type, body)}) as server,
        open_client(server.url) as client,
    ):
        with pytest.raises(expected) as caught:
            await client.credits(Auth("nmv_usr_x"))
    assert type(caught.value) is expected
    assert caught.value.endpoint == f"GET {CREDITS}"
    if content_type == "cut":
        assert caught.value.message == "the response was cut"
    if status >= 400:
        assert caught.value.status == status


@pytest.mark.parametrize(
    ("status", "content_type", "body", "expected"),
    [
        (200, "application/json", b'{"hello": "world"}', NemoProtocolError),
        (200, "text/html", HTML, NemoProtocolError),
        (502, "text/html", HTML, NemoUnavailable),
        (200, "application/json", b'{"code": 1002, "message": "no session"}', SessionNotFound),
        (403, "application/json", b'{"code": 2001, "message": "no credits"}', OutOfCredits),
    ],
)
async def test_odd_answers_instead_of_a_stream(
    status: int, content_type: str, body: bytes, expected: type
) -> None:
    """`/run_sse` answering anything but an event stream raises before any event is read."""
    async with (
        odd_server({"/run_sse": (status, content_type, body)}) as server,
        open_client(server.url) as client,
    ):
        with pytest.raises(expected) as caught:
            async with client.stream(Auth("nmv_usr_x"), "1" * 19, "hello") as stream:
                raise AssertionError(f"a stream was opened: {stream}")
    assert type(caught.value) is expected
    assert caught.value.status == status


async def test_a_cut_download_leaves_no_partial_file(tmp_path: Path) -> None:
    """A download that breaks mid-body raises and leaves neither the file nor its .part."""
    async with (
        odd_server({"/video.mp4": (200, "cut", b"\x00" * 4096)}) as server,
        open_client(server.url) as client,
    ):
        dest = tmp_path / "video.mp4"
        with pytest.raises(NemoUnavailable):
            await client.download(f"{server.url}/video.mp4", dest)
    assert list(tmp_path.iterdir()) == []


async def test_a_download_over_its_cap_stops_and_leaves_nothing(tmp_path: Path) -> None:
    """Past `limit` bytes: FileTooLarge, and neither the file nor its .part is kept."""
    async with (
        odd_server({"/clip.mp4": (200, "video/mp4", b"\x01" * 5000)}) as server,
        open_client(server.url) as client,
    ):
        with pytest.raises(FileTooLarge):
            await client.download(f"{server.url}/clip.mp4", tmp_path / "big.mp4", limit=4999)
        assert list(tmp_path.iterdir()) == []
        kept = await client.download(f"{server.url}/clip.mp4", tmp_path / "ok.mp4", limit=5000)
        assert kept.read_bytes() == b"\x01" * 5000


async def test_a_download_without_a_stated_size_is_capped_as_it_comes(tmp_path: Path) -> None:
    async with (
        odd_server({"/clip.mp4": (200, "chunked", b"\x02" * 200_000)}) as server,
        open_client(server.url) as client,
    ):
        with pytest.raises(FileTooLarge):
            await client.download(f"{server.url}/clip.mp4", tmp_path / "big.mp4", limit=100_000)
    assert list(tmp_path.iterdir()) == []
