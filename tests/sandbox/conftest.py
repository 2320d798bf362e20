"""Fixtures for the sandbox tests: a running sandbox and a small httpx-based API helper."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox import RunningSandbox, SandboxOptions, run_sandbox
from sandbox.probe import ffmpeg_exe

SKILL_HEADERS = {
    "X-Skill-Source": "ai-image-free",
    "X-Skill-Version": "1.0.0",
    "X-Skill-Platform": "unknown",
}
FAST = SandboxOptions(keepalive_seconds=0.05, chunk_delay_seconds=0.0, image_seconds=1.0)


@dataclass
class Turn:
    """Everything one /run_sse answer contained."""

    status: int
    content_type: str
    events: list[dict[str, Any]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    body: dict[str, Any] | None = None

    @property
    def adk(self) -> list[dict[str, Any]]:
        """Events with ADK content or turn markers (not keep-alives)."""
        return [e for e in self.events if "author" in e]

    def parts(self, kind: str, partial: bool | None = None) -> list[Any]:
        """Content parts of one kind ('text', 'functionCall', 'functionResponse')."""
        found = []
        for event in self.adk:
            if partial is not None and event.get("partial") is not partial:
                continue
            for part in event.get("content", {}).get("parts", []):
                if kind in part:
                    found.append(part[kind])
        return found

    @property
    def final_text(self) -> str | None:
        """The text of the non-partial text event, if any."""
        texts = self.parts("text", partial=False)
        return texts[-1] if texts else None


class Api:
    """A thin client of the sandbox HTTP contract, written against the spec only."""

    def __init__(self, running: RunningSandbox, client: httpx.AsyncClient) -> None:
        self.running = running
        self.sandbox = running.sandbox
        self.client = client
        self.token = ""
        self.user_id = ""
        self.sid = ""

    async def issue(self, client_id: str = "client-1") -> httpx.Response:
        """Ask for an anonymous token (no Authorization header)."""
        headers = {"X-Client-Id": client_id, "Authorization": ""}
        return await self.client.post("/api/auth/anonymous-token", headers=headers)

    async def login(self, client_id: str = "client-1") -> str:
        """Get a token, use it from now on, and open a session; return the session id."""
        response = await self.issue(client_id)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        self.use(data["token"])
        self.user_id = data["user_id"]
        self.sid = await self.new_session()
        return self.sid

    def use(self, token: str) -> None:
        """Send this bearer token from now on."""
        self.token = token
        self.client.headers["Authorization"] = f"Bearer {token}"

    async def new_session(self) -> str:
        """Create a session and return its id."""
        body = {"task_name": "project", "language": "en"}
        response = await self.client.post("/api/tasks/me/with-session/nemo_agent", json=body)
        assert response.status_code == 200, response.text
        return response.json()["data"]["session_id"]

    def turn_body(self, text: str, sid: str | None = None) -> dict[str, Any]:
        """The /run_sse body for one message."""
        return {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": sid or self.sid,
            "new_message": {"parts": [{"text": text}]},
        }

    async def turn(self, text: str, sid: str | None = None) -> Turn:
        """Send a message and read the whole answer."""
        headers = {"Accept": "text/event-stream"}
        async with self.client.stream(
            "POST", "/run_sse", json=self.turn_body(text, sid), headers=headers
        ) as response:
            turn = Turn(response.status_code, response.headers.get("content-type", ""))
            if not turn.content_type.startswith("text/event-stream"):
                turn.body = json.loads(await response.aread())
                return turn
            async for line in response.aiter_lines():
                read_line(turn, line)
        return turn

    async def state(self, sid: str | None = None) -> dict[str, Any]:
        """The session's latest state."""
        response = await self.client.get(f"/api/state/nemo_agent/me/{sid or self.sid}/latest")
        assert response.status_code == 200, response.text
        return response.json()["data"]["state"]

    async def credits(self) -> int:
        """Available credits."""
        response = await self.client.get("/api/credits/balance/simple")
        return response.json()["data"]["available"]

    async def submit(self, render_id: str, draft: Any, **kwargs: Any) -> httpx.Response:
        """Post a render."""
        body = {"id": render_id, "sessionId": self.sid, "draft": draft}
        return await self.client.post("/api/render/proxy/lambda", json=body, **kwargs)

    async def wait_render(self, render_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll a render until it finishes."""
        async with asyncio.timeout(timeout):
            while True:
                response = await self.client.get(f"/api/render/proxy/lambda/{render_id}")
                data = response.json()["data"]
                if data["status"] in ("completed", "failed"):
                    return data
                await asyncio.sleep(0.1)


def read_line(turn: Turn, line: str) -> None:
    """Sort one SSE line into comments, events and malformed data."""
    if not line:
        return
    if line.startswith(":"):
        turn.comments.append(line)
        turn.order.append("comment")
    elif line.startswith("data:"):
        payload = line[5:].strip()
        try:
            event = json.loads(payload)
        except ValueError:
            turn.malformed.append(payload)
            turn.order.append("malformed")
            return
        turn.events.append(event)
        turn.order.append("event" if event else "empty")


@contextlib.asynccontextmanager
async def open_api(options: SandboxOptions | None = None, **overrides: Any) -> AsyncIterator[Api]:
    """Start a sandbox (fast options plus overrides) and an API helper for it."""
    async with (
        run_sandbox(replace(options or FAST, **overrides)) as running,
        httpx.AsyncClient(base_url=running.url, headers=SKILL_HEADERS, timeout=30) as client,
    ):
        yield Api(running, client)


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    """A fresh sandbox with fast timings and a client for it."""
    async with open_api() as helper:
        yield helper


@pytest.fixture
def make_api() -> Callable[..., contextlib.AbstractAsyncContextManager[Api]]:
    """`async with make_api(option=value) as api:` for tests needing other options."""
    return open_api


@dataclass(frozen=True)
class VideoFacts:
    """What `ffmpeg -i` says about a file."""

    codec: str
    width: int
    height: int
    duration: float
    audio: str | None
    pix_fmt: str


async def inspect_video(path: Path) -> VideoFacts:
    """Run the bundled ffmpeg on a file and parse its stream report."""
    process = await asyncio.create_subprocess_exec(
        ffmpeg_exe(), "-hide_banner", "-i", str(path), stderr=asyncio.subprocess.PIPE
    )
    _, err = await process.communicate()
    text = err.decode(errors="replace")
    video = re.search(r"Video: (\w+)[^,]*, (\w+)[^,]*(?:\([^)]*\))?, (\d+)x(\d+)", text)
    assert video, text
    duration = re.search(r"Duration: (\d+):(\d+):([\d.]+)", text)
    assert duration, text
    h, m, s = duration.groups()
    audio = re.search(r"Audio: (\w+)", text)
    return VideoFacts(
        codec=video.group(1),
        pix_fmt=video.group(2),
        width=int(video.group(3)),
        height=int(video.group(4)),
        duration=int(h) * 3600 + int(m) * 60 + float(s),
        audio=audio.group(1) if audio else None,
    )


@pytest.fixture
def video_facts() -> Callable[[Path], Any]:
    """The `inspect_video` helper."""
    return inspect_video
