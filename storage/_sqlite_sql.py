"""The SQLite text of every statement the inbox and render policies name.

One writer runs each policy in one `BEGIN IMMEDIATE` transaction, so no row is locked and
nothing is announced (those steps are `None`). A list argument arrives as JSON and is read
with `json_each`.
"""

from __future__ import annotations

from ._rows import INBOX_COLUMNS, RATE_COUNTS, RENDER_COLUMNS, sql_list
from .lifecycle import ITEM_ACTIVE, ITEM_FINAL, RENDER_ACTIVE

__all__ = ["INBOX_SQL", "LEDGER_SQL", "RENDER_SQL"]

_ACTIVE = sql_list(ITEM_ACTIVE)
_UNFINISHED = sql_list(ITEM_ACTIVE | {"queued"})
_FINAL = sql_list(ITEM_FINAL)
_IN_LIST = "IN (SELECT value FROM json_each(?{n}))"
_ITEM = f"RETURNING {INBOX_COLUMNS}"
_JOB = f"RETURNING {RENDER_COLUMNS}"

INBOX_SQL: dict[str, str | None] = {
    "add_user": "INSERT INTO users (platform, platform_user_id, language, created_at) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (platform, platform_user_id) DO NOTHING",
    "user_by_key": "SELECT * FROM users WHERE platform = ? AND platform_user_id = ?",
    "lock_user_wait": None,
    "lock_user_skip": "SELECT id FROM users WHERE id = ?",
    "announce": None,
    "find_update": "SELECT id, user_id, status, lane FROM inbox "
    "WHERE platform = ? AND update_id = ?",
    "find_update_id": "SELECT id FROM inbox WHERE platform = ? AND update_id = ?",
    "rate_counts": f"SELECT {RATE_COUNTS} FROM inbox WHERE user_id = ? AND created_at > ?",
    "pending_press": "SELECT id FROM inbox WHERE user_id = ? AND press_key = ? "
    "AND status IN ('queued', 'claimed', 'sending') ORDER BY id LIMIT 1",
    "waiting": "SELECT count(*) FROM inbox WHERE user_id = ? AND status = 'queued' "
    "AND lane = 'line'",
    "insert_item": "INSERT INTO inbox (platform, update_id, user_id, chat, kind, intent, "
    "payload, created_at, lane, group_key, status, owner, lease_expires, press_key) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (platform, update_id) DO NOTHING RETURNING id",
    "insert_refused": "INSERT INTO inbox (platform, update_id, user_id, chat, kind, payload, "
    "created_at, finished_at, lane, status) "
    "VALUES (?1, ?2, ?3, ?4, ?5, '', ?6, ?6, 'side', 'cancelled')",
    "ahead": f"SELECT count(*) FROM inbox WHERE user_id = ? AND lane = 'line' "
    f"AND status IN {_UNFINISHED} AND id < ?",
    "line_head": f"SELECT {INBOX_COLUMNS} FROM inbox WHERE user_id = ? AND lane = 'line' "
    f"AND status IN {_UNFINISHED} ORDER BY id LIMIT 1",
    "claim_queued": "UPDATE inbox SET status = 'claimed', owner = ?, lease_expires = ? "
    f"WHERE id = ? AND status = 'queued' {_ITEM}",
    "take_over": "UPDATE inbox SET status = ?1, owner = ?2, lease_expires = ?3 "
    "WHERE id = ?4 AND status = ?5 AND (lease_expires IS NULL OR lease_expires <= ?6) "
    f"{_ITEM}",
    "claim_side": "UPDATE inbox SET status = 'claimed', owner = ?1, lease_expires = ?2 "
    "WHERE id = ?3 AND lane = 'side' AND (status = 'queued' OR (status = 'claimed' "
    f"AND (lease_expires IS NULL OR lease_expires <= ?4))) {_ITEM}",
    "mark_sending": "UPDATE inbox SET status = 'sending', reached_agent = 1 "
    "WHERE id = ? AND owner = ? AND status IN ('claimed', 'sending')",
    "renew": f"UPDATE inbox SET lease_expires = ? WHERE id = ? AND owner = ? "
    f"AND status IN {_ACTIVE}",
    "release": "UPDATE inbox SET owner = NULL, lease_expires = NULL, "
    "status = CASE WHEN status = 'claimed' THEN 'queued' ELSE status END "
    f"WHERE id = ? AND owner = ? AND status IN {_ACTIVE}",
    "finish": "UPDATE inbox SET status = ?1, finished_at = ?2, lease_expires = NULL "
    f"WHERE id = ?3 AND owner = ?4 AND status {_IN_LIST.format(n=5)}",
    # Anything but a JSON object (hand-written, damaged) is erased whole.
    "scrub": "UPDATE inbox SET "
    "payload = CASE WHEN NOT json_valid(payload) THEN '' WHEN json_type(payload) = 'object' "
    "THEN json_set(payload, '$.text', '') ELSE '' END, "
    "intent = CASE WHEN NOT json_valid(intent) THEN NULL WHEN json_type(intent) = 'object' "
    "THEN json_set(intent, '$.arg', '') END WHERE id = ?",
    "cancel_queued": "UPDATE inbox SET status = 'cancelled', finished_at = ?2 "
    "WHERE user_id = ?1 AND status = 'queued' AND lane = 'line'",
    "cancel_active": "UPDATE inbox SET status = 'cancelled', finished_at = ?2, "
    "lease_expires = NULL WHERE id = (SELECT id FROM inbox WHERE user_id = ?1 "
    f"AND lane = 'line' AND status {_IN_LIST.format(n=3)} ORDER BY id LIMIT 1) {_ITEM}",
    "users_with_work": f"SELECT user_id FROM inbox WHERE lane = 'line' "
    f"AND platform {_IN_LIST.format(n=1)} AND (status = 'queued' OR (status IN {_ACTIVE} "
    "AND (lease_expires IS NULL OR lease_expires <= ?2))) GROUP BY user_id ORDER BY min(id)",
    "side_items": f"SELECT id FROM inbox WHERE lane = 'side' AND platform {_IN_LIST.format(n=1)} "
    "AND (status = 'queued' OR (status = 'claimed' "
    "AND (lease_expires IS NULL OR lease_expires <= ?2))) ORDER BY id",
    "last_of_group": "SELECT max(created_at) FROM inbox WHERE user_id = ? AND group_key = ?",
    "absorb_group": "UPDATE inbox SET status = 'done', finished_at = ?1 WHERE user_id = ?2 "
    f"AND group_key = ?3 AND status = 'queued' AND lane = 'line' AND id != ?4 {_ITEM}",
    "resend": "UPDATE inbox SET status = 'resent', finished_at = ?1 "
    f"WHERE id = ?2 AND user_id = ?3 AND status = 'reported' {_ITEM}",
    "get_item": f"SELECT {INBOX_COLUMNS} FROM inbox WHERE id = ?",
    "waiting_count": "SELECT count(*) FROM inbox WHERE user_id = ? AND status = 'queued' "
    "AND lane = 'line'",
    "prune_inbox": f"DELETE FROM inbox WHERE status IN {_FINAL} AND finished_at < ?",
    "forget_texts": "UPDATE inbox SET payload = json_set(payload, '$.text', ''), "
    "intent = CASE WHEN json_valid(intent) THEN json_set(intent, '$.arg', '') ELSE intent END "
    f"WHERE status IN {_FINAL} AND finished_at < ? AND json_valid(payload) "
    "AND coalesce(json_extract(payload, '$.text'), '') != ''",
}

