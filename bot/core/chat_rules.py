"""What a group's admins chose for the bot there, and who those admins are.

Settings are read through a small cache: a worker asks the store about a chat at most once
every `ttl` seconds (a change made on this worker is seen at once, one made on another
within `ttl`). Who administers a group comes from the platform: Discord marks the members
with Manage Server on each message (`User.manager`); Telegram's administrators are asked of
the Bot API (`AdminOutbox`), also cached.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from bot.core.messages import ChatRef, User
from bot.core.outbox import AdminOutbox, OutboxError
from bot.core.pacing import Pacer
from bot.logs import pseudonym
from storage import ChatSettings, ChatSettingsStore

__all__ = ["ChatRules", "scope_of"]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

_SETTINGS_TTL = 30.0
_ADMINS_TTL = 120.0
_MAX_CACHED = 10_000


def scope_of(chat: ChatRef) -> str:
    """The key a group's (or server's) own counters and settings go under; '' in private."""
    return "" if chat.private else f"{chat.platform}:{chat.settings_key}"


class ChatRules:
    """Per-chat settings through a cache, and the admin check that guards changing them."""

    def __init__(
        self,
        store: ChatSettingsStore,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = _SETTINGS_TTL,
    ) -> None:
        self._store = store
        self._clock = clock
        self._ttl = ttl
        self._settings: dict[tuple[str, str], tuple[float, ChatSettings | None]] = {}
        self._admins: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}

    async def settings(self, chat: ChatRef) -> ChatSettings | None:
        """The settings of the group `chat` is in (None: private, or never set)."""
        if chat.private:
            return None
        key = (chat.platform, chat.settings_key)
        cached = self._settings.get(key)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        found = await self._store.chat_settings(*key)
        self._remember(self._settings, key, found)
        return found

    async def save(self, settings: ChatSettings) -> None:
        """Store a group's new settings; this worker uses them at once."""
        await self._store.save_chat_settings(settings)
        self._remember(self._settings, (settings.platform, settings.space), settings)

    async def is_admin(self, pacer: Pacer, chat: ChatRef, user: User) -> bool:
        """`user` administers the group `chat` is in, as the platform says."""
        if user.manager:
            return True
        outbox = pacer.outbox
        if chat.private or not isinstance(outbox, AdminOutbox):
            return False
        key = (chat.platform, chat.chat_id)
        cached = self._admins.get(key)
        if cached is None or cached[0] <= self._clock():
            try:
                admins = await outbox.chat_admins(chat)
            except OutboxError as exc:
                log.warning(
                    "could not ask who administers chat %s: %s", pseudonym(chat.chat_id), exc
                )
                return False
            self._remember(self._admins, key, admins, _ADMINS_TTL)
            cached = self._admins[key]
        return user.id in cached[1]

    def forget_admins(self, chat: ChatRef) -> None:
        """Ask the platform again next time (a refused change may be a new admin's)."""
        self._admins.pop((chat.platform, chat.chat_id), None)

    def _remember(
        self,
        cache: dict[tuple[str, str], tuple[float, _T]],
        key: tuple[str, str],
        value: _T,
        ttl: float | None = None,
    ) -> None:
        if len(cache) >= _MAX_CACHED:
            cache.clear()  # a crowd of groups: start over rather than grow without end
        cache[key] = (self._clock() + (self._ttl if ttl is None else ttl), value)
