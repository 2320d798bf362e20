"""All sandbox state: tokens, users, sessions, renders, counters."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .draft import Draft, new_draft
from .errors import api_error, session_not_found, token_expired
from .faults import Faults
from .options import SandboxOptions


@dataclass
class TokenRecord:
    """One issued bearer token."""

    token: str
    user_id: str
    client_id: str | None
    ip: str
    issued_at: float
    expires_at: float
    expired: bool = False

    def valid(self, now: float) -> bool:
        """Whether the token may still be used."""
        return not self.expired and now < self.expires_at


@dataclass
class User:
    """An account holding credits."""

    user_id: str
    credits: int
    frozen: int = 0


@dataclass
class Session:
    """One agent session with its timeline."""

    session_id: str
    task_id: str
    task_name: str
    language: str
    user_id: str
    draft: Draft = field(default_factory=new_draft)
    video_infos: list[dict[str, Any]] = field(default_factory=list)
    generated_media: list[dict[str, Any]] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        """The `state` object of the latest-state answer."""
        width, height = self.draft["m"]["width"], self.draft["m"]["height"]
        return {
            "draft": self.draft,
            "video_infos": self.video_infos,
            "generated_media": self.generated_media,
            "canvas_config": {"width": width, "height": height},
        }


@dataclass
class RenderJob:
    """One export job."""

    id: str
    session_id: str
    user_id: str
    draft: Any
    status: str = "pending"
    progress: int = 0
    error: str | None = None
    output: Path | None = None
    task: asyncio.Task[None] | None = None
    fail: bool = False
    fail_message: str | None = None
    completed_at: float | None = None  # epoch seconds, when the MP4 was ready

    def public(self, base_url: str) -> dict[str, Any]:
        """The job as the poll endpoint shows it."""
        data: dict[str, Any] = {"id": self.id, "status": self.status, "progress": self.progress}
        if self.status == "completed":
            data["output"] = {"url": f"{base_url}/renders/{self.id}.mp4", "format": "mp4"}
        if self.status == "failed":
            data["error"] = self.error or "render failed"
        return data


SELECTED_HEADERS = (
    "Authorization",
    "X-Client-Id",
    "X-Skill-Source",
    "X-Skill-Version",
    "X-Skill-Platform",
    "Accept",
    "Content-Type",
)


class Sandbox:
    """State and counters of one fake NemoVideo backend."""

    def __init__(self, options: SandboxOptions | None = None) -> None:
        self.options = options or SandboxOptions()
        self.faults = Faults()
        self._owns_dir = self.options.data_dir is None
        root = self.options.data_dir or Path(tempfile.mkdtemp(prefix="nemo-sandbox-"))
        self.data_dir = Path(root)
        self.media_dir = self.data_dir / "media"
        self.render_dir = self.data_dir / "renders"
        self.work_dir = self.data_dir / "work"
        for d in (self.media_dir, self.render_dir, self.work_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.render_slots = asyncio.Semaphore(self.options.max_concurrent_renders)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._clear()

    def _clear(self) -> None:
        self.tokens: dict[str, TokenRecord] = {}
        self.client_tokens: dict[str, str] = {}
        self.client_users: dict[str, str] = {}
        self.users: dict[str, User] = {}
        self.sessions: dict[str, Session] = {}
        self.renders: dict[str, RenderJob] = {}
        self.claims: dict[str, str] = {}  # claim token → session id
        self.render_submissions: dict[str, int] = {}
        self.tokens_issued = 0
        self.sessions_created = 0
        self.sse_calls = 0
        self.agent_messages: list[str] = []  # what each /run_sse asked the agent, in order
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._ip_tokens: dict[str, int] = {}

    def reset(self) -> None:
        """Forget everything and turn all faults off (options stay)."""
        self.cancel_tasks()
        self._clear()
        self.faults.reset()

    # -- tokens and users ---------------------------------------------------------------------

    def issue_anonymous_token(self, client_id: str, ip: str) -> TokenRecord:
        """The client id's valid token, or a new one for the same anonymous user."""
        now = time.time()
        current = self.tokens.get(self.client_tokens.get(client_id, ""))
        if current is not None and current.valid(now):
            return current
        limit = self.options.max_tokens_per_ip
        if limit is not None and self._ip_tokens.get(ip, 0) >= limit:
            raise api_error(403, 1003, "anonymous token limit reached for this IP")
        user_id = self.client_users.get(client_id)
        if user_id is None:
            user_id = f"anon_{secrets.token_hex(8)}"
            self.client_users[client_id] = user_id
            self.users[user_id] = User(user_id, self.options.initial_credits)
        record = self._new_token(user_id, client_id, ip, now)
        self.client_tokens[client_id] = record.token
        self._ip_tokens[ip] = self._ip_tokens.get(ip, 0) + 1
        return record

    def create_user_token(
        self, user_id: str = "user_registered", credits: int | None = None
    ) -> str:
        """A token for a registered user (the `NEMO_TOKEN` case), for tests."""
        if user_id not in self.users:
            start = self.options.initial_credits if credits is None else credits
            self.users[user_id] = User(user_id, start)
        elif credits is not None:
            self.users[user_id].credits = credits
        return self._new_token(user_id, None, "local", time.time()).token

    def _new_token(self, user_id: str, client_id: str | None, ip: str, now: float) -> TokenRecord:
        token = f"nmv_usr_{secrets.token_hex(16)}"
        expires = now + self.options.token_ttl_seconds
        record = TokenRecord(token, user_id, client_id, ip, now, expires)
        self.tokens[token] = record
        self.tokens_issued += 1
        return record

    def authenticate(self, authorization: str | None) -> TokenRecord:
        """The token record of a `Bearer` header, or a 401 error."""
        if not authorization or not authorization.startswith("Bearer "):
            raise api_error(401, 1001, "missing or invalid token")
        record = self.tokens.get(authorization[len("Bearer ") :].strip())
        if record is None:
            raise api_error(401, 1001, "invalid token")
        if not record.valid(time.time()):
            raise token_expired()
        return record

    def user(self, user_id: str) -> User:
        """The user record (created on first sight)."""
        if user_id not in self.users:
            self.users[user_id] = User(user_id, self.options.initial_credits)
        return self.users[user_id]

    def credits(self, token: str) -> int:
        """Available credits of the user holding a token."""
        return self.user(self.tokens[token].user_id).credits

    def set_credits(self, token: str, credits: int) -> None:
        """Set the available credits of the user holding a token."""
        self.user(self.tokens[token].user_id).credits = credits

    def expire_all_tokens(self) -> None:
        """Mark every token issued so far as expired."""
        for record in self.tokens.values():
            record.expired = True

    # -- sessions ------------------------------------------------------------------------------

    def create_session(self, user_id: str, task_name: str, language: str) -> Session:
        """A new empty session for a user."""
        session_id = str(secrets.randbelow(9 * 10**18) + 10**18)
        task_id = f"task_{secrets.token_hex(8)}"
        session = Session(session_id, task_id, task_name, language, user_id)
        self.sessions[session_id] = session
        self.sessions_created += 1
        return session

    def session(self, session_id: str, user_id: str) -> Session:
        """A session of this user, or a 1002 error."""
        session = self.sessions.get(session_id)
        if session is None or session.user_id != user_id:
            raise session_not_found()
        return session

    def apply_fault_actions(self) -> None:
        """Carry out the action faults that act on existing state."""
        if self.faults.take("expire_tokens"):
            self.expire_all_tokens()
        if self.faults.take("lose_sessions"):
            self.sessions.clear()

    # -- background work -----------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a coroutine in the background, keeping a reference until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cancel_tasks(self) -> None:
        """Cancel all background work (generations, renders)."""
        for task in list(self._tasks):
            task.cancel()

    async def close(self) -> None:
        """Stop background work and remove a temporary data directory."""
        tasks = list(self._tasks)
        self.cancel_tasks()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._owns_dir:
            await asyncio.to_thread(shutil.rmtree, self.data_dir, True)

    def stats(self) -> dict[str, Any]:
        """Counters and recent requests as JSON-ready data."""
        return {
            "tokens_issued": self.tokens_issued,
            "sessions_created": self.sessions_created,
            "sse_calls": self.sse_calls,
            "render_submissions": dict(self.render_submissions),
            "renders": {rid: job.status for rid, job in self.renders.items()},
            "completed_at": {
                rid: job.completed_at for rid, job in self.renders.items() if job.completed_at
            },
            "credits": {uid: u.credits for uid, u in self.users.items()},
            "requests": [[m, p, h] for m, p, h in self.requests],
            "faults": self.faults.to_dict(),
        }
