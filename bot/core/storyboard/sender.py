"""Posting the storyboard of a state the caller already read, its summary as the caption."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from bot.core.context import TurnContext
from bot.core.live import keep_typing
from bot.core.outbox import Keyboard, OutboxError
from bot.core.scratch import Scratch
from bot.core.shaping import utf16_len
from bot.core.storyboard.draw import THUMB_HEIGHT, render
from bot.core.storyboard.fonts import Fonts, system_fonts
from bot.core.storyboard.layout import Board, plan
from bot.core.storyboard.thumbs import Thumbnails
from bot.nemo import NemoClient, SessionState

__all__ = ["Storyboard"]

log = logging.getLogger(__name__)


class Storyboard:
    """Draws a session's timeline and posts it: a photo, an attachment, a saved PNG."""

    def __init__(
        self, nemo: NemoClient, scratch: Scratch, fonts: Callable[[], Fonts] = system_fonts
    ) -> None:
        self._thumbnails = Thumbnails(nemo, scratch, THUMB_HEIGHT)
        self._scratch = scratch
        self._fonts = fonts

    async def send(
        self, ctx: TurnContext, state: SessionState, caption: str, buttons: Keyboard = ()
    ) -> bool:
        """Post the picture of `state` with `caption` (the whole text, in a message of its own
        after the picture when it is too long for a caption) and `buttons`.

        False when there is nothing to draw (an empty timeline) or the picture could not be
        made or posted: the caller then sends the text alone.
        """
        board = plan(state, ctx.lang)
        if board is None:
            return False
        async with keep_typing(ctx.pacer, ctx.chat, "upload_photo"):
            png = await self.draw(ctx.session_id, board, ctx.lang)
            if png is None:
                return False
            with self._scratch.folder("board-") as folder:
                path = Path(folder) / "storyboard.png"
                path.write_bytes(png)
                return await _post(ctx, path, caption, buttons)

    async def draw(self, session_id: str, board: Board, lang: str) -> bytes | None:
        """The board as PNG bytes, its thumbnails fetched (or taken from the session's)."""
        thumbs = await self._thumbnails.get(session_id, board.media())
        try:
            # Fonts are looked for on first use (maybe by running fc-list): off the loop too.
            return await asyncio.to_thread(lambda: render(board, thumbs, self._fonts(), lang))
        except OSError as exc:  # a font file that went away, or no FreeType in this Pillow
            log.warning("could not draw a storyboard: %s", exc)
            return None


async def _post(ctx: TurnContext, path: Path, caption: str, buttons: Keyboard) -> bool:
    fits = utf16_len(caption) <= ctx.pacer.limits(ctx.chat).max_caption
    try:
        await ctx.pacer.send_images(ctx.chat, [path], *((caption, buttons) if fits else ()))
    except OutboxError as exc:
        log.warning("could not post a storyboard: %s", exc)
        return False
    if not fits:  # the words stay whole, the buttons under the last message
        await ctx.pacer.send_text(ctx.chat, caption, buttons)
    return True
