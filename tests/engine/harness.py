"""A recording Outbox and an engine wired to a sandbox: the errbot `testbot` pattern."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.app import open_runtime
from bot.config import Settings
from bot.core.context import Timing
from bot.core.engine import Accepted, Engine
from bot.core.messages import Attachment, ChatRef, IncomingMessage, User
from bot.core.outbox import (
    Button,
    Keyboard,
    Limits,
    OutboxError,
    OutboxRetryLater,
    OutboxTooLarge,
    Rate,
    VideoFile,
)
from bot.core.root_router import build_registry
from bot.core.router import route
from bot.core.shaping import utf16_len
from bot.nemo import NemoClient
from bot.ops.metrics import Metrics
from bot.wiring import client_config
from sandbox import RunningSandbox, SandboxOptions, run_sandbox
from storage import NewItem, SqliteStore, open_store

FAST = Timing(
    still_working_seconds=0,
    render_poll_seconds=0.2,
    recheck_first_seconds=0.1,
    recheck_every_seconds=0.1,
    recheck_reads=2,
    watch_after_drop=(),
    lease_seconds=30,
    album_seconds=0.3,
)


def fast_options(**overrides: object) -> SandboxOptions:
    """Sandbox options tuned for speed, with `overrides` applied."""
    base: dict[str, object] = {
        "chunk_delay_seconds": 0,
        "keepalive_seconds": 0.2,
        "image_seconds": 1,
    }
    return SandboxOptions(**{**base, **overrides})  # type: ignore[arg-type]


@asynccontextmanager
async def fast_sandbox(**overrides: object) -> AsyncIterator[RunningSandbox]:
    """A fresh sandbox like the `sandbox` fixture's, with some options changed."""
    async with run_sandbox(fast_options(**overrides)) as running:
        yield running


