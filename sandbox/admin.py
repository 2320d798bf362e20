"""`/_sandbox/*`: drive a separately started sandbox (faults, stats, reset, credits)."""

from __future__ import annotations

from aiohttp import web

from .common import SANDBOX, read_json
from .errors import ApiError


async def set_faults(request: web.Request) -> web.Response:
    """Merge the posted fields into the fault switches."""
    sandbox = request.app[SANDBOX]
    body = await read_json(request)
    try:
        sandbox.faults.merge(body)
    except ValueError as exc:
        raise ApiError(400, {"code": 400, "message": str(exc)}) from exc
    sandbox.apply_fault_actions()
    return web.json_response({"code": 0, "data": sandbox.faults.to_dict()})


async def stats(request: web.Request) -> web.Response:
    """Counters, render statuses, credits and recorded requests."""
    return web.json_response({"code": 0, "data": request.app[SANDBOX].stats()})


async def reset(request: web.Request) -> web.Response:
    """Forget all state and faults."""
    request.app[SANDBOX].reset()
    return web.json_response({"code": 0, "data": {}})


async def set_credits(request: web.Request) -> web.Response:
    """Set a user's credits: body `{"user_id"|"token": …, "credits": n}`."""
    sandbox = request.app[SANDBOX]
    body = await read_json(request)
    amount = body.get("credits")
    user_id = body.get("user_id")
    if isinstance(body.get("token"), str) and body["token"] in sandbox.tokens:
        user_id = sandbox.tokens[body["token"]].user_id
    if not isinstance(user_id, str) or not isinstance(amount, int) or isinstance(amount, bool):
        raise ApiError(400, {"code": 400, "message": "need user_id or token, and integer credits"})
    sandbox.user(user_id).credits = amount
    return web.json_response({"code": 0, "data": {"user_id": user_id, "credits": amount}})


def add_routes(app: web.Application) -> None:
    """Register the admin routes."""
    app.router.add_post("/_sandbox/faults", set_faults)
    app.router.add_get("/_sandbox/stats", stats)
    app.router.add_post("/_sandbox/reset", reset)
    app.router.add_post("/_sandbox/credits", set_credits)
