"""One agent turn: stream the reply live, show the final text at once, then post what it made."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from bot.core.accounts import TokenUnavailable
from bot.core.context import Timing, TurnContext
from bot.core.gallery import FoundImage, Gallery, images_in_state, images_in_tool_result
from bot.core.gui import GuiAdvice, translate
from bot.core.keyboards import answer_buttons, cancel_buttons, inline_answer_buttons
from bot.core.live import Heartbeat, LiveMessage, keep_typing
from bot.core.observe import NoObserver, Observer
from bot.core.outbox import Keyboard, OutboxError
from bot.core.texts import how_long, t
from bot.core.timeline import describe_changes, summary
from bot.logs import pseudonym
from bot.nemo import NemoClient, SessionState
from bot.nemo.draft import changes, media_key
from bot.nemo.errors import NemoError, StreamCut, StreamTimeout, error_for
from bot.nemo.events import Event, KeepAlive, StreamError, Text, TextDelta, ToolCall, ToolResult

__all__ = ["Conversation", "TurnOutcome"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TurnOutcome:
    """What happened, so the caller can decide about auto-export."""

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
    tool_images: list[FoundImage] = field(default_factory=list)
    prompts: dict[str, str] = field(default_factory=dict)  # tool call id or name → prompt

    def preview(self) -> str:
        body = "\n\n".join([*self.finals, self.partial] if self.partial else self.finals)
        return f"{body}\n\n{self.status}".strip() if self.status else body


class Conversation:
    """Runs agent turns; keeps recent session states so a turn need not wait to read one."""

    def __init__(
        self,
        nemo: NemoClient,
        timing: Timing,
        gallery: Gallery,
        *,
        observer: Observer | None = None,
        cache_size: int = 2048,
    ) -> None:
        self._nemo = nemo
        self._timing = timing
        self.gallery = gallery
        self._observer = observer or NoObserver()
        self._states: OrderedDict[str, SessionState] = OrderedDict()
        self._cache_size = cache_size
        self._watchers: dict[str, asyncio.Task[None]] = {}

    async def state(self, ctx: TurnContext, *, fresh: bool = True) -> SessionState:
        """The session's state (the cached copy when `fresh` is False and there is one)."""
        if not fresh and ctx.session_id in self._states:
            return self._states[ctx.session_id]
        current = await self._nemo.state(ctx.account.auth, ctx.session_id)
        self._remember(ctx.session_id, current)
        return current

    def assume_empty(self, session_id: str) -> None:
        """A session just created: its state is known without asking."""
        self._remember(session_id, SessionState())

    def forget(self, session_id: str) -> None:
        """Drop the cached state of a session changed outside a turn (an upload)."""
        self._states.pop(session_id, None)

    async def stop(self) -> None:
        """Stop the background watchers of dropped turns."""
        watchers = list(self._watchers.values())
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)

    def _remember(self, session_id: str, state: SessionState) -> None:
        self._states[session_id] = state
        self._states.move_to_end(session_id)
        while len(self._states) > self._cache_size:
            self._states.popitem(last=False)

    # -- the turn -----------------------------------------------------------------------

    async def run(self, ctx: TurnContext, text: str, *, exporting: bool = False) -> TurnOutcome:
        """Send `text` to the agent and show the answer; returns what it did.

        `exporting`: the caller will export if the agent says to, so no export offer is shown.
        """
        self._stop_watching(ctx.session_id)
        before = await self.state(ctx, fresh=False)
        reply = _Reply()
        started, outcome = time.monotonic(), "failed"
        try:
            async with LiveMessage(
                ctx.pacer, ctx.chat, buttons=_preview_buttons(ctx), quiet=ctx.quiet
            ) as live:
                try:
                    await self._stream(ctx, text, reply, live)
                except (StreamCut, StreamTimeout) as exc:
                    outcome = "dropped"
                    return await self._after_drop(ctx, before, live, reply, exc)
                done = await self._finish(ctx, before, live, reply, exporting, text)
                outcome = "answered"
                return done
        finally:
            self._observer.turn_finished(time.monotonic() - started, outcome)

    async def _stream(self, ctx: TurnContext, text: str, reply: _Reply, live: LiveMessage) -> None:
        async def still_working(elapsed: float) -> None:
            await live.note(t("still_working", ctx.lang, elapsed=how_long(elapsed, ctx.lang)))

        async with (
            keep_typing(ctx.pacer, ctx.chat),
            Heartbeat(self._timing.still_working_seconds, still_working) as heartbeat,
            self._nemo.stream(
                ctx.account.auth, ctx.session_id, text, before_send=ctx.before_agent
            ) as stream,
        ):
            ctx.reached_agent = True
            first = True
            async for event in stream:
                if isinstance(event, KeepAlive):
                    continue
                if first and ctx.accepted_at is not None:
                    self._observer.first_feedback(max(0.0, time.time() - ctx.accepted_at))
                first = False
                heartbeat.touch()
                try:
                    _apply(event, reply, ctx.lang)
                except NemoError as exc:  # an error event inside the stream
                    self._observer.backend_error(exc.label)
                    raise
                live.show(translate(reply.preview()).text)

    async def _finish(
        self,
        ctx: TurnContext,
        before: SessionState,
        live: LiveMessage,
        reply: _Reply,
        exporting: bool,
        text: str,
    ) -> TurnOutcome:
        advice = translate("\n\n".join(reply.finals))
        buttons = _answer_buttons(ctx)
        after = before
        if advice.text and not advice.show_timeline:
            # The answer first: reading the state must never delay the text.
            await live.finish(self._answer(ctx, advice, exporting, []), buttons)
            if reply.used_tools:
                after = await self.state(ctx)
            images = _new_images(before, after, reply)
        else:
            after = await self.state(ctx)
            images = _new_images(before, after, reply)
            extra = [summary(after.draft, ctx.lang) or ""] if advice.show_timeline else []
            if not advice.text:
                extra.append(describe_changes(changes(before, after), ctx.lang, images=len(images)))
            await live.finish(self._answer(ctx, advice, exporting, extra), buttons)
        posted = await self.gallery.post(ctx, images, prompt=text)
        return TurnOutcome(advice.text, advice.export, bool(changes(before, after)), posted)

    @staticmethod
    def _answer(ctx: TurnContext, advice: GuiAdvice, exporting: bool, extra: list[str]) -> str:
        lines = [advice.text] if advice.text else []
        lines += [line for line in extra if line]
        if advice.export and not exporting:
            lines.append(t("offer_export", ctx.lang))
        return "\n\n".join(lines)

    # -- when the stream breaks ---------------------------------------------------------

    async def _after_drop(
        self,
        ctx: TurnContext,
        before: SessionState,
        live: LiveMessage,
        reply: _Reply,
        exc: NemoError,
    ) -> TurnOutcome:
        """Never resend: look at the state a couple of times, report, free the user's line."""
        log.warning("stream for user %s ended early: %s", pseudonym(ctx.user_id), exc.message)
        shown = "\n\n".join(reply.finals) or getattr(exc, "partial_text", "")
        await live.finish((translate(shown).text or shown) if shown else "")
        timed_out = isinstance(exc, StreamTimeout)
        if not timed_out:
            await ctx.pacer.send_text(ctx.chat, t("stream_dropped", ctx.lang))
        buttons = _answer_buttons(ctx)
        delay = self._timing.recheck_first_seconds
        for _ in range(self._timing.recheck_reads):
            await asyncio.sleep(delay)
            delay = self._timing.recheck_every_seconds
            after = await self.state(ctx)
            diff = changes(before, after)
            if diff:
                images = _new_images(before, after, reply)
                found = describe_changes(diff, ctx.lang, images=len(images))
                key = "turn_timeout" if timed_out else "no_text_changes"
                await ctx.pacer.send_text(
                    ctx.chat, t(key, ctx.lang, state=found, changes=found), buttons
                )
                posted = await self.gallery.post(ctx, images)
                return TurnOutcome(shown, False, True, posted)
        if timed_out:
            unchanged = t("state_unchanged", ctx.lang)
            await ctx.pacer.send_text(ctx.chat, t("turn_timeout", ctx.lang, state=unchanged))
        else:
            await ctx.pacer.send_text(ctx.chat, t("stream_failed", ctx.lang))
        self._watch(ctx, before)
        return TurnOutcome(shown, False, False)

    def _watch(self, ctx: TurnContext, before: SessionState) -> None:
        """Keep looking for the dropped turn's images for a while, beside the user's line."""

        async def watch() -> None:
            for delay in self._timing.watch_after_drop:
                await asyncio.sleep(delay)
                after = await self.state(ctx)
                images = images_in_state(changes(before, after).new_media)
                if images:
                    await self.gallery.post(ctx, images)
                    return

        async def guarded() -> None:
            try:
                await watch()
            except (NemoError, OutboxError, TokenUnavailable) as exc:
                log.info("stopped watching a dropped turn: %s", exc)
            finally:
                if self._watchers.get(ctx.session_id) is asyncio.current_task():
                    del self._watchers[ctx.session_id]

        self._stop_watching(ctx.session_id)
        if self._timing.watch_after_drop:
            self._watchers[ctx.session_id] = asyncio.create_task(guarded())

    def _stop_watching(self, session_id: str) -> None:
        # The user's next turn reads the state itself; a watcher would race it.
        task = self._watchers.pop(session_id, None)
        if task is not None:
            task.cancel()


