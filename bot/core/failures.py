"""One friendly line for every way a request can fail."""

from __future__ import annotations

from bot.core.accounts import Account, TokenUnavailable
from bot.core.texts import t
from bot.nemo import errors as e

__all__ = ["describe"]


def describe(
    exc: BaseException, lang: str, account: Account | None = None, web_base: str = ""
) -> str:
    """The user-facing line for `exc`; never the exception's own text."""
    if isinstance(exc, TokenUnavailable):
        return t("token_refused", lang)
    if isinstance(exc, e.OutOfCredits):
        if account is not None and account.kind == "anon" and account.anon_user_id:
            link = f"{web_base}/register?bind={account.anon_user_id}"
            return t("err_credits_anon", lang, link=link)
        return t("err_credits", lang, link=web_base)
    if isinstance(exc, e.NemoAuthError):
        kind = account.kind if account else "env"
        return t("err_auth_login" if kind == "login" else "err_auth_fixed", lang)
    if isinstance(exc, e.RateLimited):
        return t("err_rate", lang)
    if isinstance(exc, e.ExportBlocked):
        return t("err_export_blocked", lang)
    if isinstance(exc, e.SessionNotFound):
        return t("err_session", lang)
    if isinstance(exc, e.UnsupportedFile):
        return t("upload_unsupported", lang, name=t("that_file", lang))
    if isinstance(exc, e.FileTooLarge):
        return t("upload_too_big", lang, name=t("that_file_start", lang))
    if isinstance(exc, e.NemoUnavailable):
        return t("err_down", lang)
    if isinstance(exc, e.NemoError):
        return t("err_generic", lang)
    return t("err_internal", lang)
