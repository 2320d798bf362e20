"""Bot-level methods: getMe, updates and webhooks, callback answers, commands, getChat."""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

from . import errors
from .errors import ApiError
from .models import CallbackAnswer, WebhookConfig
from .registry import api_method

if TYPE_CHECKING:
    from .emulator import BotApiEmulator
    from .request import Params

COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
LANGUAGE_RE = re.compile(r"^([a-z]{2})?$")
MAX_COMMANDS = 100


@api_method("getMe")
async def get_me(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """The bot user plus its capabilities (privacy mode from the options)."""
    return {
        **emu.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": not emu.options.privacy_mode,
        "supports_inline_queries": emu.options.inline_mode,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("logOut")
async def log_out(emu: BotApiEmulator, p: Params) -> bool:
    """Always succeeds; the emulator keeps serving."""
    return True


@api_method("close")
async def close(emu: BotApiEmulator, p: Params) -> bool:
    """Always succeeds; the emulator keeps serving."""
    return True


@api_method("getUpdates")
async def get_updates(emu: BotApiEmulator, p: Params) -> list[dict[str, Any]]:
    """Long polling with offset confirmation; 409 while a webhook is set."""
    if emu.webhook is not None:
        raise ApiError(409, errors.CONFLICT_WEBHOOK)
    limit = max(1, min(100, p.integer("limit", 100) or 100))
    allowed = p.json("allowed_updates")
    return await emu.updates.get_updates(
        offset=p.integer("offset", 0) or 0,
        limit=limit,
        timeout=p.number("timeout", 0.0),
        allowed=list(allowed) if isinstance(allowed, list) else None,
    )


@api_method("setWebhook")
async def set_webhook(emu: BotApiEmulator, p: Params) -> bool:
    """Set (or, with an empty url, remove) the webhook the deliverer POSTs to."""
    url = p.string("url", "") or ""
    if not url:
        emu.webhook = None  # setWebhook with an empty url removes the webhook
        return True
    if not url.startswith(("http://", "https://")):
        raise errors.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.string("secret_token")
    if secret is not None and not SECRET_RE.match(secret):
        raise errors.bad_request("secret token contains unallowed characters")
    if p.flag("drop_pending_updates"):
        emu.updates.drop_all()
    allowed = p.json("allowed_updates")
    previous = emu.webhook
    emu.webhook = WebhookConfig(
        url=url,
        secret_token=secret,
        max_connections=p.integer("max_connections", 40) or 40,
        allowed_updates=list(allowed) if isinstance(allowed, list) and allowed else None,
    )
    if allowed is None and previous is not None:
        emu.webhook.allowed_updates = previous.allowed_updates
    return True


@api_method("deleteWebhook")
async def delete_webhook(emu: BotApiEmulator, p: Params) -> bool:
    """Remove the webhook, optionally dropping pending updates."""
    if p.flag("drop_pending_updates"):
        emu.updates.drop_all()
    emu.webhook = None
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """The webhook, pending count and the last delivery error."""
    hook = emu.webhook
    info: dict[str, Any] = {
        "url": hook.url if hook else "",
        "has_custom_certificate": False,
        "pending_update_count": emu.pending_updates(),
    }
    if hook is None:
        return info
    info["max_connections"] = hook.max_connections
    if hook.allowed_updates:
        info["allowed_updates"] = hook.allowed_updates
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    return info


@api_method("answerCallbackQuery")
async def answer_callback_query(emu: BotApiEmulator, p: Params) -> bool:
    """Answer a button press once, within callback_answer_timeout."""
    query = emu.callback_queries.get(p.string("callback_query_id") or "")
    now = time.monotonic()
    too_old = query is not None and now - query.created > emu.options.callback_answer_timeout
    if query is None or query.answered or too_old:
        raise ApiError(400, errors.QUERY_TOO_OLD)
    query.answered = True
    emu.callback_answers.append(
        CallbackAnswer(
            query_id=query.id,
            text=p.string("text"),
            show_alert=p.flag("show_alert"),
            url=p.string("url"),
            cache_time=p.integer("cache_time"),
            delay=now - query.created,
            chat_id=query.chat_id,
            message_id=query.message_id,
        )
    )
    return True


def _command_key(p: Params) -> tuple[str, str]:
    scope = p.json("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise errors.bad_request("can't parse BotCommandScope JSON object")
    language = p.string("language_code", "") or ""
    if not LANGUAGE_RE.match(language):
        raise errors.bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True), language


@api_method("setMyCommands")
async def set_my_commands(emu: BotApiEmulator, p: Params) -> bool:
    """Set the command list of a scope and language (empty list clears it)."""
    key = _command_key(p)
    commands = p.json("commands")
    if not isinstance(commands, list):
        raise errors.bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise errors.bad_request("BOT_COMMANDS_TOO_MUCH")
    parsed: list[tuple[str, str]] = []
    for item in commands:
        command = str(item.get("command", "")) if isinstance(item, dict) else ""
        description = str(item.get("description", "")).strip() if isinstance(item, dict) else ""
        if not COMMAND_RE.match(command):
            raise errors.bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise errors.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        parsed.append((command, description))
    if parsed:
        emu.command_sets[key] = parsed
    else:
        emu.command_sets.pop(key, None)
    return True


@api_method("getMyCommands")
async def get_my_commands(emu: BotApiEmulator, p: Params) -> list[dict[str, str]]:
    """The commands of a scope and language, else of the scope's default language."""
    scope, language = _command_key(p)
    commands = emu.command_sets.get((scope, language))
    if commands is None:
        commands = emu.command_sets.get((scope, ""), [])
    return [{"command": command, "description": text} for command, text in commands]


@api_method("deleteMyCommands")
async def delete_my_commands(emu: BotApiEmulator, p: Params) -> bool:
    """Clear the command list of a scope and language."""
    emu.command_sets.pop(_command_key(p), None)
    return True


@api_method("getChat")
async def get_chat(emu: BotApiEmulator, p: Params) -> dict[str, Any]:
    """A minimal ChatFullInfo."""
    chat = emu.chats.require(p.json("chat_id"))
    info = chat.to_dict()
    if chat.user is not None:
        info["first_name"] = chat.user["first_name"]
    return {
        **info,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }
