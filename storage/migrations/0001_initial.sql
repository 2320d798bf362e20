-- Schema version 1. storage.schema.migrate wraps each file in BEGIN IMMEDIATE ... COMMIT
-- together with the PRAGMA user_version bump, so no transaction statements here.

CREATE TABLE users (
    id               INTEGER PRIMARY KEY,
    platform         TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    language         TEXT NOT NULL DEFAULT 'en',
    created_at       REAL NOT NULL,
    UNIQUE (platform, platform_user_id)
);

CREATE TABLE credentials (
    user_id         INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL,
    anon_token      TEXT,
    anon_user_id    TEXT,
    anon_expires_at REAL,
    login_token     TEXT
);

-- session_id is a 19-digit number as text: never let it become an INTEGER (or a float).
CREATE TABLE sessions (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    account    TEXT NOT NULL,
    session_id TEXT NOT NULL,
    task_id    TEXT,
    created_at REAL NOT NULL
);

-- AUTOINCREMENT: ids give the order of a user's queue and must never be reused after a prune.
CREATE TABLE inbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    platform      TEXT NOT NULL,
    update_id     TEXT NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'queued' CHECK (
        status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')
    ),
    reached_agent INTEGER NOT NULL DEFAULT 0 CHECK (reached_agent IN (0, 1)),
    created_at    REAL NOT NULL,
    finished_at   REAL,
    owner         TEXT,
    lease_expires REAL,
    UNIQUE (platform, update_id)
);
CREATE INDEX inbox_by_user ON inbox (user_id, status, id);
CREATE INDEX inbox_by_status ON inbox (status, lease_expires);
CREATE INDEX inbox_finished ON inbox (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE renders (
    render_id     TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat          TEXT NOT NULL,
    session_id    TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'created' CHECK (
        status IN ('created', 'pending', 'processing', 'completed', 'failed', 'cancelled',
                   'delivering', 'delivered')
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
CREATE INDEX renders_by_user ON renders (user_id, created_at);
CREATE INDEX renders_by_status ON renders (status);

CREATE TABLE usage (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    turns   INTEGER NOT NULL DEFAULT 0,
    images  INTEGER NOT NULL DEFAULT 0,
    exports INTEGER NOT NULL DEFAULT 0,
    uploads INTEGER NOT NULL DEFAULT 0
);
