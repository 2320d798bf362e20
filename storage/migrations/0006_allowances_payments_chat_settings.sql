-- Schema version 6: daily allowances on a shared account, Telegram Stars packs, and the
-- settings group and server admins choose for their chat.

-- What each user spent, per UTC day ('YYYY-MM-DD'): `scope` '' counts everywhere, a chat's
-- key ('telegram:-100…', 'discord:<guild>') counts it again for that chat's own allowance.
-- A new day is a new key, so allowances reset at midnight UTC without deleting anything.
CREATE TABLE daily_spending (
    day     TEXT NOT NULL,
    scope   TEXT NOT NULL DEFAULT '',
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    turns   INTEGER NOT NULL DEFAULT 0,
    images  INTEGER NOT NULL DEFAULT 0,
    exports INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, scope, user_id)
);

-- Bought with Stars and not used yet: drawn on once a day's allowance is spent.
CREATE TABLE extras (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    turns   INTEGER NOT NULL DEFAULT 0,
    images  INTEGER NOT NULL DEFAULT 0,
    exports INTEGER NOT NULL DEFAULT 0
);

-- One row per Telegram payment: its charge id is the key, so a payment is credited once.
CREATE TABLE star_payments (
    charge_id   TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    pack        TEXT NOT NULL,
    stars       INTEGER NOT NULL,
    turns       INTEGER NOT NULL DEFAULT 0,
    images      INTEGER NOT NULL DEFAULT 0,
    exports     INTEGER NOT NULL DEFAULT 0,
    paid_at     REAL NOT NULL,
    refunded_at REAL
);
CREATE INDEX star_payments_by_user ON star_payments (user_id, paid_at);

-- A group's (Telegram) or server's (Discord) own settings; `channels` is a JSON list.
CREATE TABLE chat_settings (
    platform     TEXT NOT NULL,
    space        TEXT NOT NULL,
    access       TEXT NOT NULL DEFAULT 'everyone' CHECK (access IN ('everyone', 'admins')),
    language     TEXT,
    quiet        INTEGER NOT NULL DEFAULT 0 CHECK (quiet IN (0, 1)),
    member_turns INTEGER,
    channels     TEXT NOT NULL DEFAULT '[]',
    set_by       TEXT NOT NULL DEFAULT '',
    set_at       REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, space)
);
