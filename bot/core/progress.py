"""A render's progress in one message, edited in place, with the time it probably still needs.

The time left comes from the exporter's estimate (`bot.core.render_clock`), the same one that
times its status checks, so the line never promises the video sooner than the next check.
"""

from __future__ import annotations

import logging

from bot.core.messages import ChatRef
from bot.core.outbox import OutboxError
from bot.core.pacing import Pacer
from bot.core.texts import how_long, t

__all__ = ["RenderProgress"]

log = logging.getLogger(__name__)

_MIN_LEFT = 2.0  # seconds: not worth a line


class RenderProgress:
    """The progress message of one render (paced like any other send); `quiet` (a group's
    quiet mode) shows none: only the video comes."""

    def __init__(self, pacer: Pacer, chat: ChatRef, lang: str, *, quiet: bool = False) -> None:
        self.pacer = pacer
        self.chat = chat
        self._lang = lang
        self._quiet = quiet
        self._message_id: str | None = None
        self._shown: tuple[int, str] | None = None

    async def show(self, percent: int, left: float | None = None) -> None:
        """Show `percent` and the time `left` (None: unknown, said as "about a minute" once
        the render is under way); refusals are logged, never raised."""
        if self._quiet:
            return
        text = t("export_started", self._lang, progress=percent, eta=self._eta(percent, left))
        if self._shown == (percent, text):
            return
        try:
            if self._message_id is None:
                self._message_id = (await self.pacer.send_text(self.chat, text))[-1]
            else:
                await self.pacer.edit_text(self.chat, self._message_id, text, live=True)
            self._shown = (percent, text)
        except OutboxError as exc:
            log.debug("render progress refused: %s", exc)

    def _eta(self, percent: int, left: float | None) -> str:
        if percent <= 0 or percent >= 100:
            return ""
        if left is None:
            return t("export_eta", self._lang, time=t("time_about_minute", self._lang))
        if left < _MIN_LEFT:
            return ""
        return t("export_eta", self._lang, time=how_long(left, self._lang))

    async def done(self) -> None:
        """The video arrived: the progress message has said all it had to, so it goes."""
        if self._message_id is None:
            return
        message_id, self._message_id = self._message_id, None
        try:
            await self.pacer.delete_message(self.chat, message_id)
        except OutboxError as exc:
            log.debug("render progress not removed: %s", exc)
