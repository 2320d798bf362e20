"""Who pays: the NemoVideo token and session each chat user runs on.

- `NEMO_TOKEN` set: everyone shares that account, each with a session of their own.
- Otherwise each user gets an anonymous token of their own (own client id, persisted,
  reused on renewal), so the free credits and the registration link are theirs.
- `/login <token>` attaches a user's own registered token; `/logout` goes back.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass

from bot.nemo import Auth, NemoClient
from bot.nemo.errors import NemoError, TokenRefused
from storage import Credentials, PeopleStore

__all__ = ["Account", "Accounts", "Project", "TokenUnavailable"]

log = logging.getLogger(__name__)

# Renew a little before the backend would refuse the token.
_EXPIRY_MARGIN = 300.0


class TokenUnavailable(Exception):
    """No token could be had for this user (the backend refused a new anonymous token)."""


@dataclass(slots=True)
class Account:
    """The credentials a user's calls run with, and the key their session is stored under."""

    auth: Auth
    key: str  # "env", "anon:<client id>" or "login:<fingerprint>"
    kind: str  # env | anon | login
    anon_user_id: str | None = None

    @classmethod
    def none(cls) -> Account:
        """A placeholder for requests that never reach NemoVideo (/lang, /logout…)."""
        return cls(Auth(""), "none", "none")


@dataclass(frozen=True, slots=True)
class Project:
    """A user's NemoVideo session; `created`: it was made just now (so it is empty)."""

    session_id: str
    task_id: str | None
    created: bool = False


class Accounts:
    """Hands out each user's account and session, creating and renewing them as needed."""

    def __init__(
        self, store: PeopleStore, nemo: NemoClient, shared_token: str | None = None
    ) -> None:
        self._store = store
        self._nemo = nemo
        self._shared_token = shared_token
        self._locks: dict[int, asyncio.Lock] = {}

    @property
    def shared_token(self) -> str | None:
        """`NEMO_TOKEN`: the one account every user shares, if set."""
        return self._shared_token

    def _lock(self, user_id: int) -> asyncio.Lock:
        return self._locks.setdefault(user_id, asyncio.Lock())

    async def account(self, user_id: int) -> Account:
        """The account to use now; an anonymous token is minted or renewed when needed."""
        creds = await self._store.credentials(user_id)
        if creds is not None and creds.login_token:
            fingerprint = hashlib.sha256(creds.login_token.encode()).hexdigest()[:12]
            return Account(Auth(creds.login_token), f"login:{fingerprint}", "login")
        if self._shared_token:
            return Account(Auth(self._shared_token), "env", "env")
        if creds is None or not _fresh(creds):
            creds = await self._renew(user_id, stale=creds.anon_token if creds else None)
        assert creds.anon_token is not None  # _renew saved one
        auth = Auth(creds.anon_token)

        async def refresh() -> str:
            renewed = await self._renew(user_id, stale=auth.token)
            assert renewed.anon_token is not None
            return renewed.anon_token

        auth.refresh = refresh
        return Account(auth, f"anon:{creds.client_id}", "anon", creds.anon_user_id)

    async def _renew(self, user_id: int, *, stale: str | None) -> Credentials:
        """A fresh anonymous token (same client id), unless another task just got one."""
        async with self._lock(user_id):
            creds = await self._store.credentials(user_id)
            if creds is not None and _fresh(creds) and creds.anon_token != stale:
                return creds
            client_id = await self._store.client_id_for(user_id)
            try:
                issued = await self._nemo.anonymous_token(client_id)
            except NemoError as exc:
                if isinstance(exc, TokenRefused) or exc.status in (403, 429):
                    log.error(
                        "NemoVideo refused a new anonymous token (%s). Set NEMO_TOKEN to run "
                        "every user on one registered account.",
                        exc.message,
                    )
                    raise TokenUnavailable(exc.message) from exc
                raise
            await self._store.save_anonymous_token(
                user_id, issued.token, issued.user_id, issued.expires_at.timestamp()
            )
            renewed = await self._store.credentials(user_id)
            assert renewed is not None
            return renewed

    async def project(self, user_id: int, account: Account, language: str) -> Project:
        """The user's session under this account, created on first use."""
        async with self._lock(user_id):
            existing = await self._store.get_session(user_id, account.key)
            if existing is not None:
                return Project(existing.session_id, existing.task_id)
            created = await self._nemo.create_session(account.auth, language)
            await self._store.save_session(
                user_id, account.key, created.session_id, created.task_id
            )
            return Project(created.session_id, created.task_id, created=True)

    async def current(self, user_id: int, account: Account) -> Project | None:
        """The user's session under this account, if there is one (nothing is created)."""
        existing = await self._store.get_session(user_id, account.key)
        return Project(existing.session_id, existing.task_id) if existing else None

    async def new_session(self, user_id: int) -> None:
        """Forget the current session; the next turn starts a fresh project."""
        await self._store.drop_session(user_id)

    async def login(self, user_id: int, token: str) -> int:
        """Check `token` against the backend, then use it; returns the available credits."""
        credits = await self._nemo.credits(Auth(token))
        await self._store.set_login_token(user_id, token)
        await self._store.drop_session(user_id)
        return credits.available

    async def logout(self, user_id: int) -> None:
        """Go back to the bot's account."""
        await self._store.set_login_token(user_id, None)
        await self._store.drop_session(user_id)


def _fresh(creds: Credentials) -> bool:
    """The stored anonymous token is there and not about to expire."""
    expires = creds.anon_expires_at or 0
    return bool(creds.anon_token) and expires > time.time() + _EXPIRY_MARGIN