async def eventually(
    predicate: Callable[[], bool | Awaitable[bool]],
    timeout: float = 10.0,
    interval: float = 0.01,
) -> None:
    """Poll `predicate` (sync or async) until it holds; fail after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            result = predicate()
            if not isinstance(result, bool):
                result = await result
            if result:
                return
            await asyncio.sleep(interval)


@dataclass
class Sent:
    """One thing the bot did in a chat."""

    kind: str  # text | edit | image | video | typing | delete | draft
    chat: str
    text: str = ""
    message_id: str = ""
    buttons: tuple[Button, ...] = ()  # every button, row after row
    path: Path | None = None
    video: VideoFile | None = None
    keyboard: Keyboard = ()
    at: float = 0.0  # loop time
    reply_to: str | None = None
    album: int = 0  # images sent together share a number


def _flat(keyboard: Keyboard) -> tuple[Button, ...]:
    return tuple(button for row in keyboard for button in row)


@dataclass
class RecordingOutbox:
    """An Outbox that keeps everything it is asked to do, and lets tests wait for it.

    It answers like a strict platform: text over `max_text` or a caption over
    `max_caption` is refused, and with `throttle` set, a send or edit faster than that rate
    in one chat gets `OutboxRetryLater` (Telegram's RetryAfter, Discord's 429).
    """

    keep_dir: Path
    limits_value: Limits = field(default_factory=lambda: Limits(edit_interval=0.0, rates=()))
    log: list[Sent] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)  # attachment ref -> local file
    platform: str = "console"
    throttle: Rate | None = None
    retry_after: float = 0.2
    refused: list[str] = field(default_factory=list)  # why the "platform" said no
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _albums: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _recent: dict[str, list[float]] = field(default_factory=dict)
    _shown: dict[str, str] = field(default_factory=dict)

    def limits(self, chat: ChatRef) -> Limits:
        return self.limits_value

    async def _record(self, sent: Sent) -> str:
        sent.message_id = sent.message_id or str(next(self._ids))
        sent.at = asyncio.get_running_loop().time()
        self.log.append(sent)
        async with self._changed:
            self._changed.notify_all()
        return sent.message_id

    def _check(self, chat: ChatRef, text: str, limit: int, what: str) -> None:
        if utf16_len(text) > limit:
            self.refused.append(f"{what} too long")
            raise OutboxError(f"{what} is too long")
        if self.throttle is None:
            return
        now = asyncio.get_running_loop().time()
        times = [t for t in self._recent.get(chat.chat_id, []) if t > now - self.throttle.per]
        if len(times) >= self.throttle.count:
            self.refused.append("rate")
            raise OutboxRetryLater("too many requests", self.retry_after)
        times.append(now)
        self._recent[chat.chat_id] = times

    async def send_text(self, chat: ChatRef, text: str, buttons: Keyboard = ()) -> str:
        self._check(chat, text, self.limits_value.max_text, "text")
        if not text.strip():
            raise OutboxError("empty message")
        sent = Sent("text", chat.chat_id, text, buttons=_flat(buttons), keyboard=buttons)
        sent.reply_to = chat.reply_to
        message_id = await self._record(sent)
        self._shown[message_id] = text
        return message_id

    async def edit_text(
        self, chat: ChatRef, message_id: str, text: str, buttons: Keyboard = ()
    ) -> None:
        self._check(chat, text, self.limits_value.max_text, "text")
        if self._shown.get(message_id) == text and not buttons:
            self.refused.append("not modified")
        self._shown[message_id] = text
        await self._record(
            Sent("edit", chat.chat_id, text, message_id, _flat(buttons), keyboard=buttons)
        )

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool:
        await self._record(Sent("delete", chat.chat_id, message_id=message_id))
        return True

    async def send_draft(self, chat: ChatRef, draft_id: int, text: str) -> None:
        self.log.append(Sent("draft", chat.chat_id, text))

    async def send_typing(self, chat: ChatRef, action: str = "typing") -> None:
        self.log.append(Sent("typing", chat.chat_id, action))

    async def send_images(
        self, chat: ChatRef, images: Sequence[Path], caption: str = "", buttons: Keyboard = ()
    ) -> list[str]:
        self._check(chat, caption, self.limits_value.max_caption, "caption")
        album = next(self._albums)
        ids = []
        for index, path in enumerate(images):
            first = index == 0
            sent = Sent(
                "image",
                chat.chat_id,
                caption if first else "",
                path=self._keep(path),
                buttons=_flat(buttons) if first else (),
                keyboard=buttons if first else (),
                album=album,
            )
            ids.append(await self._record(sent))
        return ids

    async def send_video(
        self, chat: ChatRef, video: VideoFile, caption: str = "", buttons: Keyboard = ()
    ) -> str:
        self._check(chat, caption, self.limits_value.max_caption, "caption")
        kept = replace(video, path=self._keep(video.path), thumbnail=None)
        sent = Sent("video", chat.chat_id, caption, path=kept.path, video=kept)
        sent.buttons, sent.keyboard = _flat(buttons), buttons
        return await self._record(sent)

    async def fetch_attachment(self, attachment: Attachment, dest: Path, limit: int) -> Path:
        source = self.files.get(attachment.ref)
        if source is None or not source.exists():
            raise OutboxError(f"attachment {attachment.ref} is gone")
        if source.stat().st_size > limit:
            raise OutboxTooLarge("over the limit")
        shutil.copyfile(source, dest)
        return dest

    def _keep(self, path: Path) -> Path:
        self.keep_dir.mkdir(parents=True, exist_ok=True)
        kept = self.keep_dir / f"{len(self.log)}-{path.name}"
        shutil.copyfile(path, kept)
        return kept

    # -- for tests -------------------------------------------------------------------------

    def of(self, *kinds: str) -> list[Sent]:
        """Everything of these kinds, in order."""
        return [s for s in self.log if s.kind in kinds]

    def texts(self) -> list[str]:
        """Every sent (not edited) text."""
        return [s.text for s in self.log if s.kind == "text"]

    def everything(self) -> list[str]:
        """Every text, edit and caption the bot produced (for "never says X" checks)."""
        return [s.text for s in self.log if s.text and s.kind != "typing"]

    def final_texts(self) -> list[str]:
        """Each message as it last looked (sends updated by their edits)."""
        latest: dict[str, str] = {}
        for sent in self.log:
            if sent.kind in ("text", "edit"):
                latest[sent.message_id] = sent.text
        return list(latest.values())

    async def wait_for(self, predicate: Callable[[Sent], bool], timeout: float = 30.0) -> Sent:
        """The first recorded item matching `predicate`, waiting up to `timeout` seconds."""
        async with asyncio.timeout(timeout), self._changed:
            while True:
                for sent in self.log:
                    if predicate(sent):
                        return sent
                await self._changed.wait()


@dataclass
class Bot:
    """An engine with one recording outbox, on a real store and a real sandbox."""

    engine: Engine
    outbox: RecordingOutbox
    store: SqliteStore
    nemo: NemoClient
    metrics: Metrics
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    # Platform update ids are unique for good: a restarted bot must not reuse them.
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def message(
        self,
        text: str,
        *,
        user: str = "u1",
        chat: str | None = None,
        attachments: tuple[Attachment, ...] = (),
        private: bool = True,
        update_id: str | None = None,
        group: str | None = None,
        platform: str = "console",
        language: str | None = None,
    ) -> IncomingMessage:
        """A message from `user`; in a group (`private=False`) answers reply to it."""
        number = next(self.counter)
        message_id = f"m{number}"
        return IncomingMessage(
            update_id=update_id or f"upd-{self.run}-{number}",
            user=User(platform, user, language=language),
            chat=ChatRef(
                platform,
                chat or f"chat-{user}",
                private=private,
                reply_to=None if private else message_id,
            ),
            text=text,
            attachments=attachments,
            message_id=message_id,
            group=group,
        )

    async def user_id(self, user: str = "u1") -> int:
        """The store's id of a console user."""
        return (await self.store.upsert_user("console", user)).id

    async def say(self, text: str, **kwargs: object) -> Accepted:
        """Submit a message and wait until the user's line is empty (renders not included)."""
        accepted = await self.engine.submit(self.message(text, **kwargs))  # type: ignore[arg-type]
        await self.engine.wait_idle(renders=False)
        return accepted

    async def press(self, button: Button, **kwargs: object) -> Accepted:
        """Press a button the bot sent (adapters hand its payload over as the text); what
        was accepted says the toast the presser would see."""
        return await self.say(button.data, **kwargs)


