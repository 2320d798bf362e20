"""One friendly line per failure, in both languages, never the exception's own text."""

from __future__ import annotations

import pytest

from bot.core.accounts import Account, TokenUnavailable
from bot.core.failures import describe
from bot.core.texts import language_of
from bot.nemo import Auth
from bot.nemo import errors as e

SECRET = "SECRET-BACKEND-TEXT-7f3a"
WEB = "https://nemo.example"
ENV = Account(Auth("t"), "env", "env")
ANON = Account(Auth("t"), "anon:c1", "anon", "anon-42")
LOGIN = Account(Auth("t"), "login:abc", "login")


def _all_subclasses(cls: type[e.NemoError]) -> list[type[e.NemoError]]:
    found: list[type[e.NemoError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


NEMO_ERRORS = [e.NemoError, *_all_subclasses(e.NemoError)]

# The failures that each deserve their own advice.
DISTINCT: dict[str, tuple[BaseException, Account | None]] = {
    "auth_fixed": (e.NemoAuthError(SECRET), ENV),
    "auth_login": (e.NemoAuthError(SECRET), LOGIN),
    "session": (e.SessionNotFound(SECRET), ENV),
    "credits": (e.OutOfCredits(SECRET), ENV),
    "credits_anon": (e.OutOfCredits(SECRET), ANON),
    "unsupported": (e.UnsupportedFile(SECRET), ENV),
    "too_large": (e.FileTooLarge(SECRET), ENV),
    "export_blocked": (e.ExportBlocked(SECRET), ENV),
    "rate": (e.RateLimited(SECRET), ENV),
    "down": (e.NemoUnavailable(SECRET), ENV),
    "generic": (e.NemoError(SECRET), ENV),
    "token": (TokenUnavailable(SECRET), None),
    "internal": (RuntimeError(SECRET), None),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_failure_has_its_own_line(lang: str) -> None:
    """Different failures get different advice."""
    lines = {name: describe(exc, lang, acc, WEB) for name, (exc, acc) in DISTINCT.items()}
    assert all(line.strip() for line in lines.values())
    assert len(set(lines.values())) == len(lines)


@pytest.mark.parametrize("cls", NEMO_ERRORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("account", [None, ENV, ANON, LOGIN], ids=["none", "env", "anon", "login"])
def test_every_nemo_error_gets_a_friendly_line(cls: type[e.NemoError], account: Account) -> None:
    """Non-empty in both languages; the backend's text never reaches the user."""
    exc = cls(SECRET)
    english = describe(exc, "en", account, WEB)
    chinese = describe(exc, "zh", account, WEB)
    assert english.strip()
    assert chinese.strip()
    assert english != chinese
    assert SECRET not in english
    assert SECRET not in chinese
    assert language_of(chinese) == "zh"
    assert language_of(english, "?") == "?"


@pytest.mark.parametrize(
    "cls",
    [e.MissingClientId, e.TokenRefused, e.RenderConflict, e.NotFound, e.NemoProtocolError],
)
def test_other_errors_get_the_generic_line(cls: type[e.NemoError]) -> None:
    """Failures with nothing the user can do share the generic line."""
    assert describe(cls(SECRET), "en") == describe(e.NemoError(SECRET), "en")


@pytest.mark.parametrize("cls", [e.StreamCut, e.StreamTimeout])
def test_stream_failures_read_as_unavailable(cls: type[e.NemoError]) -> None:
    """A broken or stalled stream is reported like an outage."""
    assert describe(cls(SECRET), "zh") == describe(e.NemoUnavailable(SECRET), "zh")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_out_of_credits_anonymous_links_to_registration(lang: str) -> None:
    """2001 on an anonymous account offers the binding registration link."""
    exc = e.error_for(200, {"code": 2001, "message": SECRET}, "POST /x")
    line = describe(exc, lang, ANON, WEB)
    assert f"{WEB}/register?bind=anon-42" in line
    assert SECRET not in line


def test_out_of_credits_registered_links_to_top_up() -> None:
    """A registered account is sent to top up, without a bind link."""
    line = describe(e.OutOfCredits(SECRET), "en", LOGIN, WEB)
    assert WEB in line
    assert "bind=" not in line


def test_out_of_credits_anonymous_without_user_id() -> None:
    """No anonymous user id, no bind link."""
    account = Account(Auth("t"), "anon:c1", "anon", None)
    assert "bind=" not in describe(e.OutOfCredits(SECRET), "en", account, WEB)


@pytest.mark.parametrize("cls", [e.UnsupportedFile, e.FileTooLarge])
def test_file_errors_in_chinese_have_no_english_filler(cls: type[e.NemoError]) -> None:
    """The generic file name is translated too."""
    line = describe(cls(SECRET), "zh")
    assert "file" not in line.lower()