_RENDER_ACTIVE = sql_list(RENDER_ACTIVE)

RENDER_SQL: dict[str, str | None] = {
    "create_render": "INSERT INTO renders (render_id, user_id, chat, session_id, created_at, "
    "owner, lease_expires, item_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING "
    f"{_JOB}",
    "detach_item": "UPDATE renders SET item_id = NULL WHERE render_id = ? AND owner = ?",
    "render_for_item": f"SELECT {RENDER_COLUMNS} FROM renders WHERE item_id = ?",
    "record_status": "UPDATE renders SET status = ?1, progress = ?2, "
    "output_url = coalesce(?3, output_url), submitted_at = coalesce(?4, submitted_at), "
    "finished_at = coalesce(?5, finished_at) "
    f"WHERE render_id = ?6 AND owner = ?7 AND status {_IN_LIST.format(n=8)} {_JOB}",
    "end_render": "UPDATE renders SET status = ?1, error = coalesce(?2, error), "
    "finished_at = coalesce(finished_at, ?3), "
    "delivered = CASE WHEN ?1 = 'delivered' THEN 1 ELSE delivered END, "
    "lease_expires = NULL "
    f"WHERE render_id = ?4 AND owner = ?5 AND status {_IN_LIST.format(n=6)}",
    "begin_delivery": "UPDATE renders SET status = 'delivering' WHERE render_id = ?1 "
    "AND owner = ?2 AND status = 'completed' AND lease_expires > ?3",
    "take_over_renders": "UPDATE renders SET owner = ?1, lease_expires = ?2, "
    "status = CASE WHEN status = 'delivering' THEN 'unconfirmed' ELSE status END, "
    "finished_at = CASE WHEN status = 'delivering' THEN ?3 ELSE finished_at END "
    f"WHERE status {_IN_LIST.format(n=4)} AND (lease_expires IS NULL OR lease_expires <= ?3) "
    f"AND json_valid(chat) AND json_extract(chat, '$.platform') {_IN_LIST.format(n=5)} {_JOB}",
    "resend_render": "UPDATE renders SET status = 'delivering', owner = ?2, lease_expires = ?3 "
    "WHERE render_id = (SELECT render_id FROM renders WHERE user_id = ?1 "
    "AND status = 'unconfirmed' ORDER BY created_at DESC, rowid DESC LIMIT 1) "
    f"AND status = 'unconfirmed' {_JOB}",
    "renew_render": "UPDATE renders SET lease_expires = ? WHERE render_id = ? AND owner = ? "
    f"AND status IN {_RENDER_ACTIVE}",
    "release_render": "UPDATE renders SET owner = NULL, lease_expires = NULL "
    f"WHERE render_id = ? AND owner = ? AND status IN {_RENDER_ACTIVE}",
    "get_render": f"SELECT {RENDER_COLUMNS} FROM renders WHERE render_id = ?",
    "active_renders": f"SELECT {RENDER_COLUMNS} FROM renders WHERE user_id = ? "
    f"AND status IN {_RENDER_ACTIVE} ORDER BY created_at DESC, rowid DESC",
    "render_seconds": "SELECT finished_at - submitted_at FROM renders "
    "WHERE status = 'delivered' AND submitted_at IS NOT NULL "
    "AND finished_at >= submitted_at ORDER BY finished_at DESC LIMIT ?",
}

