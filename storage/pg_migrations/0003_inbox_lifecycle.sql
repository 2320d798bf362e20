-- PostgreSQL schema version 3 (SQLite's 5): the inbox item's lifecycle as states
-- (storage/lifecycle.py), the intent decided when a message is accepted, and the key that
-- drops a repeated button press.
ALTER TABLE inbox DROP CONSTRAINT inbox_status_check;
UPDATE inbox SET status = CASE WHEN reached_agent THEN 'sending' ELSE 'claimed' END
    WHERE status = 'running';
UPDATE inbox SET status = 'reported' WHERE status = 'interrupted';
ALTER TABLE inbox ADD CONSTRAINT inbox_status_check CHECK (
    status IN ('queued', 'claimed', 'sending', 'reporting',
               'done', 'failed', 'cancelled', 'reported', 'resent')
);
ALTER TABLE inbox ADD COLUMN intent TEXT;
ALTER TABLE inbox ADD COLUMN press_key TEXT;
CREATE INDEX inbox_by_press ON inbox (user_id, press_key) WHERE press_key IS NOT NULL;

-- The export message a render was made for: one render per message, however often the
-- message is run (a worker that takes over a message never reached by the agent runs it again).
ALTER TABLE renders ADD COLUMN item_id BIGINT;
CREATE UNIQUE INDEX renders_by_item ON renders (item_id) WHERE item_id IS NOT NULL;
