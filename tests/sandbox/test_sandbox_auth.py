"""Tokens, sessions, credits, admin endpoints and request-level faults."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx


async def test_anonymous_token_shape_and_reuse(api):
    first = await api.issue("client-a")
    assert first.status_code == 200
    body = first.json()
    assert body["code"] == 0
    data = body["data"]
    assert re.fullmatch(r"nmv_usr_[0-9a-f]+", data["token"])
    assert re.fullmatch(r"anon_[0-9a-f]+", data["user_id"])
    assert data["credits"] == 100
    expires = datetime.fromisoformat(data["expires_at"].replace("Z", "+00:00"))
    assert (expires - datetime.now(UTC)).days >= 6
    again = (await api.issue("client-a")).json()["data"]
    assert again["token"] == data["token"]
    other = (await api.issue("client-b")).json()["data"]
    assert other["token"] != data["token"]
    assert other["user_id"] != data["user_id"]
    assert api.sandbox.tokens_issued == 2


async def test_client_id_missing_or_too_long(api):
    response = await api.client.post("/api/auth/anonymous-token")
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "missing X-Client-Id"}
    response = await api.issue("x" * 65)
    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert (await api.issue("x" * 64)).status_code == 200


async def test_token_ttl_expiry_gives_fresh_token_for_same_user(make_api):
    async with make_api(token_ttl_seconds=0) as api:
        data = (await api.issue("c")).json()["data"]
        api.use(data["token"])
        response = await api.client.get("/api/credits/balance/simple")
        assert response.status_code == 401
        assert response.json() == {"code": 1001, "message": "token expired"}
        renewed = (await api.issue("c")).json()["data"]
        assert renewed["token"] != data["token"]
        assert renewed["user_id"] == data["user_id"]


async def test_expire_tokens_fault_keeps_user_and_credits(api):
    await api.login("c")
    turn = await api.turn("generate a lighthouse")
    assert turn.status == 200
    assert await api.credits() == 95
    old_token, user_id = api.token, api.user_id
    api.sandbox.faults.expire_tokens = True
    response = await api.client.get("/api/credits/balance/simple")
    assert response.status_code == 401
    assert response.json()["code"] == 1001
    assert api.sandbox.faults.expire_tokens is False
    renewed = (await api.issue("c")).json()["data"]
    assert renewed["token"] != old_token
    assert renewed["user_id"] == user_id
    assert renewed["credits"] == 95
    api.use(renewed["token"])
    assert await api.credits() == 95
    assert (await api.state())["generated_media"], "sessions survive token renewal"


async def test_missing_or_unknown_bearer(api):
    response = await api.client.get("/api/credits/balance/simple")
    assert response.status_code == 401
    assert response.json()["code"] == 1001
    api.use("nmv_usr_nope")
    response = await api.client.post("/api/tasks/me/with-session/nemo_agent", json={})
    assert response.status_code == 401
    assert response.json()["code"] == 1001


async def test_token_limit_per_ip(make_api):
    async with make_api(max_tokens_per_ip=2) as api:
        assert (await api.issue("a")).status_code == 200
        assert (await api.issue("b")).status_code == 200
        assert (await api.issue("a")).status_code == 200, "reuse does not count"
        response = await api.issue("c")
        assert response.status_code == 403
        assert response.json() == {
            "code": 1003,
            "message": "anonymous token limit reached for this IP",
        }


async def test_session_and_lost_sessions(api):
    sid = await api.login()
    assert re.fullmatch(r"\d{19}", sid)
    state = await api.state()
    assert state["draft"] == {"t": [], "d": 0, "m": {"title": None, "width": 1920, "height": 1080}}
    assert state["video_infos"] == [] and state["generated_media"] == []
    api.sandbox.faults.lose_sessions = True
    response = await api.client.get(f"/api/state/nemo_agent/me/{sid}/latest")
    assert response.status_code == 404
    assert response.json() == {"code": 1002, "message": "session not found"}
    turn = await api.turn("hello")
    assert turn.status == 404 and turn.body == {"code": 1002, "message": "session not found"}
    assert api.sandbox.sessions_created == 1


async def test_session_of_another_user_is_not_found(api):
    sid = await api.login("first")
    await api.login("second")
    response = await api.client.get(f"/api/state/nemo_agent/me/{sid}/latest")
    assert response.status_code == 404
    assert response.json()["code"] == 1002


async def test_credits_balance(api):
    await api.login()
    response = await api.client.get("/api/credits/balance/simple")
    assert response.json() == {
        "code": 0,
        "message": "success",
        "data": {"available": 100, "frozen": 0, "total": 100},
    }
    assert api.sandbox.credits(api.token) == 100


async def test_rate_limit_once(api):
    await api.login()
    api.sandbox.faults.rate_limit_once = True
    assert (await api.client.get("/_sandbox/stats")).status_code == 200, "admin is exempt"
    response = await api.client.get("/api/credits/balance/simple")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json() == {"code": 429, "message": "rate limited"}
    assert (await api.client.get("/api/credits/balance/simple")).status_code == 200


async def test_backend_down_answers_non_json_503(api):
    await api.login()
    assert (await api.turn("draw a kite")).status == 200
    url = (await api.state())["generated_media"][0]["url"]
    faults = await api.client.post("/_sandbox/faults", json={"down": True})
    assert faults.json()["data"]["down"] is True
    response = await api.client.get("/api/credits/balance/simple")
    assert response.status_code == 503
    assert not response.headers["content-type"].startswith("application/json")
    assert (await api.issue("other")).status_code == 503
    assert (await api.client.get(url)).status_code == 200, "media is served like a CDN"
    await api.client.post("/_sandbox/faults", json={"down": False})
    assert (await api.client.get("/api/credits/balance/simple")).status_code == 200


async def test_stopped_sandbox_is_unreachable(make_api):
    async with make_api() as api:
        url = api.running.url
        assert (await api.client.get("/_sandbox/stats")).status_code == 200
    async with httpx.AsyncClient(timeout=5) as client:
        try:
            await client.get(f"{url}/api/credits/balance/simple")
        except httpx.ConnectError:
            return
    raise AssertionError("expected a connection error")


async def test_admin_faults_stats_reset(api):
    response = await api.client.post("/_sandbox/faults", json={"no_such_fault": True})
    assert response.status_code == 400
    response = await api.client.post("/_sandbox/faults", json={"poll_error_count": "x"})
    assert response.status_code == 400
    response = await api.client.post(
        "/_sandbox/faults", json={"poll_error_count": 2, "stream_error_once": "boom"}
    )
    assert response.json()["data"]["poll_error_count"] == 2
    assert api.sandbox.faults.stream_error_once == "boom"
    await api.login()
    await api.client.post("/_sandbox/credits", json={"token": api.token, "credits": 7})
    assert await api.credits() == 7
    stats = (await api.client.get("/_sandbox/stats")).json()["data"]
    assert stats["tokens_issued"] == 1 and stats["sessions_created"] == 1
    assert any(path == "/api/auth/anonymous-token" for _, path, _ in stats["requests"])
    assert (await api.client.post("/_sandbox/reset")).status_code == 200
    assert api.sandbox.faults.poll_error_count == 0
    assert api.sandbox.tokens_issued == 0
    response = await api.client.get("/api/credits/balance/simple")
    assert response.status_code == 401


async def test_requests_record_skill_headers(api):
    await api.login()
    method, path, headers = api.sandbox.requests[-1]
    assert (method, path) == ("POST", "/api/tasks/me/with-session/nemo_agent")
    assert headers["X-Skill-Source"] == "ai-image-free"
    assert headers["X-Skill-Version"] == "1.0.0"
    assert headers["X-Skill-Platform"] == "unknown"


async def test_unknown_route_is_json_404(api):
    response = await api.client.get("/api/nope")
    assert response.status_code == 404
    assert response.json()["code"] == 404
