-- Schema version 4: who operators banned or let in, set with /ban, /unban, /allow, /deny.
-- `who` is "platform:id" or a bare id (any platform), as the operator wrote it.

CREATE TABLE access_rules (
    who     TEXT NOT NULL,
    rule    TEXT NOT NULL CHECK (rule IN ('ban', 'allow')),
    set_by  TEXT NOT NULL,
    set_at  REAL NOT NULL,
    PRIMARY KEY (who, rule)
);
-- Housekeeping prunes finished renders by when they finished.
CREATE INDEX renders_finished ON renders (finished_at) WHERE finished_at IS NOT NULL;
