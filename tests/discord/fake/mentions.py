"""Who a message really pings, under Discord's allowed_mentions rules.

Pings are strings: "user:ID", "role:ID", "everyone" (@everyone) and "here" (@here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.discord.fake.errors import FormErrors

USER_MENTION = re.compile(r"<@!?(\d{1,20})>")
ROLE_MENTION = re.compile(r"<@&(\d{1,20})>")
PARSE_VALUES = ("users", "roles", "everyone")
MAX_IDS = 100


def user_ping(user_id: int) -> str:
    """The ping string of a user."""
    return f"user:{user_id}"


def role_ping(role_id: int) -> str:
    """The ping string of a role."""
    return f"role:{role_id}"


@dataclass(frozen=True)
class ContentMentions:
    """The mentions written in a message's content."""

    users: tuple[int, ...]
    roles: tuple[int, ...]
    everyone: bool
    here: bool


def parse_content(content: str) -> ContentMentions:
    """Find <@id>, <@!id>, <@&id>, @everyone and @here in content."""
    return ContentMentions(
        users=tuple(dict.fromkeys(int(m) for m in USER_MENTION.findall(content))),
        roles=tuple(dict.fromkeys(int(m) for m in ROLE_MENTION.findall(content))),
        everyone="@everyone" in content,
        here="@here" in content,
    )


def validate_allowed_mentions(allowed: Any, errors: FormErrors) -> None:
    """Discord's checks on an allowed_mentions object."""
    if allowed is None:
        return
    if not isinstance(allowed, dict):
        errors.add(["allowed_mentions"], "DICT_TYPE_CONVERT", "Only dictionaries may be used.")
        return
    parse = allowed.get("parse", [])
    for index, value in enumerate(parse):
        if value not in PARSE_VALUES:
            errors.add(["allowed_mentions", "parse", index], "ENUM_TYPE_COERCE", "Invalid value.")
    for kind in ("users", "roles"):
        ids = allowed.get(kind) or []
        if kind in parse and ids:
            errors.add(
                ["allowed_mentions"],
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids] are mutually exclusive.',
            )
        if len(ids) > MAX_IDS:
            errors.add(
                ["allowed_mentions", kind],
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_IDS} or fewer in length.",
            )


def pinged(
    content: str,
    allowed: dict[str, Any] | None,
    *,
    replied_author: int | None,
    in_guild: bool,
) -> frozenset[str]:
    """The pings a new message sends.

    Without allowed_mentions every mention in content pings and a reply pings its
    author. With it, only what `parse` or the explicit id lists allow, and a reply pings
    its author only when replied_user is true.
    """
    found = parse_content(content)
    if allowed is None:
        users, roles = set(found.users), set(found.roles)
        everyone_allowed, reply = True, True
    else:
        parse = set(allowed.get("parse", []))
        allowed_users = {int(u) for u in allowed.get("users") or []}
        allowed_roles = {int(r) for r in allowed.get("roles") or []}
        users = set(found.users) if "users" in parse else set(found.users) & allowed_users
        roles = set(found.roles) if "roles" in parse else set(found.roles) & allowed_roles
        everyone_allowed = "everyone" in parse
        reply = bool(allowed.get("replied_user", False))
    result = {user_ping(u) for u in users}
    if reply and replied_author is not None:
        result.add(user_ping(replied_author))
    if in_guild:
        result |= {role_ping(r) for r in roles}
        if everyone_allowed and found.everyone:
            result.add("everyone")
        if everyone_allowed and found.here:
            result.add("here")
    return frozenset(result)
