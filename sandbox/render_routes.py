"""Export endpoints and the unauthenticated CDN-like file routes."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from .common import SANDBOX, base_url, read_json
from .draft import has_content
from .errors import render_error
from .render_jobs import run_render
from .state import RenderJob, Sandbox

SKILL_HEADERS = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")
RENDER_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")
MEDIA_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}$")


async def submit(request: web.Request) -> web.Response:
    """Start a render of the posted draft."""
    sandbox = request.app[SANDBOX]
    token = sandbox.authenticate(request.headers.get("Authorization"))
    body = await read_json(request)
    render_id = body.get("id")
    if isinstance(render_id, str) and render_id:
        sandbox.render_submissions[render_id] = sandbox.render_submissions.get(render_id, 0) + 1
    if any(not request.headers.get(h) for h in SKILL_HEADERS):
        raise render_error(402, "export requires attribution headers", 402)
    if not isinstance(render_id, str) or not RENDER_ID.match(render_id):
        raise render_error(400, "missing or invalid id")
    if render_id in sandbox.renders:
        raise render_error(409, "render id already exists")
    session_id = body.get("sessionId")
    if (
        not isinstance(session_id, (str, int))
        or isinstance(session_id, bool)
        or not str(session_id)
    ):
        raise render_error(400, "missing sessionId")
    draft = body.get("draft")
    if not has_content(draft):
        raise render_error(400, "draft has no content")
    job = RenderJob(render_id, str(session_id), token.user_id, draft)
    job.fail = sandbox.faults.take("render_fail_once")
    job.fail_message, sandbox.faults.render_fail_message = sandbox.faults.render_fail_message, None
    sandbox.renders[render_id] = job
    job.task = sandbox.spawn(run_render(sandbox, job))
    data = {"id": render_id, "status": job.status, "progress": job.progress}
    return web.json_response({"success": True, "data": data})


def _job(sandbox: Sandbox, request: web.Request, user_id: str) -> RenderJob:
    job = sandbox.renders.get(request.match_info["rid"])
    if job is None or job.user_id != user_id:
        raise render_error(404, "render not found")
    return job


async def poll(request: web.Request) -> web.Response:
    """Status, progress and (when done) the URL of a render."""
    sandbox = request.app[SANDBOX]
    token = sandbox.authenticate(request.headers.get("Authorization"))
    if sandbox.faults.poll_error_count > 0:
        sandbox.faults.poll_error_count -= 1
        raise render_error(503, "render service temporarily unavailable")
    job = _job(sandbox, request, token.user_id)
    return web.json_response(
        poll_answer(sandbox.options.render_shape, job.public(base_url(request)))
    )


# A failed render as the "refused_*" shapes report it: `success: false` at HTTP 200.
_REFUSALS = {
    "refused": lambda data: {"success": False, "error": data["error"]},
    "refused_message": lambda data: {"success": False, "message": data["error"]},
    "refused_msg": lambda data: {"success": False, "msg": data["error"]},
    "refused_detail": lambda data: {"success": False, "detail": data["error"]},
    "refused_object": lambda data: {"success": False, "error": {"message": data["error"]}},
    "refused_data": lambda data: {"success": False, "data": data},
}


def poll_answer(shape: str, data: dict) -> dict:
    """A poll's body in one of the documented shapes (see `SandboxOptions.render_shape`)."""
    if shape == "flat":
        if "error" in data:
            data["message"] = data.pop("error")
        return {"success": True, **data}
    if shape in _REFUSALS and data["status"] == "failed":
        return _REFUSALS[shape](data)
    return {"success": True, "data": data}


async def cancel(request: web.Request) -> web.Response:
    """Stop a pending or running render."""
    sandbox = request.app[SANDBOX]
    token = sandbox.authenticate(request.headers.get("Authorization"))
    job = _job(sandbox, request, token.user_id)
    if job.status in ("pending", "processing"):
        job.status, job.error = "failed", "render cancelled"
        if job.task is not None:
            job.task.cancel()
    return web.json_response({"success": True, "data": job.public(base_url(request))})


async def download(request: web.Request) -> web.StreamResponse:
    """The finished MP4 of a render, for the token's user."""
    sandbox = request.app[SANDBOX]
    token = sandbox.authenticate(request.headers.get("Authorization"))
    job = _job(sandbox, request, token.user_id)
    return _file(job.output if job.status == "completed" else None, "render output not available")


async def render_file(request: web.Request) -> web.StreamResponse:
    """`/renders/<id>.mp4` without auth, like a signed CDN URL."""
    sandbox = request.app[SANDBOX]
    job = sandbox.renders.get(request.match_info["rid"])
    output = job.output if job is not None and job.status == "completed" else None
    return _file(output, "render output not available")


async def media_file(request: web.Request) -> web.StreamResponse:
    """`/media/<file>` without auth: generated and uploaded media."""
    sandbox = request.app[SANDBOX]
    name = request.match_info["name"]
    path = sandbox.media_dir / name if MEDIA_NAME.match(name) else None
    return _file(path, "media not found")


def _file(path: Path | None, missing: str) -> web.StreamResponse:
    if path is None or not path.is_file():
        raise render_error(404, missing)
    return web.FileResponse(path)


def add_routes(app: web.Application) -> None:
    """Register the export and file routes."""
    app.router.add_post("/api/render/proxy/lambda", submit)
    app.router.add_get("/api/render/proxy/lambda/{rid}", poll)
    app.router.add_post("/api/render/proxy/lambda/{rid}/cancel", cancel)
    app.router.add_get("/api/render/proxy/{rid}/download", download)
    app.router.add_get("/renders/{rid}.mp4", render_file)
    app.router.add_get("/media/{name}", media_file)
