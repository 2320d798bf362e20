-- Schema version 3: a render whose delivery may or may not have reached the chat (the bot
-- stopped while sending it) is "unconfirmed": never sent again unless the user asks.
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt.

CREATE TABLE renders_v3 (
    render_id     TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat          TEXT NOT NULL,
    session_id    TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'created' CHECK (
        status IN ('created', 'pending', 'processing', 'completed', 'failed', 'cancelled',
                   'delivering', 'delivered', 'unconfirmed')
    ),
    progress      INTEGER NOT NULL DEFAULT 0,
    output_url    TEXT,
    error         TEXT,
    attempt       INTEGER NOT NULL DEFAULT 1,
    submitted_at  REAL,
    finished_at   REAL,
    delivered     INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1)),
    created_at    REAL NOT NULL,
    owner         TEXT,
    lease_expires REAL
);
INSERT INTO renders_v3 SELECT render_id, user_id, chat, session_id, status, progress, output_url,
    error, attempt, submitted_at, finished_at, delivered, created_at, owner, lease_expires
    FROM renders;
DROP TABLE renders;
ALTER TABLE renders_v3 RENAME TO renders;
CREATE INDEX renders_by_user ON renders (user_id, created_at);
CREATE INDEX renders_by_status ON renders (status);