def new_item(msg: IncomingMessage, user_id: int) -> NewItem:
    """`msg` as the engine would store it (intent decided), for a test that plays a worker."""
    intent = route(msg.text, build_registry(), has_attachments=bool(msg.attachments))
    return NewItem(
        platform=msg.chat.platform,
        update_id=msg.update_id,
        user_id=user_id,
        chat=msg.chat.to_json(),
        kind=intent.kind,
        intent=intent.to_json(),
        payload=msg.to_json(),
    )


def sandbox_settings(url: str, **env: str) -> Settings:
    """Settings pointing at a sandbox, with test-friendly waits."""
    base = {"NEMO_API_BASE": url, "NEMOBOT_RETRY_AFTER_SECONDS": "0"}
    return Settings.from_env({**base, **env})


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    url: str,
    *,
    timing: Timing = FAST,
    db_name: str = "bot.db",
    worker_id: str | None = None,
    limits: Limits | None = None,
    sse_idle_seconds: float = 30.0,
    sse_timeout_seconds: float = 900.0,
    store_class: type[SqliteStore] = SqliteStore,
    render_ids: Callable[[], str] | None = None,
    outbox: RecordingOutbox | None = None,
    start: bool = True,
    database: str | None = None,
    clock: Callable[[], float] | None = None,
    **env: str,
) -> AsyncIterator[Bot]:
    """A bot as `bot.app.open_runtime` wires it, on a store opened here, with a recording
    outbox; closed in reverse order."""
    waits = {
        "NEMOBOT_SSE_IDLE_SECONDS": f"{sse_idle_seconds:g}",
        "NEMOBOT_SSE_TIMEOUT_SECONDS": f"{sse_timeout_seconds:g}",
    }
    settings = sandbox_settings(url, **{**waits, **env})
    outbox = outbox or RecordingOutbox(tmp_path / "received")
    if limits is not None:
        outbox.limits_value = limits
    store: Any = (
        await open_store(database) if database else await store_class.open(tmp_path / db_name)
    )
    client = replace(client_config(settings), poll_retry_delay=0)
    try:
        async with open_runtime(
            settings,
            store=store,
            timing=timing,
            worker_id=worker_id or "",
            render_ids=render_ids,
            client=client,
            **({"clock": clock} if clock is not None else {}),
        ) as runtime:
            engine = runtime.engine
            engine.connect(outbox)
            if start:
                await engine.start()
            yield Bot(engine, outbox, store, runtime.nemo, runtime.metrics)
    finally:
        await store.close()
