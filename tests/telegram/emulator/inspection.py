"""The assertion side: what the bot did, and waiting for it without sleeps."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from .models import ApiCall, BotMessage, DraftRecord

if TYPE_CHECKING:
    from .chats import ChatStore
    from .limits import FaultInjector
    from .models import WebhookConfig
    from .options import EmulatorOptions
    from .updates import Notifier, UpdateQueue

DEFAULT_SCOPE = json.dumps({"type": "default"})


class Inspection:
    """Mixin of BotApiEmulator: recorded state and waiting helpers."""

    notifier: Notifier
    chats: ChatStore
    updates: UpdateQueue
    faults: FaultInjector
    webhook: WebhookConfig | None
    calls: list[ApiCall]
    actions: dict[int, list[tuple[str, float]]]
    draft_log: dict[int, list[DraftRecord]]
    options: EmulatorOptions
    command_sets: dict[tuple[str, str], list[tuple[str, str]]]
    internal_errors: list[BaseException]
    holds: dict[str, asyncio.Event]
    gates: dict[str, asyncio.Event]
    gated: list[str]

    def messages(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in the chat, in order (deleted ones flagged, not removed)."""
        return [m for m in self.chats.all_messages(chat_id) if m.outgoing]

    def user_messages(self, chat_id: int) -> list[BotMessage]:
        """The users' messages in the chat, in order."""
        return [m for m in self.chats.all_messages(chat_id) if not m.outgoing]

    def chat_actions(self, chat_id: int) -> list[tuple[str, float]]:
        """(action, time.monotonic()) of each sendChatAction in the chat."""
        return list(self.actions.get(chat_id, []))

    def drafts(self, chat_id: int) -> list[tuple[int, str]]:
        """(draft_id, parsed text) of each sendMessageDraft in the chat."""
        return [(r.draft_id, r.text) for r in self.draft_log.get(chat_id, [])]

    def draft_records(self, chat_id: int) -> list[DraftRecord]:
        """Each sendMessageDraft in the chat, with when it came."""
        return list(self.draft_log.get(chat_id, []))

    def draft_visible(self, chat_id: int, at: float) -> bool:
        """Whether a draft showed in the chat at `at` (time.monotonic()): one came at most
        `draft_ttl_seconds` before. A draft not sent again within that is gone."""
        ttl = self.options.draft_ttl_seconds
        return any(r.at <= at < r.at + ttl for r in self.draft_log.get(chat_id, []))

    def draft_gaps(self, chat_id: int, until: float) -> list[tuple[float, float]]:
        """The spans, from the chat's first draft to `until`, in which no draft showed."""
        ttl = self.options.draft_ttl_seconds
        gaps: list[tuple[float, float]] = []
        shown_until: float | None = None
        for record in self.draft_log.get(chat_id, []):
            if record.at >= until:
                break
            if shown_until is not None and record.at > shown_until:
                gaps.append((shown_until, record.at))
            shown_until = max(shown_until or record.at, record.at + ttl)
        if shown_until is not None and until > shown_until:
            gaps.append((shown_until, until))
        return gaps

    @property
    def commands(self) -> dict[str, list[tuple[str, str]]]:
        """Default-scope commands by language_code ("" = all languages)."""
        return {
            language: list(commands)
            for (scope, language), commands in self.command_sets.items()
            if scope == DEFAULT_SCOPE
        }

    def pending_updates(self) -> int:
        """How many updates are not confirmed yet."""
        allowed = self.webhook.allowed_updates if self.webhook else self.updates.allowed_updates
        return len(self.updates.deliverable(allowed))

    @property
    def waiting_pollers(self) -> int:
        """getUpdates calls currently long-polling."""
        return self.updates.waiting_pollers

    def calls_to(self, method: str) -> list[ApiCall]:
        """Recorded calls of one method (case-insensitive)."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def fail_next(
        self,
        method: str,
        *,
        times: int = 1,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with this error instead of running it."""
        self.faults.add(
            method,
            times=times,
            error_code=error_code,
            description=description,
            retry_after=retry_after,
        )

    def hold_answer(self, method: str) -> asyncio.Event:
        """Carry out the next call of `method` but answer it only once the event is set."""
        release = asyncio.Event()
        self.holds[method] = release
        return release

    def hold_call(self, method: str) -> asyncio.Event:
        """Let the next call of `method` wait, not carried out, until the event is set."""
        release = asyncio.Event()
        self.gates[method] = release
        return release

    def record_call(self, call: ApiCall) -> None:
        """Keep a finished call and wake waiters."""
        self.calls.append(call)
        self.notifier.notify()

    async def wait_for(
        self,
        predicate: Callable[[Self], bool],
        timeout: float = 10.0,
    ) -> None:
        """Wait until predicate(emu) holds; re-checked on every change (LookupError = not yet)."""

        def check() -> bool:
            try:
                return bool(predicate(self))
            except LookupError:
                return False

        if not await self.notifier.wait_until(check, timeout):
            raise TimeoutError(self._timeout_report(predicate, timeout))

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: Callable[[BotMessage], bool] | None = None,
        timeout: float = 10.0,
        *,
        include_deleted: bool = False,
    ) -> BotMessage:
        """The first bot message in the chat matching `predicate`, once it exists."""

        def find() -> BotMessage | None:
            for message in self.messages(chat_id):
                if message.deleted and not include_deleted:
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        await self.wait_for(lambda _: find() is not None, timeout)
        found = find()
        assert found is not None
        return found

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 10.0,
    ) -> ApiCall:
        """The first recorded call of `method` matching `predicate`, once it happened."""

        def find() -> ApiCall | None:
            return next(
                (c for c in self.calls_to(method) if predicate is None or predicate(c)), None
            )

        await self.wait_for(lambda _: find() is not None, timeout)
        found = find()
        assert found is not None
        return found

    def _timeout_report(self, predicate: Any, timeout: float) -> str:
        name = getattr(predicate, "__qualname__", repr(predicate))
        recent = "\n  ".join(str(call) for call in self.calls[-8:]) or "(none)"
        errors = f"\ninternal errors: {self.internal_errors!r}" if self.internal_errors else ""
        return (
            f"condition {name} not met within {timeout}s; "
            f"pending updates: {self.pending_updates()}; last calls:\n  {recent}{errors}"
        )
