"""What an agent turn does to a session: tool calls, edits, credits, answer text."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import draft as drafts
from .agent import Intent, chat_reply, generate_reply, title_reply
from .images import generate_image
from .state import Sandbox, Session


@dataclass
class ToolCall:
    """One function call the agent makes during a turn."""

    name: str
    args: dict[str, Any]
    id: str = field(default_factory=lambda: f"adk-{uuid.uuid4()}")
    response: dict[str, Any] = field(default_factory=dict)


@dataclass
class TurnPlan:
    """The tool calls of a turn, announced before the work is done."""

    intent: Intent
    message: str
    calls: list[ToolCall]
    cost: int


def plan_turn(sandbox: Sandbox, intent: Intent, message: str) -> TurnPlan:
    """The calls and credit cost of a turn for this intent."""
    calls: list[ToolCall] = []
    cost = 0
    if intent.kind == "generate":
        args: dict[str, Any] = {"prompt": intent.prompt, "aspect_ratio": intent.aspect_ratio}
        if intent.count > 1:
            args["num_images"] = intent.count
        calls.append(ToolCall("generate_image", args))
        cost = sandbox.options.generation_cost * intent.count
    elif intent.kind == "title":
        calls.append(ToolCall("add_text", {"text": intent.title, "start": 0, "duration": 3}))
    elif intent.kind == "music":
        args = {"name": drafts.MUSIC_NAME, "volume": drafts.MUSIC_VOLUME, "track": "bgm"}
        calls.append(ToolCall("add_audio", args))
    return TurnPlan(intent, message, calls, cost)


async def perform_turn(
    sandbox: Sandbox, session: Session, plan: TurnPlan, base_url: str
) -> str | None:
    """Do the turn's work on the session; return the answer text (None for a silent edit)."""
    intent = plan.intent
    if intent.kind == "generate":
        if sandbox.options.generation_delay_seconds > 0:
            await asyncio.sleep(sandbox.options.generation_delay_seconds)
        images = [
            await _generate(sandbox, session, intent, k, base_url) for k in range(intent.count)
        ]
        user = sandbox.user(session.user_id)
        user.credits = max(0, user.credits - plan.cost)
        plan.calls[0].response = {"status": "success", "images": images}
        return generate_reply(intent, len(images))
    if intent.kind == "title":
        seg_id = drafts.set_title(session.draft, intent.title)
        plan.calls[0].response = {"status": "success", "segment_id": seg_id}
        return title_reply(intent)
    if intent.kind == "music":
        seg_id = drafts.set_music(session.draft)
        plan.calls[0].response = {"status": "success", "segment_id": seg_id}
        return None
    if intent.kind == "timeline":
        return drafts.summary(session.draft, intent.chinese)
    return chat_reply(plan.message, intent.chinese)


async def _generate(
    sandbox: Sandbox, session: Session, intent: Intent, variant: int, base_url: str
) -> dict[str, Any]:
    filename = f"{session.session_id}_{secrets.token_hex(6)}.png"
    path = sandbox.media_dir / filename
    width, height = await asyncio.to_thread(
        generate_image, intent.prompt, intent.aspect_ratio, path, variant
    )
    url = f"{base_url}/media/{filename}"
    media_id = f"img_{secrets.token_hex(8)}"
    if not session.generated_media and height > width:
        session.draft["m"].update({"width": 1080, "height": 1920})
    shape = sandbox.options.media_shape
    entry: dict[str, Any] = {
        "id": url if shape == "url_id" else media_id,
        "type": "image",
        "url": url,
        "prompt": intent.prompt,
        "width": width,
        "height": height,
        "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    if shape == "no_id":
        del entry["id"]
    if shape != "tool_only":
        session.generated_media.append(entry)
    src = f"/mnt/userdata/{session.session_id}/{filename}"
    seconds = sandbox.options.image_seconds
    drafts.append_visual(session.draft, intent.prompt, src, url, "image", seconds)
    if shape == "tool_only":
        return {"image_url": url, "width": width, "height": height}
    return {"id": media_id, "url": url, "width": width, "height": height}
