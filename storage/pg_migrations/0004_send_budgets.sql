-- Send budgets counted for the whole bot: every worker's sends to a platform, a group or a
-- chat. One row per window (its key names the platform or the chat, and the rate) holds the
-- times of its last `count` sends, oldest first, on the database's clock, so workers on other
-- hosts agree. A row whose newest send has left its window says nothing and is pruned.
CREATE TABLE send_budgets (
    key TEXT PRIMARY KEY,
    stamps DOUBLE PRECISION[] NOT NULL DEFAULT '{}',
    idle_at DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX send_budgets_by_idle ON send_budgets (idle_at);

-- Take `p_cost` sends in every window if all allow them now and return 0; otherwise take
-- nothing and return the seconds until they might. Rows are locked in key order, so two
-- reservers never deadlock; idle rows are pruned without waiting for anyone (SKIP LOCKED).
CREATE FUNCTION reserve_sends(
    p_keys TEXT[], p_counts INTEGER[], p_pers DOUBLE PRECISION[], p_cost INTEGER
) RETURNS DOUBLE PRECISION LANGUAGE plpgsql AS $$
DECLARE
    i INTEGER;
    held DOUBLE PRECISION[];
    take INTEGER;
    now_s DOUBLE PRECISION;
    wait DOUBLE PRECISION := 0;
BEGIN
    FOR i IN SELECT k.o FROM unnest(p_keys) WITH ORDINALITY AS k(key, o) ORDER BY k.key LOOP
        LOOP
            PERFORM 1 FROM send_budgets WHERE key = p_keys[i] FOR UPDATE;
            EXIT WHEN FOUND;
            INSERT INTO send_budgets (key) VALUES (p_keys[i]) ON CONFLICT DO NOTHING;
        END LOOP;
    END LOOP;
    -- Read after every lock is held: each window's stamps only grow.
    now_s := extract(epoch FROM clock_timestamp());
    FOR i IN 1 .. cardinality(p_keys) LOOP
        SELECT stamps INTO held FROM send_budgets WHERE key = p_keys[i];
        take := least(p_cost, p_counts[i]);
        IF cardinality(held) + take > p_counts[i] THEN
            wait := greatest(wait, held[cardinality(held) + take - p_counts[i]] + p_pers[i] - now_s);
        END IF;
    END LOOP;
    IF wait > 0 THEN
        RETURN wait;
    END IF;
    FOR i IN 1 .. cardinality(p_keys) LOOP
        take := least(p_cost, p_counts[i]);
        UPDATE send_budgets
        SET stamps = (stamps || array_fill(now_s, ARRAY[take]))
                [greatest(1, cardinality(stamps) + take - p_counts[i] + 1):],
            idle_at = now_s + p_pers[i]
        WHERE key = p_keys[i];
    END LOOP;
    DELETE FROM send_budgets WHERE key IN (
        SELECT key FROM send_budgets WHERE idle_at < now_s
        ORDER BY idle_at LIMIT 16 FOR UPDATE SKIP LOCKED
    );
    RETURN 0;
END
$$;
