"""The fake Gateway: HELLO, IDENTIFY/READY, RESUME, heartbeats and dispatches."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.discord.fake.ids import session_id
from tests.discord.fake.options import FakeDiscordOptions
from tests.discord.fake.world import World

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME = 0, 1, 2, 3, 4, 6
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11
GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT = 1 << 9, 1 << 12, 1 << 15
# Closing with these ends the session: a later RESUME gets INVALID_SESSION.
SESSION_ENDING_CODES = {1000, 1001, 4007, 4009}
REPLAY_BUFFER = 1000
CLOSE_REASONS = {
    4001: "Unknown opcode.",
    4002: "Decode error.",
    4003: "Not authenticated.",
    4004: "Authentication failed.",
    4005: "Already authenticated.",
    4010: "Invalid shard.",
    4013: "Invalid intent(s).",
    4014: "Disallowed intent(s).",
}
_CLOSE = object()


@dataclass
class GatewaySession:
    """An identified session: its sequence, intents, shard and replay buffer."""

    id: str
    intents: int
    shard: tuple[int, int] | None
    identify: dict[str, Any]
    seq: int = 0
    connection: GatewayConnection | None = None
    resumable: bool = True
    ready_complete: bool = False
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))

    def wants(self, guild_id: int | None) -> bool:
        """Whether this shard receives a guild's events (DMs go to shard 0)."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % count == shard_id

    def send(self, event: str, data: dict[str, Any]) -> asyncio.Future[bool]:
        """Sequence, buffer and (when connected) send one dispatch."""
        self.seq += 1
        text = json.dumps({"op": DISPATCH, "t": event, "s": self.seq, "d": data})
        self.buffer.append((self.seq, text))
        if self.connection is not None and self.connection.live:
            return self.connection.enqueue(text)
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        done.set_result(False)
        return done


class GatewayConnection:
    """One websocket: frames leave in the order they were queued."""

    def __init__(self, ws: web.WebSocketResponse, opened_at: float) -> None:
        self.ws = ws
        self.opened_at = opened_at
        self.closed_at: float | None = None
        self.close_code: int | None = None
        self.closed_by_fake = False
        self.fake_close_code: int | None = None
        self._closing: asyncio.Future[bool] | None = None
        self.session: GatewaySession | None = None
        self.resumed = False
        self.received: list[dict[str, Any]] = []
        self._queue: asyncio.Queue[tuple[object, asyncio.Future[bool]]] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop(), name="fake-discord-gateway-writer")

    @property
    def live(self) -> bool:
        """Open and not being closed."""
        return self.closed_at is None and not self.closed_by_fake

    def enqueue(self, frame: object) -> asyncio.Future[bool]:
        """Queue a text frame (or _CLOSE with a code); the future tells whether it left."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((frame, done))
        return done

    def send_op(self, op: int, data: Any = None) -> asyncio.Future[bool]:
        """Queue a non-dispatch frame."""
        return self.enqueue(json.dumps({"op": op, "d": data, "s": None, "t": None}))

    def close(self, code: int) -> asyncio.Future[bool]:
        """Close after the frames already queued."""
        if self.closed_by_fake or self.closed_at is not None:
            return self._resolved(False)
        self.closed_by_fake = True
        self.fake_close_code = code
        self._closing = self.enqueue((_CLOSE, code))
        return self._closing

    def _resolved(self, value: bool) -> asyncio.Future[bool]:
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        done.set_result(value)
        return done

    async def _write_loop(self) -> None:
        while True:
            frame, done = await self._queue.get()
            try:
                if isinstance(frame, tuple) and frame[0] is _CLOSE:
                    code = int(frame[1])
                    reason = CLOSE_REASONS.get(code, "").encode()
                    await self.ws.close(code=code, message=reason)
                    done.set_result(True)
                    continue
                await self.ws.send_str(str(frame))
                done.set_result(True)
            except (ConnectionError, RuntimeError):
                done.set_result(False)

    async def stop(self) -> None:
        """Stop writing (after a close in progress completes); the rest is undelivered."""
        if self._closing is not None:
            # ws.close() waits for the client's close frame; let it finish.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._closing), timeout=5.0)
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        while not self._queue.empty():
            _, done = self._queue.get_nowait()
            if not done.done():
                done.set_result(False)


class GatewayHub:
    """All gateway connections and sessions of one fake."""

    def __init__(
        self,
        options: FakeDiscordOptions,
        world: World,
        *,
        url: Callable[[], str],
        now: Callable[[], float],
        on_change: Callable[[], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self.options = options
        self.world = world
        self._url = url
        self._now = now
        self._on_change = on_change
        self._on_error = on_error
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.refusing = False  # an outage: new websockets are answered 503
        self.refused = 0

    # --- websocket route ---------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /gateway: the websocket (503 during an outage)."""
        if self.refusing:
            self.refused += 1
            self._on_change()
            return web.Response(status=503, text="gateway unavailable")
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = GatewayConnection(ws, self._now())
        self.connections.append(conn)
        conn.send_op(HELLO, {"heartbeat_interval": self.options.heartbeat_interval_ms})
        self._on_change()
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    self._on_text_safely(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    conn.close(4002)
        finally:
            self._closed(conn, conn.fake_close_code or ws.close_code)
            await conn.stop()
        return ws

    def _closed(self, conn: GatewayConnection, code: int | None) -> None:
        conn.closed_at = self._now()
        conn.close_code = code
        session = conn.session
        if session is not None and session.connection is conn:
            session.connection = None
            if code in SESSION_ENDING_CODES:
                session.resumable = False
                self.sessions.pop(session.id, None)
        self._on_change()

    def _on_text_safely(self, conn: GatewayConnection, text: str) -> None:
        try:
            self._on_text(conn, text)
        except Exception as error:  # a bug in the fake: record it, drop the connection
            self._on_error(error)
            conn.close(4000)

    def _on_text(self, conn: GatewayConnection, text: str) -> None:
        try:
            message = json.loads(text)
            op, data = message["op"], message.get("d")
        except (ValueError, KeyError, TypeError):
            conn.close(4002)
            return
        conn.received.append({"op": op, "d": _without_token(data)})
        if op == HEARTBEAT:
            conn.send_op(HEARTBEAT_ACK)
        elif op == IDENTIFY:
            self._identify(conn, data or {})
        elif op == RESUME:
            self._resume(conn, data or {})
        elif conn.session is None:
            conn.close(4003)
        elif op == REQUEST_MEMBERS:
            self._members_chunk(conn.session, data or {})
        elif op not in (PRESENCE, VOICE):
            conn.close(4001)
        self._on_change()

    # --- identify / resume -------------------------------------------------------------

    def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        problem = self._identify_problem(conn, data)
        if problem is not None:
            conn.close(problem)
            return
        shard = tuple(data["shard"]) if data.get("shard") else None
        session = GatewaySession(session_id(), int(data["intents"]), shard, _without_token(data))  # type: ignore[arg-type]
        session.connection = conn
        conn.session = session
        self.sessions[session.id] = session
        last = session.send("READY", self._ready_payload(session))
        for guild in self.world.guilds.values():
            if session.wants(guild.id):
                last = session.send("GUILD_CREATE", self.world.guild_payload(guild, gateway=True))
        last.add_done_callback(lambda sent: self._ready_sent(session) if sent.result() else None)

    def _identify_problem(self, conn: GatewayConnection, data: dict[str, Any]) -> int | None:
        if conn.session is not None:
            return 4005
        if data.get("token") != self.options.token:
            return 4004
        intents = data.get("intents")
        if not isinstance(intents, int):
            return 4013
        if intents & MESSAGE_CONTENT and not self.options.message_content_intent_enabled:
            return 4014
        shard = data.get("shard")
        if shard is not None:
            valid = isinstance(shard, list) and len(shard) == 2 and 0 <= shard[0] < shard[1]
            if not valid:
                return 4010
        return None

    def _ready_sent(self, session: GatewaySession) -> None:
        session.ready_complete = True
        self._on_change()

    def _ready_payload(self, session: GatewaySession) -> dict[str, Any]:
        guilds = [g for g in self.world.guilds if session.wants(g)]
        body: dict[str, Any] = {
            "v": 10,
            "user": self.world.me_payload(),
            "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self._url(),
            "application": {
                "id": str(self.options.application_id),
                "flags": app_flags(self.options),
            },
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["fake-discord-gateway"],
        }
        if session.shard is not None:
            body["shard"] = list(session.shard)
        return body

    def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        if data.get("token") != self.options.token:
            conn.close(4004)
            return
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not session.resumable:
            # discord.py then closes and IDENTIFYs again (after its 5 s identify delay).
            conn.send_op(INVALID_SESSION, False)
            return
        if session.connection is not None and session.connection is not conn:
            session.connection.close(4000)
        session.connection = conn
        conn.session = session
        conn.resumed = True
        seen = int(data.get("seq") or 0)
        for seq, text in list(session.buffer):
            if seq > seen:
                conn.enqueue(text)
        session.send("RESUMED", {"_trace": ["fake-discord-gateway"]})

    def _members_chunk(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild = self.world.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        ids = [u for u in self.world.member_ids(guild.id) if not wanted or u in wanted]
        chunk: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [self.world.member_payload(guild, u) for u in ids],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        session.send("GUILD_MEMBERS_CHUNK", chunk)

    # --- dispatching -------------------------------------------------------------------

    def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        guild_id: int | None,
        intent: int | None = None,
        message_content_exempt: bool = True,
    ) -> list[asyncio.Future[bool]]:
        """Send an event to every session that would get it; returns the frames' futures.

        `intent` is the intent a session needs for this event at all; a session without
        MESSAGE_CONTENT gets content, embeds, attachments and components emptied unless
        the message is exempt (own message, DM, or one that mentions the bot).
        """
        sent: list[asyncio.Future[bool]] = []
        for session in list(self.sessions.values()):
            if not session.resumable or not session.wants(guild_id):
                continue
            if intent is not None and not session.intents & intent:
                continue
            body = data
            if not message_content_exempt and not session.intents & MESSAGE_CONTENT:
                body = _without_content(data)
            sent.append(session.send(event, body))
        return sent

    def disconnect(self, code: int, shard: int | None = None) -> list[asyncio.Future[bool]]:
        """Close every live connection (or those of sessions on `shard`) with `code`."""
        return [c.close(code) for c in self.connections if c.live and _on_shard(c.session, shard)]

    def live_sessions(self) -> list[GatewaySession]:
        """Sessions with an open connection."""
        return [s for s in self.sessions.values() if s.connection is not None and s.connection.live]

    async def close_all(self) -> None:
        """Close every connection (1001, going away) and stop the writers."""
        closing = [c.close(1001) for c in self.connections if c.live]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*closing), timeout=2.0)
        for conn in self.connections:
            await conn.stop()


def app_flags(options: FakeDiscordOptions) -> int:
    """Application flags: GATEWAY_MESSAGE_CONTENT_LIMITED when the intent is enabled."""
    return (1 << 19 if options.message_content_intent_enabled else 0) | (1 << 23)


def _on_shard(session: GatewaySession | None, shard: int | None) -> bool:
    """Any connection when `shard` is None, else one identified on that shard."""
    if shard is None:
        return True
    return session is not None and session.shard is not None and session.shard[0] == shard


def _without_token(data: Any) -> Any:
    if isinstance(data, dict) and "token" in data:
        return {**data, "token": "<redacted>"}
    return data


def _without_content(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "content": "", "embeds": [], "attachments": [], "components": []}
