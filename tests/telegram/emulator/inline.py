"""Inline mode, the user's side: queries typed after @bot, results chosen, buttons pressed.

A chosen result is posted into a chat as the user's message "via" the bot. Only a result
that carried an inline keyboard gets an `inline_message_id` (the bot edits the message by
it later); with inline feedback on (@BotFather's /setinlinefeedback) the bot then receives a
`chosen_inline_result` update.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .media import fetch_url, photo_sizes, resolve_input, store_photo
from .models import JSON, ApiCall, BotMessage, CallbackQueryRecord, Chat

if TYPE_CHECKING:
    from .chats import ChatStore
    from .files import FileStore
    from .options import EmulatorOptions
    from .updates import Notifier, UpdateQueue

__all__ = ["InlineAnswerRecord", "InlineChoice", "InlineQueryRecord", "InlineSide"]


@dataclass
class InlineAnswerRecord:
    """An answerInlineQuery the emulator accepted."""

    results: list[JSON]
    cache_time: int | None
    is_personal: bool
    delay: float  # seconds from the query to its answer

    def result(self, result_id: str) -> JSON:
        """The result with this id (LookupError when there is none)."""
        for result in self.results:
            if result.get("id") == result_id:
                return result
        ids = [result.get("id") for result in self.results]
        raise LookupError(f"no result {result_id!r}; there are {ids}")


@dataclass
class InlineQueryRecord:
    """One inline query the emulator delivered, and its answer once it came."""

    id: str
    user_id: int
    query: str
    created: float
    answer: InlineAnswerRecord | None = None


@dataclass
class InlineChoice:
    """A chosen result: the message it posted, its inline message id (if it carried a
    keyboard), and the `chosen_inline_result` update (None with inline feedback off)."""

    message: BotMessage
    inline_message_id: str | None
    update: JSON | None = None


class InlineSide:
    """Mixin of BotApiEmulator: what users do in inline mode."""

    options: EmulatorOptions
    notifier: Notifier
    files: FileStore
    chats: ChatStore
    updates: UpdateQueue
    callback_queries: dict[str, CallbackQueryRecord]
    inline_queries: dict[str, InlineQueryRecord]
    inline_messages: dict[str, BotMessage]
    deliver: Callable[[JSON], JSON]  # UserSide's
    calls_to: Callable[[str], list[ApiCall]]  # Inspection's

    def inline_query(self, user_id: int, query: str, *, chat_type: str = "supergroup") -> str:
        """The user types `@bot <query>` in a chat of `chat_type`; the query's id."""
        if not self.options.inline_mode:
            raise ValueError("inline mode is off for this bot (EmulatorOptions.inline_mode)")
        query_id = str(7_000_000_000_000_000_000 + len(self.inline_queries) + 1)
        self.inline_queries[query_id] = InlineQueryRecord(
            query_id, user_id, query, time.monotonic()
        )
        body = {"id": query_id, "from": dict(self.chats.user(user_id)), "query": query}
        self.deliver({"inline_query": {**body, "offset": "", "chat_type": chat_type}})
        return query_id

    def inline_answer(self, query_id: str) -> InlineAnswerRecord:
        """The bot's answer to a query (LookupError while there is none)."""
        answer = self.inline_queries[query_id].answer
        if answer is None:
            raise LookupError(f"inline query {query_id} is not answered")
        return answer

    async def choose_inline_result(
        self, query_id: str, result_id: str, chat_id: int
    ) -> InlineChoice:
        """The user picks a result of the answered query: it is posted into `chat_id`."""
        query = self.inline_queries[query_id]
        result = self.inline_answer(query_id).result(result_id)
        chat = self.chats.find(chat_id)
        if chat is None:
            raise ValueError(f"chat {chat_id} is unknown; create it first")
        message = await self._post_result(chat, query.user_id, result)
        markup = result.get("reply_markup")
        inline_id = None
        if markup:
            inline_id = "AgAAA" + secrets.token_urlsafe(24)
            self.inline_messages[inline_id] = message
        choice = InlineChoice(message, inline_id)
        if self.options.inline_feedback:
            chosen: JSON = {
                "result_id": result_id,
                "from": dict(self.chats.user(query.user_id)),
                "query": query.query,
            }
            if inline_id is not None:
                chosen["inline_message_id"] = inline_id
            choice.update = self.deliver({"chosen_inline_result": chosen})
        self.notifier.notify()
        return choice

    async def _post_result(self, chat: Chat, user_id: int, result: JSON) -> BotMessage:
        fields: dict[str, Any] = {
            "from_user": dict(self.chats.user(user_id)),
            "reply_markup": result.get("reply_markup"),
            "extra": {"via_bot": dict(self.chats.bot_user)},
            "raw_params": dict(result),
        }
        if result["type"] == "article":
            content = result["input_message_content"]
            return self.chats.add_message(
                chat,
                outgoing=False,
                kind="text",
                text=content["message_text"],
                entities=list(content.get("entities") or []),
                **fields,
            )
        if "photo_url" in result:
            stored = store_photo(self.files, self.options, await fetch_url(result["photo_url"]))
        else:
            stored = await resolve_input(self.files, self.options, result["photo_file_id"], "photo")
        media = [size.photo_size() for size in photo_sizes(self.files, stored)]
        return self.chats.add_message(
            chat,
            outgoing=False,
            kind="photo",
            file=stored,
            media=media,
            caption=result.get("caption"),
            **fields,
        )

    def press_inline_button(self, inline_message_id: str, user_id: int, data: str) -> JSON:
        """A callback_query for a button of an inline message (which must have it)."""
        message = self.inline_messages[inline_message_id]
        if all(b.get("callback_data") != data for b in message.buttons):
            shown = [b.get("callback_data") for b in message.buttons]
            raise ValueError(f"the inline message has no button {data!r}; it has {shown}")
        query_id = str(4_500_000_000_000_000_000 + len(self.callback_queries) + 1)
        self.callback_queries[query_id] = CallbackQueryRecord(
            query_id, message.chat_id, message.message_id, user_id, data, time.monotonic()
        )
        return self.deliver(
            {
                "callback_query": {
                    "id": query_id,
                    "from": dict(self.chats.user(user_id)),
                    "inline_message_id": inline_message_id,
                    "chat_instance": str(abs(message.chat_id) * 7919 + 10**15),
                    "data": data,
                }
            }
        )

    def inline_answers_in_flight(self, user_id: int) -> int:
        """The most answerInlineQuery calls for `user_id`'s queries that were ever under way
        at once (from the recorded calls: each from its start until its answer left)."""
        spans = []
        for call in self.calls_to("answerInlineQuery"):
            query = self.inline_queries.get(str(call.params.get("inline_query_id")))
            if query is not None and query.user_id == user_id:
                spans.append((call.time, call.time + call.duration))
        most = 0
        for start, _ in spans:
            most = max(most, sum(1 for s, e in spans if s <= start < e))
        return most
