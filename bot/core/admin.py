"""Operators' commands (`NEMOBOT_ADMINS`, private chats only): /stats, /ban, /unban, /allow, /deny.

To anyone else, and in groups, they do not exist: the answer is "unknown command".
"""

from __future__ import annotations

from bot.core.admission import normalize_who
from bot.core.commands import Handlers
from bot.core.context import TurnContext
from bot.core.intents import Intent
from bot.core.messages import IncomingMessage
from bot.core.registry import Router
from bot.core.stats import gather_figures

__all__ = ["is_operator_here", "not_here", "router"]


def is_operator_here(ctx: TurnContext, msg: IncomingMessage) -> bool:
    """An operator, in a private chat: where the operators' commands exist."""
    return ctx.admin and msg.chat.private


async def not_here(h: Handlers, ctx: TurnContext, msg: IncomingMessage, name: str) -> None:
    """What anyone else is told about an operators' command: that there is none."""
    await h.unknown_command(ctx, msg, Intent("unknown_command", "/" + name))


async def stats(h: Handlers, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
    """Users, turns today, renders, the queue and the shared token's credits."""
    if not is_operator_here(ctx, msg):
        await not_here(h, ctx, msg, "stats")
        return
    figures = await gather_figures(h.store, h.nemo, h.accounts.shared_token, h.allowances.now())
    await ctx.pacer.send_text(ctx.chat, figures.render(ctx.lang))


async def _change(
    h: Handlers,
    ctx: TurnContext,
    msg: IncomingMessage,
    intent: Intent,
    *,
    rule: str,
    on: bool,
) -> None:
    name = intent.kind
    if not is_operator_here(ctx, msg):
        await not_here(h, ctx, msg, name)
        return
    who = normalize_who(intent.arg)
    if who is None:
        await h.reply(ctx, "admin_usage", command=name)
        return
    if rule == "ban" and on and h.admission.names_admin(who):
        await h.reply(ctx, "admin_cannot_ban", who=who)
        return
    if rule == "allow" and not on and who in h.admission.configured_allowlist:
        await h.reply(ctx, "admin_configured", who=who)
        return
    was_on = h.admission.allowlist_on
    changed = await h.store.set_access(who, rule, on, set_by=f"{msg.user.platform}:{msg.user.id}")
    h.admission.apply_rules(await h.store.access_rules())
    key = f"admin_{name}" if changed else f"admin_{name}_unchanged"
    await h.reply(ctx, key, who=who)
    if rule == "allow" and was_on is not h.admission.allowlist_on:
        await h.reply(ctx, "admin_allowlist_on" if on else "admin_allowlist_off")


async def ban(h: Handlers, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
    """Refuse a user's messages from now on."""
    await _change(h, ctx, msg, intent, rule="ban", on=True)


async def unban(h: Handlers, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
    """Lift a ban."""
    await _change(h, ctx, msg, intent, rule="ban", on=False)


async def allow(h: Handlers, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
    """Put a user on the allowlist (which turns it on)."""
    await _change(h, ctx, msg, intent, rule="allow", on=True)


async def deny(h: Handlers, ctx: TurnContext, msg: IncomingMessage, intent: Intent) -> None:
    """Take a user off the allowlist."""
    await _change(h, ctx, msg, intent, rule="allow", on=False)


def router() -> Router:
    """The operators' commands: reachable, never listed in a menu or in /help."""
    r = Router("operators")
    r.side("stats", stats, operator=True)
    r.side("ban", ban, operator=True)
    r.side("unban", unban, operator=True)
    r.side("allow", allow, operator=True)
    r.side("deny", deny, operator=True)
    return r
