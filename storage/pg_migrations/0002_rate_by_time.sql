-- The per-user rate counts a user's messages of the last minute on every message stored.
CREATE INDEX inbox_by_user_time ON inbox (user_id, created_at);
