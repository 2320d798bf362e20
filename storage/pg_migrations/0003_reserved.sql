-- reserved (placeholder for the migration being written in parallel; a comment alone is an
-- empty query, which asyncpg cannot run, hence the no-op below)
SELECT 1;
