-- Schema version 5: the inbox item's lifecycle as states (storage/lifecycle.py), the intent
-- decided when a message is accepted, and the key that drops a repeated button press.
-- running without reaching the agent → claimed, running after it → sending,
-- interrupted → reported. SQLite cannot change a CHECK constraint in place: the table is
-- rebuilt, keeping ids (AUTOINCREMENT's counter lives in sqlite_sequence and moves along).

CREATE TABLE inbox_v5 (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    platform      TEXT NOT NULL,
    update_id     TEXT NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'queued' CHECK (
        status IN ('queued', 'claimed', 'sending', 'reporting',
                   'done', 'failed', 'cancelled', 'reported', 'resent')
    ),
    reached_agent INTEGER NOT NULL DEFAULT 0 CHECK (reached_agent IN (0, 1)),
    created_at    REAL NOT NULL,
    finished_at   REAL,
    owner         TEXT,
    lease_expires REAL,
    lane          TEXT NOT NULL DEFAULT 'line' CHECK (lane IN ('line', 'side')),
    group_key     TEXT,
    intent        TEXT,
    press_key     TEXT,
    UNIQUE (platform, update_id)
);
INSERT INTO inbox_v5 (id, platform, update_id, user_id, chat, kind, payload, status,
    reached_agent, created_at, finished_at, owner, lease_expires, lane, group_key)
SELECT id, platform, update_id, user_id, chat, kind, payload,
    CASE status
        WHEN 'running' THEN CASE WHEN reached_agent = 1 THEN 'sending' ELSE 'claimed' END
        WHEN 'interrupted' THEN 'reported'
        ELSE status
    END,
    reached_agent, created_at, finished_at, owner, lease_expires, lane, group_key
FROM inbox;
-- The counter must also pass ids pruned from the top (the copy only takes it to the highest
-- id left): an id is never handed out twice.
UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'inbox')
    WHERE name = 'inbox_v5' AND seq < (SELECT seq FROM sqlite_sequence WHERE name = 'inbox');
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'inbox_v5', seq FROM sqlite_sequence WHERE name = 'inbox'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'inbox_v5');
DROP TABLE inbox;
ALTER TABLE inbox_v5 RENAME TO inbox;
CREATE INDEX inbox_by_user ON inbox (user_id, status, id);
CREATE INDEX inbox_by_status ON inbox (status, lease_expires);
CREATE INDEX inbox_finished ON inbox (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX inbox_by_group ON inbox (user_id, group_key) WHERE group_key IS NOT NULL;
CREATE INDEX inbox_by_user_time ON inbox (user_id, created_at);
CREATE INDEX inbox_by_press ON inbox (user_id, press_key) WHERE press_key IS NOT NULL;

-- The export message a render was made for: one render per message, however often the
-- message is run (a worker that takes over a message never reached by the agent runs it again).
ALTER TABLE renders ADD COLUMN item_id INTEGER;
CREATE UNIQUE INDEX renders_by_item ON renders (item_id) WHERE item_id IS NOT NULL;
