"""Token, session, credits and state endpoints."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from aiohttp import web

from .common import SANDBOX, ok, read_json
from .errors import api_error
from .sse import handle_run_sse
from .uploads import handle_upload

MAX_CLIENT_ID = 64


async def anonymous_token(request: web.Request) -> web.Response:
    """Issue (or re-issue) the anonymous token of a client id."""
    sandbox = request.app[SANDBOX]
    client_id = request.headers.get("X-Client-Id", "").strip()
    if not client_id:
        raise api_error(400, 400, "missing X-Client-Id")
    if len(client_id) > MAX_CLIENT_ID:
        raise api_error(400, 400, f"X-Client-Id longer than {MAX_CLIENT_ID} characters")
    record = sandbox.issue_anonymous_token(client_id, request.remote or "unknown")
    expires = datetime.fromtimestamp(record.expires_at, UTC).isoformat(timespec="seconds")
    return ok(
        {
            "token": record.token,
            "user_id": record.user_id,
            "credits": sandbox.user(record.user_id).credits,
            "expires_at": expires.replace("+00:00", "Z"),
            "scopes": ["read", "write", "upload"],
        }
    )


async def create_session(request: web.Request) -> web.Response:
    """Create an agent session for the token's user."""
    sandbox = request.app[SANDBOX]
    token = sandbox.authenticate(request.headers.get("Authorization"))
    body = await read_json(request)
    task_name = body.get("task_name") if isinstance(body.get("task_name"), str) else "project"
    language = body.get("language") if isinstance(body.get("language"), str) else "en"
    session = sandbox.create_session(token.user_id, task_name, language)
    return ok(
        {"task_id": session.task_id, "session_id": session.session_id, "user_id": token.user_id}
    )


async def credits(request: web.Request) -> web.Response:
    """Credit balance of the token's user."""
    sandbox = request.app[SANDBOX]
    token = sandbox.authenticate(request.headers.get("Authorization"))
    user = sandbox.user(token.user_id)
    return ok(
        {"available": user.credits, "frozen": user.frozen, "total": user.credits + user.frozen}
    )


async def latest_state(request: web.Request) -> web.Response:
    """The session's draft, uploads and generated media."""
    sandbox = request.app[SANDBOX]
    token = sandbox.authenticate(request.headers.get("Authorization"))
    session = sandbox.session(request.match_info["sid"], token.user_id)
    return ok(
        {
            "session_id": session.session_id,
            "task_id": session.task_id,
            "task_name": session.task_name,
            "state": session.state(),
        }
    )


CLAIM_SECONDS = 7 * 24 * 3600


async def claim_token(request: web.Request) -> web.Response:
    """A one-time token that opens the session in the web editor (the documented bare shape)."""
    sandbox = request.app[SANDBOX]
    token = sandbox.authenticate(request.headers.get("Authorization"))
    body = await read_json(request)
    session_id, task_id = body.get("session_id"), body.get("task_id")
    if not isinstance(session_id, str) or not isinstance(task_id, str):
        raise api_error(400, 400, "missing task_id or session_id")
    session = sandbox.session(session_id, token.user_id)
    if session.task_id != task_id:
        raise api_error(400, 400, "task_id does not match the session")
    claim = f"clm_{secrets.token_urlsafe(16)}"
    sandbox.claims[claim] = session_id
    return web.json_response({"claim_token": claim, "expires_in": CLAIM_SECONDS})


def add_routes(app: web.Application) -> None:
    """Register the agent API routes."""
    app.router.add_post("/api/auth/anonymous-token", anonymous_token)
    app.router.add_post("/api/tasks/me/with-session/nemo_agent", create_session)
    app.router.add_post("/run_sse", handle_run_sse)
    app.router.add_post("/api/upload-video/nemo_agent/me/{sid}", handle_upload)
    app.router.add_get("/api/credits/balance/simple", credits)
    app.router.add_get("/api/state/nemo_agent/me/{sid}/latest", latest_state)
    app.router.add_post("/api/auth/claim-token", claim_token)