_COUNTS = (
    "coalesce(sum(turns), 0) AS turns, coalesce(sum(images), 0) AS images, "
    "coalesce(sum(exports), 0) AS exports"
)

LEDGER_SQL: dict[str, str | None] = {
    "lock_user": None,
    "day_row": "SELECT turns, images, exports FROM daily_spending "
    "WHERE day = ? AND scope = ? AND user_id = ?",
    "account_day": f"SELECT {_COUNTS} FROM daily_spending WHERE day = ? AND scope = ''",
    "extras_row": "SELECT turns, images, exports FROM extras WHERE user_id = ?",
    "add_day": "INSERT INTO daily_spending (day, scope, user_id, turns, images, exports) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, scope, user_id) DO UPDATE SET "
    "turns = daily_spending.turns + excluded.turns, "
    "images = daily_spending.images + excluded.images, "
    "exports = daily_spending.exports + excluded.exports",
    "use_extras": "UPDATE extras SET turns = max(0, turns - ?1), images = max(0, images - ?2), "
    "exports = max(0, exports - ?3) WHERE user_id = ?4",
    "add_extras": "INSERT INTO extras (user_id, turns, images, exports) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (user_id) DO UPDATE SET turns = extras.turns + excluded.turns, "
    "images = extras.images + excluded.images, exports = extras.exports + excluded.exports",
    "insert_payment": "INSERT INTO star_payments (charge_id, user_id, pack, stars, turns, "
    "images, exports, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (charge_id) DO NOTHING RETURNING charge_id",
    "claim_refund": "UPDATE star_payments SET refunded_at = ?1 WHERE charge_id = ?2 "
    "AND refunded_at IS NULL RETURNING *",
    "find_payment": "SELECT * FROM star_payments WHERE charge_id = ?",
    "days": f"SELECT day, {_COUNTS}, count(*) AS users FROM daily_spending "
    "WHERE scope = '' AND day >= ? GROUP BY day ORDER BY day DESC",
    "top_spenders": f"SELECT user_id, {_COUNTS} FROM daily_spending "
    "WHERE scope = '' AND day >= ? GROUP BY user_id "
    "ORDER BY 3 DESC, 2 DESC, 4 DESC, user_id LIMIT ?",
    "chat_settings": "SELECT * FROM chat_settings WHERE platform = ? AND space = ?",
    "save_chat_settings": "INSERT INTO chat_settings (platform, space, access, language, "
    "quiet, member_turns, channels, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (platform, space) DO UPDATE SET access = excluded.access, "
    "language = excluded.language, quiet = excluded.quiet, "
    "member_turns = excluded.member_turns, channels = excluded.channels, "
    "set_by = excluded.set_by, set_at = excluded.set_at",
}
