"""A render's progress in one message, edited in place, with an estimate of the time left."""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Sequence

from bot.core.messages import ChatRef
from bot.core.outbox import OutboxError
from bot.core.pacing import Pacer
from bot.core.texts import how_long, t

__all__ = ["RenderProgress", "time_left"]

log = logging.getLogger(__name__)

_MIN_PERCENT = 5  # below this the backend's progress says little about the time left
_MIN_LEFT = 2.0  # seconds: not worth a line


def time_left(percent: int, elapsed: float, typical: float | None) -> float | None:
    """Seconds a render probably still needs, from its progress and earlier renders' times."""
    guesses: list[float] = []
    if _MIN_PERCENT <= percent < 100 and elapsed > 0:
        guesses.append(elapsed * (100 - percent) / percent)
    if typical is not None and percent < 100:
        guesses.append(max(typical * (100 - percent) / 100, typical - elapsed, 0.0))
    if not guesses:
        return None
    return sum(guesses) / len(guesses)


class RenderProgress:
    """The progress message of one render (paced like any other send)."""

    def __init__(
        self,
        pacer: Pacer,
        chat: ChatRef,
        lang: str,
        history: Sequence[float],
        *,
        started_at: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.pacer = pacer
        self.chat = chat
        self._lang = lang
        self._typical = statistics.median(history) if history else None
        self._clock = clock
        self._started = started_at if started_at is not None else clock()
        self._message_id: str | None = None
        self._shown: tuple[int, str] | None = None

    async def show(self, percent: int) -> None:
        """Show `percent` (and the time left); refusals are logged, never raised."""
        left = time_left(percent, self._clock() - self._started, self._typical)
        eta = "" if left is None or left < _MIN_LEFT else how_long(left, self._lang)
        if self._shown == (percent, eta):
            return
        eta_text = t("export_eta", self._lang, time=eta) if eta else ""
        text = t("export_started", self._lang, progress=percent, eta=eta_text)
        try:
            if self._message_id is None:
                self._message_id = (await self.pacer.send_text(self.chat, text))[-1]
            else:
                await self.pacer.edit_text(self.chat, self._message_id, text, live=True)
            self._shown = (percent, eta)
        except OutboxError as exc:
            log.debug("render progress refused: %s", exc)

    async def done(self) -> None:
        """The video arrived: the progress message has said all it had to, so it goes."""
        if self._message_id is None:
            return
        message_id, self._message_id = self._message_id, None
        try:
            await self.pacer.delete_message(self.chat, message_id)
        except OutboxError as exc:
            log.debug("render progress not removed: %s", exc)
