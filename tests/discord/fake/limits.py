"""Discord's message limits, and the per-channel rate limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.discord.fake.errors import ApiError, FormErrors
from tests.discord.fake.mentions import validate_allowed_mentions
from tests.discord.fake.records import COMPONENTS_V2

MAX_CONTENT = 2000
MAX_FILES = 10
MAX_EMBEDS = 10
MAX_EMBED_CHARS = 6000
MAX_ROWS = 5
MAX_ROW_ITEMS = 5
MAX_CUSTOM_ID = 100
MAX_LABEL = 80
MAX_V2_COMPONENTS = 40
ACTION_ROW, BUTTON, LINK_STYLE = 1, 2, 5
SELECT_TYPES = {3, 5, 6, 7, 8}


def too_long(limit: int) -> tuple[str, str]:
    """Discord's BASE_TYPE_MAX_LENGTH error."""
    return "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."


def check_form(payload: dict[str, Any], *, attachment_count: int) -> None:
    """Raise 400/50035 the way Discord validates a message form body."""
    errors = FormErrors()
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        errors.add(["content"], "STRING_TYPE_CONVERT", "Could not interpret value as string.")
    elif content is not None and len(content) > MAX_CONTENT:
        errors.add(["content"], *too_long(MAX_CONTENT))
    _check_embeds(payload.get("embeds") or [], errors)
    if attachment_count > MAX_FILES:
        field = "attachments" if "attachments" in payload else "files"
        errors.add([field], *too_long(MAX_FILES))
    flags = int(payload.get("flags") or 0)
    components = payload.get("components") or []
    if flags & COMPONENTS_V2:
        _check_v2(payload, components, errors)
    else:
        _check_rows(components, errors)
    _check_custom_ids(components, errors)
    validate_allowed_mentions(payload.get("allowed_mentions"), errors)
    errors.raise_if_any()


def _check_embeds(embeds: list[dict[str, Any]], errors: FormErrors) -> None:
    if len(embeds) > MAX_EMBEDS:
        errors.add(["embeds"], *too_long(MAX_EMBEDS))
    total = 0
    for embed in embeds:
        total += len(embed.get("title") or "") + len(embed.get("description") or "")
        total += len((embed.get("footer") or {}).get("text") or "")
        total += len((embed.get("author") or {}).get("name") or "")
        for item in embed.get("fields") or []:
            total += len(item.get("name") or "") + len(item.get("value") or "")
    if total > MAX_EMBED_CHARS:
        errors.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _check_rows(components: list[dict[str, Any]], errors: FormErrors) -> None:
    if len(components) > MAX_ROWS:
        errors.add(["components"], *too_long(MAX_ROWS))
    for r, row in enumerate(components):
        if row.get("type") != ACTION_ROW:
            errors.add(["components", r], "UNION_TYPE_CHOICES", 'Value of field "type" must be 1.')
            continue
        children = row.get("components") or []
        if not children:
            errors.add(
                ["components", r, "components"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 5 in length.",
            )
        selects = [c for c in children if c.get("type") in SELECT_TYPES]
        limit = 1 if selects else MAX_ROW_ITEMS
        if len(children) > limit:
            errors.add(["components", r, "components"], *too_long(limit))
        for c, child in enumerate(children):
            _check_button(child, ["components", r, "components", c], errors)


def _check_button(item: dict[str, Any], path: list[str | int], errors: FormErrors) -> None:
    if item.get("type") != BUTTON:
        return
    if len(item.get("label") or "") > MAX_LABEL:
        errors.add([*path, "label"], *too_long(MAX_LABEL))
    if item.get("style") == LINK_STYLE:
        if not item.get("url"):
            errors.add([*path, "url"], "BASE_TYPE_REQUIRED", "This field is required")
    elif not item.get("custom_id"):
        errors.add([*path, "custom_id"], "BASE_TYPE_REQUIRED", "This field is required")


def _check_v2(
    payload: dict[str, Any], components: list[dict[str, Any]], errors: FormErrors
) -> None:
    for field in ("content", "embeds"):
        if payload.get(field):
            errors.add(
                [field],
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                f"The '{field}' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
            )
    if _count_components(components) > MAX_V2_COMPONENTS:
        errors.add(["components"], "MAX_COMPONENTS", "Message has too many components (max 40)")


def _count_components(components: list[dict[str, Any]]) -> int:
    total = 0
    for item in components:
        total += 1 + _count_components(item.get("components") or [])
        if isinstance(item.get("accessory"), dict):
            total += 1
    return total


def _walk(
    components: list[dict[str, Any]], path: list[str | int]
) -> list[tuple[list[str | int], dict[str, Any]]]:
    found: list[tuple[list[str | int], dict[str, Any]]] = []
    for index, item in enumerate(components):
        here = [*path, index]
        found.append((here, item))
        found.extend(_walk(item.get("components") or [], [*here, "components"]))
        if isinstance(item.get("accessory"), dict):
            found.append(([*here, "accessory"], item["accessory"]))
    return found


def _check_custom_ids(components: list[dict[str, Any]], errors: FormErrors) -> None:
    seen: set[str] = set()
    for path, item in _walk(components, ["components"]):
        custom_id = item.get("custom_id")
        if custom_id is None:
            continue
        if len(custom_id) > MAX_CUSTOM_ID:
            errors.add([*path, "custom_id"], *too_long(MAX_CUSTOM_ID))
        if custom_id in seen:
            errors.add(
                [*path, "custom_id"],
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(custom_id)


def check_not_empty(
    content: str | None,
    *,
    embeds: list[Any],
    attachments: int,
    components: list[Any],
    payload: dict[str, Any],
) -> None:
    """Raise 400/50006 for a message with nothing to show."""
    has_text = bool(content and content.strip())
    extras = payload.get("sticker_ids") or payload.get("poll")
    if not (has_text or embeds or attachments or components or extras):
        raise ApiError(400, "Cannot send an empty message", 50006)


def check_size(total_bytes: int, limit: int) -> None:
    """Raise 413/40005 when the request's attachments exceed the channel's limit."""
    if total_bytes > limit:
        raise ApiError(413, "Request entity too large", 40005)


@dataclass
class RateDecision:
    """The outcome of one counted request."""

    allowed: bool
    limit: int
    remaining: int
    reset_after: float


@dataclass
class _Window:
    end: float
    count: int


class ChannelRateLimiter:
    """Fixed windows of `count` message creates/edits per channel."""

    def __init__(self, rule: tuple[int, float] | None, retry_after: float) -> None:
        self.rule = rule
        self.retry_after = retry_after
        self._windows: dict[int, _Window] = {}

    def take(self, channel_id: int, now: float) -> RateDecision | None:
        """Count one request; None when no limit is configured."""
        if self.rule is None:
            return None
        limit, per = self.rule
        window = self._windows.get(channel_id)
        if window is None or now >= window.end:
            window = self._windows[channel_id] = _Window(now + per, 0)
        if window.count >= limit:
            # The 429 promises retry_after, so the window re-opens exactly then.
            window.end = now + self.retry_after
            return RateDecision(False, limit, 0, self.retry_after)
        window.count += 1
        return RateDecision(True, limit, limit - window.count, max(window.end - now, 0.001))
