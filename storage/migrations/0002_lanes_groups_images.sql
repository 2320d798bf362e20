-- Schema version 2: side-lane messages, album groups, and the images posted to chats.

-- "line" messages run in the user's queue, one at a time; "side" ones are answered beside it.
ALTER TABLE inbox ADD COLUMN lane TEXT NOT NULL DEFAULT 'line' CHECK (lane IN ('line', 'side'));
-- Messages the platform sent together (a Telegram album) share a group key: one turn.
ALTER TABLE inbox ADD COLUMN group_key TEXT;
CREATE INDEX inbox_by_group ON inbox (user_id, group_key) WHERE group_key IS NOT NULL;

-- Every generated image posted to a chat, once per session; ids are the refs of the
-- Again / Variation buttons under it.
CREATE TABLE images (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    media_key  TEXT NOT NULL,
    url        TEXT NOT NULL,
    prompt     TEXT NOT NULL DEFAULT '',
    posted     INTEGER NOT NULL DEFAULT 0 CHECK (posted IN (0, 1)),
    created_at REAL NOT NULL,
    UNIQUE (session_id, media_key)
);