def _preview_buttons(ctx: TurnContext) -> Keyboard:
    """An inline message keeps its Cancel while the turn runs (elsewhere there is /cancel)."""
    return cancel_buttons(ctx.user_id, ctx.lang) if ctx.chat.inline else ()


def _answer_buttons(ctx: TurnContext) -> Keyboard:
    """Under the answer: the usual row, or on an inline message only what suits it there."""
    if ctx.chat.inline:
        return inline_answer_buttons(ctx.user_id, ctx.session_id, ctx.lang)
    return answer_buttons(ctx.user_id, ctx.session_id, ctx.lang)


def _apply(event: Event, reply: _Reply, lang: str) -> None:
    if isinstance(event, TextDelta):
        reply.partial += event.text
    elif isinstance(event, Text):
        reply.finals.append(event.text)
        reply.partial = ""
    elif isinstance(event, ToolCall):
        reply.used_tools = True
        reply.status = t(_tool_text(event.name), lang)
        prompt = event.args.get("prompt")
        if isinstance(prompt, str):
            reply.prompts[event.id or event.name] = prompt
    elif isinstance(event, ToolResult):
        reply.status = None
        prompt = reply.prompts.get(event.id or event.name, "")
        reply.tool_images += images_in_tool_result(event.response, prompt)
    elif isinstance(event, StreamError):
        code = event.code if isinstance(event.code, int) else None
        raise error_for(200, {"code": code, "message": event.message}, "run_sse stream")


def _new_images(before: SessionState, after: SessionState, reply: _Reply) -> list[FoundImage]:
    """The turn's images: new in the state, or only named in a tool result; each once."""
    found: dict[str, FoundImage] = {}
    for image in [*images_in_state(changes(before, after).new_media), *reply.tool_images]:
        found.setdefault(media_key(image.url), image)
    return list(found.values())


def _tool_text(name: str) -> str:
    lowered = name.lower()
    if any(word in lowered for word in ("generate", "image", "draw", "create")):
        return "tool_generate"
    if any(word in lowered for word in ("edit", "add", "track", "title", "music", "update")):
        return "tool_edit"
    return "tool_other"
