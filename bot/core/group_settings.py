"""/settings: what a group's (or Discord server's) admins choose for the bot there.

Who may use the bot there (everyone, or admins only), the language of its own messages,
quiet mode (results only, no live progress), each member's daily allowance of turns there
(within the operator's), and on Discord the channels it answers in. Only the chat's admins
(and the bot's operators) may change them; each change is answered in the chat and logged
with pseudonyms. Typed (`/settings quiet on`, Discord's options) or pressed: a short
keyboard whose buttons name one of `CHOICES`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from bot.core import codec
from bot.core.commands import Handlers
from bot.core.context import TurnContext
from bot.core.intents import Intent
from bot.core.messages import ChatRef, IncomingMessage
from bot.core.outbox import Button, Keyboard
from bot.core.registry import Router
from bot.core.texts import t
from bot.logs import pseudonym
from storage import ChatSettings

__all__ = ["CHOICES", "changed", "router"]

log = logging.getLogger(__name__)

# What a button can set (its payload's ref is the place here), in the keyboard's rows.
CHOICES: tuple[tuple[str, str], ...] = (
    ("access", "everyone"),
    ("access", "admins"),
    ("language", "auto"),
    ("language", "en"),
    ("language", "zh"),
    ("quiet", "off"),
    ("quiet", "on"),
    ("limit", "off"),
    ("limit", "5"),
    ("limit", "10"),
    ("limit", "20"),
    ("limit", "50"),
)
_ROWS = ((0, 1), (2, 3, 4), (5, 6), (7, 8, 9, 10, 11))
_MAX_LIMIT = 10_000


def changed(current: ChatSettings, name: str, value: str, chat: ChatRef) -> ChatSettings | None:
    """`current` with one setting changed (`chat`: where "channels here" was said), or None
    when the name or value is not one /settings takes."""
    match name, value:
        case "access", "everyone" | "admins":
            return replace(current, access=value)
        case "language", "auto":
            return replace(current, language=None)
        case "language", "en" | "zh":
            return replace(current, language=value)
        case "quiet", "on" | "off":
            return replace(current, quiet=value == "on")
        case "limit", "off" | "0":
            return replace(current, member_turns=None)
        case "limit", _ if value.isdigit() and int(value) <= _MAX_LIMIT:
            return replace(current, member_turns=int(value))
        case "channels", _:
            return _channels(current, value, chat.chat_id)
    return None


def _channels(current: ChatSettings, value: str, here: str) -> ChatSettings | None:
    chosen = list(current.channels)
    if value == "all":
        chosen = []
    elif value == "here":
        chosen = [here]
    elif value == "add" and here not in chosen:
        chosen.append(here)
    elif value == "remove" and here in chosen:
        chosen.remove(here)
    elif value not in ("add", "remove"):
        return None
    return replace(current, channels=tuple(chosen))


def _wanted(intent: Intent) -> list[tuple[str, str]] | None:
    """The changes asked for (none: show the settings), or None when they cannot be read."""
    button = intent.button
    if button is not None:
        ref = button.ref
        return [CHOICES[ref]] if ref is not None and 0 <= ref < len(CHOICES) else None
    words = intent.arg.lower().split()
    if len(words) % 2:
        return None
    return list(zip(words[::2], words[1::2], strict=True))


def _describe(settings: ChatSettings, lang: str) -> dict[str, str]:
    """Each setting's value in words."""
    limit = settings.member_turns
    # Channels are Discord's: <#id> shows there as the channel's name (and pings nobody).
    channels = ", ".join(f"<#{c}>" for c in settings.channels)
    return {
        "access": t(f"settings_access_{settings.access}", lang),
        "language": t(f"settings_language_{settings.language or 'auto'}", lang),
        "quiet": t(f"settings_quiet_{'on' if settings.quiet else 'off'}", lang),
        "limit": t("settings_limit_off", lang) if limit is None else str(limit),
        "channels": channels or t("settings_every_channel", lang),
    }


def _keyboard(settings: ChatSettings, user_id: int, lang: str) -> Keyboard:
    """The choices, the current ones ticked."""
    raw = {
        "access": settings.access,
        "language": settings.language or "auto",
        "quiet": "on" if settings.quiet else "off",
        "limit": "off" if settings.member_turns is None else str(settings.member_turns),
    }
    rows = []
    for row in _ROWS:
        buttons = []
        for index in row:
            name, value = CHOICES[index]
            label = _label(name, value, lang)
            tick = "✓ " if raw[name] == value else ""
            buttons.append(Button(tick + label, codec.encode("set", user_id, "", ref=index)))
        rows.append(tuple(buttons))
    return tuple(rows)


def _label(name: str, value: str, lang: str) -> str:
    if name == "quiet":
        return t(f"btn_set_quiet_{value}", lang)
    if name == "limit":
        return (
            t("btn_set_limit_off", lang) if value == "off" else t("btn_set_limit_n", lang, n=value)
        )
    return t(f"btn_set_{value}", lang)


async def settings(h: Handlers, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
    """Show the chat's settings with their keyboard, or change them (admins only)."""
    chat = msg.chat
    if chat.private:
        await h.reply(ctx, "settings_private")
        return
    if not (ctx.admin or await h.rules.is_admin(ctx.pacer, chat, msg.user)):
        await h.reply(ctx, "settings_admins_only")
        return
    current = ctx.here or ChatSettings(chat.platform, chat.settings_key)
    wanted = _wanted(intent)
    if wanted is None:
        await h.reply(ctx, "settings_usage")
    elif not wanted:
        await _show(ctx, current)
    else:
        await _change(h, ctx, msg, current, wanted)


async def _show(ctx: TurnContext, current: ChatSettings) -> None:
    words = _describe(current, ctx.lang)
    channels = t("settings_channels", ctx.lang, channels=words.pop("channels"))
    text = t("settings_show", ctx.lang, **words, channels=channels if current.channels else "")
    await ctx.pacer.send_text(ctx.chat, text, _keyboard(current, ctx.user_id, ctx.lang))


async def _change(
    h: Handlers,
    ctx: TurnContext,
    msg: IncomingMessage,
    current: ChatSettings,
    wanted: list[tuple[str, str]],
) -> None:
    new: ChatSettings | None = current
    for name, value in wanted:
        new = changed(new, name, value, msg.chat) if new is not None else None
    if new is None:
        await h.reply(ctx, "settings_usage")
        return
    if new == current:
        await h.reply(ctx, "settings_unchanged")
        return
    who = f"{msg.user.platform}:{msg.user.id}"
    await h.rules.save(replace(new, set_by=who, set_at=time.time()))
    lang = new.language or ctx.lang  # a new language is answered in
    words = _describe(new, lang)
    change = "; ".join(
        t(f"settings_change_{name}", lang, value=words[name]) for name in dict(wanted)
    )
    log.info(
        "settings of chat %s changed by user %s: %s",
        pseudonym(msg.chat.settings_key),
        pseudonym(ctx.user_id),
        ", ".join(f"{name}={value}" for name, value in wanted),
    )
    await ctx.pacer.send_text(ctx.chat, t("settings_changed", lang, change=change))


def router() -> Router:
    """/settings, typed or pressed."""
    r = Router("settings")
    r.side("settings", settings, command=True, buttons=("set",))
    return r
