-- Send budgets counted for the whole bot: every worker's sends to a platform, a group or a
-- chat. One row per window (its key names the platform or the chat, and the rate) holds the
-- times of its last `count` sends, in order, on the database's clock, so workers on other
-- hosts agree. A send is stamped when it is done (`settle_sends`): a worker's delay between
-- the grant and the platform seeing the request then never lets two sends arrive closer
-- than the window allows. Until then its stamp is a hold in the future, which also keeps
-- the slot of a worker that died mid-send for a while. Rows idle for a window are pruned.
CREATE TABLE send_budgets (
    key TEXT PRIMARY KEY,
    stamps DOUBLE PRECISION[] NOT NULL DEFAULT '{}',
    idle_at DOUBLE PRECISION NOT NULL DEFAULT 0
);
CREATE INDEX send_budgets_by_idle ON send_budgets (idle_at);

-- Lock every key's row (creating it if new) in key order, so two callers never deadlock.
CREATE FUNCTION lock_send_budgets(p_keys TEXT[]) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    k TEXT;
BEGIN
    FOR k IN SELECT DISTINCT u.key FROM unnest(p_keys) AS u(key) ORDER BY u.key LOOP
        LOOP
            PERFORM 1 FROM send_budgets WHERE key = k FOR UPDATE;
            EXIT WHEN FOUND;
            INSERT INTO send_budgets (key) VALUES (k) ON CONFLICT DO NOTHING;
        END LOOP;
    END LOOP;
END
$$;

-- Take `p_cost` sends in every window if all allow them now (with `p_spares` slots left
-- free: a live preview's), stamped `p_hold` seconds ahead
-- until settled, and return 0; otherwise take nothing and return the seconds until they
-- might (a send still in flight is counted as if it ended now: the caller asks again).
CREATE FUNCTION reserve_sends(
    p_keys TEXT[], p_counts INTEGER[], p_pers DOUBLE PRECISION[], p_cost INTEGER,
    p_hold DOUBLE PRECISION, p_spares INTEGER[]
) RETURNS DOUBLE PRECISION LANGUAGE plpgsql AS $$
DECLARE
    i INTEGER;
    held DOUBLE PRECISION[];
    take INTEGER;
    now_s DOUBLE PRECISION;
    wait DOUBLE PRECISION := 0;
BEGIN
    PERFORM lock_send_budgets(p_keys);
    now_s := extract(epoch FROM clock_timestamp());  -- read with every lock held
    FOR i IN 1 .. cardinality(p_keys) LOOP
        SELECT stamps INTO held FROM send_budgets WHERE key = p_keys[i];
        -- A live preview must leave p_spares[i] slots free for results.
        take := least(p_cost + coalesce(p_spares[i], 0), p_counts[i]);
        IF cardinality(held) + take > p_counts[i] THEN
            wait := greatest(wait,
                least(held[cardinality(held) + take - p_counts[i]], now_s) + p_pers[i] - now_s);
        END IF;
    END LOOP;
    IF wait > 0 THEN
        RETURN wait;
    END IF;
    FOR i IN 1 .. cardinality(p_keys) LOOP
        take := least(p_cost, p_counts[i]);
        UPDATE send_budgets
        SET stamps = (stamps || array_fill(now_s + p_hold, ARRAY[take]))
                [greatest(1, cardinality(stamps) + take - p_counts[i] + 1):],
            idle_at = now_s + p_hold + p_pers[i]
        WHERE key = p_keys[i];
    END LOOP;
    DELETE FROM send_budgets WHERE key IN (
        SELECT key FROM send_budgets WHERE idle_at < now_s
        ORDER BY idle_at LIMIT 16 FOR UPDATE SKIP LOCKED
    );
    RETURN 0;
END
$$;

-- `p_cost` sends taken on these windows are done: stamp them now instead of their hold.
-- Which held stamps become "now" does not matter: every stamp still held stays later than
-- any send in flight, every settled one later than the send it stands for.
CREATE FUNCTION settle_sends(p_keys TEXT[], p_counts INTEGER[], p_cost INTEGER)
RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    i INTEGER;
    held DOUBLE PRECISION[];
    n INTEGER;
    now_s DOUBLE PRECISION;
BEGIN
    PERFORM lock_send_budgets(p_keys);
    now_s := extract(epoch FROM clock_timestamp());
    FOR i IN 1 .. cardinality(p_keys) LOOP
        SELECT stamps INTO held FROM send_budgets WHERE key = p_keys[i];
        n := cardinality(held);
        FOR j IN 1 .. least(p_cost, p_counts[i]) LOOP
            EXIT WHEN n < 1 OR held[n] <= now_s;
            held[n] := now_s;  -- the latest hold: stays in order after the sort below
            n := n - 1;
        END LOOP;
        UPDATE send_budgets SET stamps = ARRAY(SELECT s FROM unnest(held) AS s ORDER BY s)
        WHERE key = p_keys[i];
    END LOOP;
END
$$;
