"""Inline queries: what to offer while someone types `@bot …` in any chat.

Answering never starts a turn and never waits for NemoVideo: the results come from the
query's words and the images already in the store, within a time budget, so the answer
beats the platform's deadline whatever the backend does. A chosen "generate" result comes
back as a message (`IncomingMessage.chosen`) and runs like any other, through the inbox.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from bot.core.admission import Admission
from bot.core.allowances import TURN, Allowances, Spender
from bot.core.keyboards import cancel_buttons
from bot.core.messages import User
from bot.core.outbox import Keyboard
from bot.core.texts import chat_language, t
from bot.logs import pseudonym
from storage import ImageRecord, ImageStore, PeopleStore

__all__ = [
    "GENERATE",
    "MAX_PROMPT",
    "InlineAnswer",
    "InlineQueries",
    "InlineResult",
]

log = logging.getLogger(__name__)

GENERATE = "generate"  # the id of the result that generates; the only one that starts a turn
MAX_PROMPT = 250  # Telegram cuts inline queries at 256 characters: one this long was cut
LATEST_IMAGES = 6
CACHE_SECONDS = 5  # the answer is personal and changes with each new image
_TITLE_PROMPT = 60
_STORE_BUDGET = 2.0  # seconds the images may take to read; past that, answered without them


class _Stores(PeopleStore, ImageStore, Protocol):
    """Who asks, and the images they made."""


@dataclass(frozen=True, slots=True)
class InlineResult:
    """One result offered: an article that posts `text`, or (with `photo_url`) a photo.

    `buttons` go under what is posted; a result that carries some comes back chosen with a
    handle of the posted message, to be edited later.
    """

    id: str  # at most 64 bytes
    title: str
    about: str = ""
    text: str = ""
    photo_url: str | None = None
    caption: str = ""
    buttons: Keyboard = ()


@dataclass(frozen=True, slots=True)
class InlineAnswer:
    """The results for one query, personal to who asked, cached briefly."""

    results: tuple[InlineResult, ...]
    cache_seconds: int = CACHE_SECONDS


class InlineQueries:
    """Answers inline queries from the store, within a time budget."""

    def __init__(
        self,
        store: _Stores,
        admission: Admission,
        allowances: Allowances | None = None,
        *,
        shared_account: bool = False,
        store_budget: float = _STORE_BUDGET,
    ) -> None:
        self._store = store
        self._admission = admission
        self._allowances = allowances
        self._shared = shared_account  # NEMO_TOKEN: everyone spends the operator's allowances
        self._budget = store_budget
        self._user_ids: dict[tuple[str, str], int] = {}  # a cache: ids never change

    async def answer(self, user: User, query: str, *, handle: str) -> InlineAnswer:
        """The results for `user` typing `query` after `handle` ("@nemobot")."""
        user_id, lang = await self._user(user)
        refused = self._admission.may_start(user, count=False)
        line = t(refused, lang) if refused is not None else await self._short(user, user_id, lang)
        if line is not None:
            title = t("inline_refused_title", lang)
            return InlineAnswer((InlineResult(f"refused-{refused or 'spent'}", title, "", line),))
        prompt = " ".join(query.split())
        offered = [_for_prompt(prompt, user_id, lang, handle)]
        offered += [_photo(image, lang) for image in await self._latest(user_id)]
        return InlineAnswer(tuple(offered))

    async def _short(self, user: User, user_id: int, lang: str) -> str | None:
        """Why the user has no turn left today on the shared account, or None."""
        if self._allowances is None or not self._shared or self._admission.is_admin(user):
            return None
        credentials = await self._store.credentials(user_id)
        if credentials is not None and credentials.login_token:
            return None  # their own account: the operator's allowances do not apply
        short = await self._allowances.check(Spender(user_id), TURN)
        return None if short is None else short.line(lang)

    async def _user(self, user: User) -> tuple[int, str]:
        key = (user.platform, user.id)
        known = self._user_ids.get(key)
        record = await self._store.get_user(known) if known is not None else None
        if record is None:
            record = await self._store.upsert_user(*key, chat_language(user.language))
            self._user_ids[key] = record.id
        return record.id, record.language

    async def _latest(self, user_id: int) -> list[ImageRecord]:
        """The user's latest images in their current project; none if the store is slow."""
        try:
            async with asyncio.timeout(self._budget):
                return await self._store.latest_images(user_id, LATEST_IMAGES)
        except TimeoutError:
            log.info("inline query of %s answered without images: slow store", pseudonym(user_id))
            return []


def _for_prompt(prompt: str, user_id: int, lang: str, handle: str) -> InlineResult:
    """🎨 Generate, or a placeholder saying what to type instead (it starts nothing)."""
    if not prompt:
        about = t("inline_empty_about", lang)
        text = t("inline_empty", lang, handle=handle)
        return InlineResult("empty", t("inline_empty_title", lang), about, text)
    if len(prompt) >= MAX_PROMPT:
        text = t("inline_too_long", lang, limit=MAX_PROMPT - 1)
        return InlineResult("too-long", t("inline_too_long_title", lang), text, text)
    return InlineResult(
        GENERATE,
        t("inline_generate_title", lang, prompt=_short(prompt)),
        t("inline_generate_about", lang),
        t("inline_generating", lang, prompt=prompt),
        buttons=cancel_buttons(user_id, lang),  # also what makes the message editable
    )


def _photo(image: ImageRecord, lang: str) -> InlineResult:
    """One of the user's images, ready to send as it is."""
    return InlineResult(
        f"image-{image.id}",
        _short(image.prompt),
        t("inline_image_about", lang, prompt=_short(image.prompt)),
        photo_url=image.url,
        caption=t("image_caption", lang, prompt=image.prompt) if image.prompt else "",
    )


def _short(text: str) -> str:
    return text if len(text) <= _TITLE_PROMPT else text[: _TITLE_PROMPT - 1].rstrip() + "…"
