"""One agent turn: stream the reply live, then post what the turn produced."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core import codec
from bot.core.accounts import Account
from bot.core.gui import translate
from bot.core.messages import ChatRef
from bot.core.outbox import Button, Outbox, OutboxError
from bot.core.progress import Heartbeat, LiveMessage, keep_typing
from bot.core.texts import t
from bot.nemo import NemoClient, SessionState
from bot.nemo.draft import Changes, changes, summary
from bot.nemo.errors import NemoError, StreamCut, StreamTimeout, error_for
from bot.nemo.events import KeepAlive, StreamError, Text, TextDelta, ToolCall, ToolResult

__all__ = ["Conversation", "Timing", "TurnContext", "TurnOutcome"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Timing:
    """How long the engine waits for things (from settings; tests shorten them)."""

    still_working_seconds: float = 120.0
    render_poll_seconds: float = 30.0
    recheck_first_seconds: float = 30.0  # after a dropped stream, the first state read
    recheck_every_seconds: float = 60.0
    recheck_reads: int = 5  # unchanged reads that mean the turn failed
    lease_seconds: float = 60.0


@dataclass(slots=True)
class TurnContext:
    """Everything a turn needs to know about who it runs for."""

    user_id: int
    chat: ChatRef
    outbox: Outbox
    account: Account
    session_id: str
    lang: str
    before_agent: Callable[[], Awaitable[object]] | None = None  # runs just before /run_sse
    reached_agent: bool = False  # the agent accepted the message (never resend it)


@dataclass(slots=True)
class TurnOutcome:
    """What happened, so the engine can decide about auto-export."""

    text: str = ""
    gui_export: bool = False
    changed: bool = False
    images: int = 0  # generated images posted to the chat


@dataclass(slots=True)
class _Reply:
    finals: list[str] = field(default_factory=list)
    partial: str = ""
    status: str | None = None
    used_tools: bool = False

    def preview(self) -> str:
        body = "\n\n".join([*self.finals, self.partial] if self.partial else self.finals)
        return f"{body}\n\n{self.status}".strip() if self.status else body


class Conversation:
    """Runs agent turns for the engine."""

    def __init__(self, nemo: NemoClient, timing: Timing, *, cache_size: int = 2048) -> None:
        self._nemo = nemo
        self._timing = timing
        self._states: OrderedDict[str, SessionState] = OrderedDict()
        self._cache_size = cache_size

    async def state(self, ctx: TurnContext, *, fresh: bool = True) -> SessionState:
        """The session's state (cached copy when `fresh` is False)."""
        if not fresh and ctx.session_id in self._states:
            return self._states[ctx.session_id]
        current = await self._nemo.state(ctx.account.auth, ctx.session_id)
        self._states[ctx.session_id] = current
        self._states.move_to_end(ctx.session_id)
        while len(self._states) > self._cache_size:
            self._states.popitem(last=False)
        return current

    def forget(self, session_id: str) -> None:
        """Drop the cached state of a session changed outside a turn (an upload)."""
        self._states.pop(session_id, None)

    async def run(self, ctx: TurnContext, text: str, *, exporting: bool = False) -> TurnOutcome:
        """Send `text` to the agent and show the answer; returns what it did.

        `exporting`: the caller will export if the agent says to, so no export offer is shown.
        """
        before = await self.state(ctx, fresh=False)
        reply = _Reply()
        live = LiveMessage(ctx.outbox, ctx.chat)

        async def still_working() -> None:
            await ctx.outbox.send_text(ctx.chat, t("still_working", ctx.lang))

        if ctx.before_agent is not None:
            await ctx.before_agent()
        try:
            async with (
                keep_typing(ctx.outbox, ctx.chat),
                Heartbeat(self._timing.still_working_seconds, still_working) as heartbeat,
                self._nemo.stream(ctx.account.auth, ctx.session_id, text) as stream,
            ):
                ctx.reached_agent = True
                async for event in stream:
                    if isinstance(event, KeepAlive):
                        continue
                    heartbeat.touch()
                    self._apply(event, reply, ctx.lang)
                    await live.show(translate(reply.preview()).text)
        except (StreamCut, StreamTimeout) as exc:
            return await self._after_drop(ctx, before, live, reply, exc)
        return await self._finish(ctx, before, live, reply, exporting)

    @staticmethod
    def _apply(event: object, reply: _Reply, lang: str) -> None:
        if isinstance(event, TextDelta):
            reply.partial += event.text
        elif isinstance(event, Text):
            reply.finals.append(event.text)
            reply.partial = ""
        elif isinstance(event, ToolCall):
            reply.used_tools = True
            reply.status = t(_tool_text(event.name), lang)
        elif isinstance(event, ToolResult):
            reply.status = None
        elif isinstance(event, StreamError):
            code = event.code if isinstance(event.code, int) else None
            raise error_for(200, {"code": code, "message": event.message}, "run_sse stream")

    async def _finish(
        self,
        ctx: TurnContext,
        before: SessionState,
        live: LiveMessage,
        reply: _Reply,
        exporting: bool,
    ) -> TurnOutcome:
        advice = translate("\n\n".join(reply.finals))
        after = before
        if reply.used_tools or not advice.text or advice.show_timeline:
            after = await self.state(ctx)
        diff = changes(before, after)
        lines = [advice.text] if advice.text else []
        if advice.show_timeline and (timeline := summary(after.draft)):
            lines.append(timeline)
        if not advice.text:
            lines.append(self._describe_changes(diff, ctx.lang))
        if advice.export and not exporting:
            lines.append(t("offer_export", ctx.lang))
        await live.finish("\n\n".join(lines), self.buttons(ctx))
        posted = await self.post_media(ctx, diff)
        return TurnOutcome(advice.text, advice.export, bool(diff), posted)

    async def _after_drop(
        self,
        ctx: TurnContext,
        before: SessionState,
        live: LiveMessage,
        reply: _Reply,
        exc: NemoError,
    ) -> TurnOutcome:
        """The stream broke: never resend; read the state until it shows the result."""
        log.warning("stream for user %s ended early: %s", ctx.user_id, exc.message)
        shown = "\n\n".join(reply.finals) or getattr(exc, "partial_text", "")
        if shown:
            await live.finish(translate(shown).text or shown)
        timed_out = isinstance(exc, StreamTimeout)
        if not timed_out:
            await ctx.outbox.send_text(ctx.chat, t("stream_dropped", ctx.lang))
        delay = self._timing.recheck_first_seconds
        for _ in range(self._timing.recheck_reads):
            await asyncio.sleep(delay)
            delay = self._timing.recheck_every_seconds
            after = await self.state(ctx)
            diff = changes(before, after)
            if diff:
                state_line = self._describe_changes(diff, ctx.lang)
                key = "turn_timeout" if timed_out else "no_text_changes"
                text = t(key, ctx.lang, state=state_line, changes=state_line)
                await ctx.outbox.send_text(ctx.chat, text, self.buttons(ctx))
                posted = await self.post_media(ctx, diff)
                return TurnOutcome(shown, False, True, posted)
        if timed_out:
            unchanged = t("state_unchanged", ctx.lang)
            await ctx.outbox.send_text(ctx.chat, t("turn_timeout", ctx.lang, state=unchanged))
        else:
            await ctx.outbox.send_text(ctx.chat, t("stream_failed", ctx.lang))
        return TurnOutcome(shown, False, False)

    def _describe_changes(self, diff: Changes, lang: str) -> str:
        if not diff:
            return t("no_text_nothing", lang)
        parts = [
            t("change_added", lang, what=_label(track, seg.name))
            for track, seg in diff.new_segments
        ]
        parts += [
            t("change_removed", lang, what=_label(track, seg.name))
            for track, seg in diff.removed_segments
        ]
        if diff.new_media:
            parts.append(t("change_images", lang, count=len(diff.new_media)))
        return t("no_text_changes", lang, changes="; ".join(parts) + ".")

    async def post_media(self, ctx: TurnContext, diff: Changes) -> int:
        """Download and post every image the turn generated; returns how many were posted."""
        posted = 0
        for media in diff.new_media:
            if media.type != "image":
                continue
            with tempfile.TemporaryDirectory(prefix="nemobot-img-") as folder:
                suffix = Path(media.url.split("?", 1)[0]).suffix or ".png"
                path = Path(folder) / f"{media.id}{suffix}"
                try:
                    await self._nemo.download(media.url, path)
                    caption = t("image_caption", ctx.lang, prompt=media.prompt[:200])
                    await ctx.outbox.send_image(ctx.chat, path, caption if media.prompt else "")
                    posted += 1
                except (NemoError, OutboxError) as exc:
                    log.warning("could not post generated image %s: %s", media.id, exc)
        return posted

    @staticmethod
    def buttons(ctx: TurnContext) -> tuple[Button, ...]:
        """The action buttons shown under an answer."""
        sid = ctx.session_id if codec.encodable(ctx.session_id) else ""
        return (
            Button(t("btn_export", ctx.lang), codec.encode("export", sid)),
            Button(t("btn_status", ctx.lang), codec.encode("status", sid)),
            Button(t("btn_credits", ctx.lang), codec.encode("credits", sid)),
            Button(t("btn_new", ctx.lang), codec.encode("new", sid)),
        )


def _tool_text(name: str) -> str:
    lowered = name.lower()
    if any(word in lowered for word in ("generate", "image", "draw", "create")):
        return "tool_generate"
    if any(word in lowered for word in ("edit", "add", "track", "title", "music", "update")):
        return "tool_edit"
    return "tool_other"


def _label(track: str, name: str) -> str:
    return f'{track} "{name}"'
