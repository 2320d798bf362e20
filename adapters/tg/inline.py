"""Answering inline queries: per user, after a pause in typing, one answer at a time.

Telegram sends a query on every keystroke. Each user's newest query waits until they pause
(`QUIET_SECONDS`, or at most `LONGEST_WAIT` while they keep typing) and is then answered;
the ones it replaced are never answered (Telegram drops them as the client moves on). So a
user has at most one answer in flight, and typing costs the bot one store read per pause.
A query is never stored and never starts a turn; an answer that could not beat Telegram's
deadline (about 10 s) is not sent at all.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import (
    Bot,
    InlineQuery,
    InlineQueryResult,
    InlineQueryResultArticle,
    InlineQueryResultPhoto,
    InputTextMessageContent,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError

from adapters.tg.markup import keyboard, to_html
from adapters.tg.outbox import PLATFORM
from bot.core.engine import Engine
from bot.core.inline import InlineResult
from bot.core.messages import User
from bot.logs import pseudonym

__all__ = ["LONGEST_WAIT", "QUIET_SECONDS", "InlineAnswers", "result_of"]

log = logging.getLogger(__name__)

QUIET_SECONDS = 0.4  # a pause in typing this long: the query is what they mean
LONGEST_WAIT = 1.5  # someone who never pauses still sees results this often
_ANSWER_WITHIN = 7.0  # seconds from a query's arrival: Telegram refuses answers after ~10 s


@dataclass(slots=True)
class _Waiting:
    """A user's newest query, when it came, and the signal that a newer one came."""

    query: InlineQuery
    arrived: float
    changed: asyncio.Event


class InlineAnswers:
    """Debounces each user's queries and answers the newest through the engine."""

    def __init__(
        self,
        bot: Bot,
        engine: Engine,
        *,
        quiet: float = QUIET_SECONDS,
        longest_wait: float = LONGEST_WAIT,
    ) -> None:
        self._bot = bot
        self._engine = engine
        self._quiet = quiet
        self._longest = longest_wait
        self._waiting: dict[int, _Waiting] = {}
        self._answering: dict[int, asyncio.Task[None]] = {}

    def take(self, query: InlineQuery) -> None:
        """A query arrived: it replaces the user's waiting one; returns at once."""
        user = query.from_user.id
        now = asyncio.get_running_loop().time()
        waiting = self._waiting.get(user)
        changed = waiting.changed if waiting is not None else asyncio.Event()
        self._waiting[user] = _Waiting(query, now, changed)
        changed.set()
        if user not in self._answering:
            self._answering[user] = asyncio.create_task(self._serve(user))

    async def close(self) -> None:
        """Stop answering (queries still waiting are dropped: they are disposable)."""
        tasks = list(self._answering.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, user: int) -> None:
        try:
            while user in self._waiting:
                await self._pause(self._waiting[user].changed)
                await self._answer(self._waiting.pop(user))
        finally:
            # No await between the last look and this: a later query starts a new server.
            del self._answering[user]

    async def _pause(self, changed: asyncio.Event) -> None:
        """Until no query came for `quiet` seconds, or `longest_wait` passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._longest
        while (left := min(self._quiet, deadline - loop.time())) > 0:
            changed.clear()
            try:
                await asyncio.wait_for(changed.wait(), left)
            except TimeoutError:
                return

    async def _answer(self, waiting: _Waiting) -> None:
        query = waiting.query
        sender = query.from_user
        who = User(PLATFORM, str(sender.id), sender.first_name, sender.language_code)
        left = waiting.arrived + _ANSWER_WITHIN - asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(max(0.0, left)):
                handle = f"@{self._bot.username}"
                answer = await self._engine.answer_inline(who, query.query, handle=handle)
                await self._bot.answer_inline_query(
                    query.id,
                    [result_of(result) for result in answer.results],
                    cache_time=answer.cache_seconds,
                    is_personal=True,
                )
        except TimeoutError:
            log.info("an inline query of %s came too late to answer", pseudonym(sender.id))
        except TelegramError as exc:
            log.info("inline query not answered: %s", exc.message)
        except Exception as exc:  # noqa: BLE001 - a query is disposable: the user types on
            log.warning("could not answer an inline query (%s: %s)", type(exc).__name__, exc)


def result_of(result: InlineResult) -> InlineQueryResult:
    """The Bot API's form of one of the core's results."""
    markup = keyboard(result.buttons)
    if result.photo_url is not None:
        return InlineQueryResultPhoto(
            result.id,
            result.photo_url,
            thumbnail_url=result.photo_url,
            title=result.title,
            description=result.about or None,
            caption=to_html(result.caption) or None,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
    content = InputTextMessageContent(to_html(result.text), parse_mode=ParseMode.HTML)
    return InlineQueryResultArticle(
        result.id,
        result.title,
        content,
        reply_markup=markup,
        description=result.about or None,
    )
