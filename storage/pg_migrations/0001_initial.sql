-- PostgreSQL schema version 1: the same tables as SQLite's schema 4. Times are epoch seconds
-- (double precision) from the store's clock, as on SQLite.

CREATE TABLE users (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform         TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    language         TEXT NOT NULL DEFAULT 'en',
    created_at       DOUBLE PRECISION NOT NULL,
    UNIQUE (platform, platform_user_id)
);

CREATE TABLE credentials (
    user_id         BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL,
    anon_token      TEXT,
    anon_user_id    TEXT,
    anon_expires_at DOUBLE PRECISION,
    login_token     TEXT
);

-- session_id is a 19-digit number kept as text.
CREATE TABLE sessions (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    account    TEXT NOT NULL,
    session_id TEXT NOT NULL,
    task_id    TEXT,
    created_at DOUBLE PRECISION NOT NULL
);

-- Identity ids give the order of a user's queue and are never reused.
CREATE TABLE inbox (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform      TEXT NOT NULL,
    update_id     TEXT NOT NULL,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'queued' CHECK (
        status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')
    ),
    reached_agent BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    DOUBLE PRECISION NOT NULL,
    finished_at   DOUBLE PRECISION,
    owner         TEXT,
    lease_expires DOUBLE PRECISION,
    lane          TEXT NOT NULL DEFAULT 'line' CHECK (lane IN ('line', 'side')),
    group_key     TEXT,
    UNIQUE (platform, update_id)
);
CREATE INDEX inbox_by_user ON inbox (user_id, status, id);
CREATE INDEX inbox_by_status ON inbox (status, lease_expires);
CREATE INDEX inbox_finished ON inbox (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX inbox_by_group ON inbox (user_id, group_key) WHERE group_key IS NOT NULL;

CREATE TABLE renders (
    render_id     TEXT PRIMARY KEY,
    seq           BIGINT GENERATED ALWAYS AS IDENTITY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
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
    submitted_at  DOUBLE PRECISION,
    finished_at   DOUBLE PRECISION,
    delivered     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    DOUBLE PRECISION NOT NULL,
    owner         TEXT,
    lease_expires DOUBLE PRECISION
);
CREATE INDEX renders_by_user ON renders (user_id, created_at);
CREATE INDEX renders_by_status ON renders (status);
CREATE INDEX renders_finished ON renders (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE usage (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    turns   BIGINT NOT NULL DEFAULT 0,
    images  BIGINT NOT NULL DEFAULT 0,
    exports BIGINT NOT NULL DEFAULT 0,
    uploads BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE images (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    media_key  TEXT NOT NULL,
    url        TEXT NOT NULL,
    prompt     TEXT NOT NULL DEFAULT '',
    posted     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DOUBLE PRECISION NOT NULL,
    UNIQUE (session_id, media_key)
);

CREATE TABLE access_rules (
    who    TEXT NOT NULL,
    rule   TEXT NOT NULL CHECK (rule IN ('ban', 'allow')),
    set_by TEXT NOT NULL,
    set_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (who, rule)
);

-- A payload that is not JSON (written by hand, or damaged) must not stop housekeeping.
CREATE FUNCTION nemobot_jsonb_or_null(value TEXT) RETURNS JSONB
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN value::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
