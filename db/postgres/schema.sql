-- PostgreSQL schema and seed of the contract. Idempotent: applied on every `loadtest up`.
CREATE TABLE IF NOT EXISTS devices (
    id         BIGSERIAL PRIMARY KEY,
    uuid       UUID NOT NULL UNIQUE,
    mac        TEXT NOT NULL,
    firmware   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The client's Idempotency-Key of POST /api/devices, when it sent one. The unique index is
-- partial: a request without a key (the benchmark's own load) adds no index entry.
ALTER TABLE devices ADD COLUMN IF NOT EXISTS idempotency_key TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS devices_idempotency_key ON devices (idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE IF NOT EXISTS users (
    user_id    INTEGER PRIMARY KEY,
    username   TEXT NOT NULL,
    email      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Exactly 2000 deterministic users: the same data on every run.
INSERT INTO users (user_id, username, email, created_at)
SELECT i,
       'user_' || lpad(i::text, 4, '0'),
       'user_' || lpad(i::text, 4, '0') || '@example.com',
       TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '1 minute'
FROM generate_series(1, 2000) AS i
ON CONFLICT (user_id) DO NOTHING;
DELETE FROM users WHERE user_id > 2000 OR user_id < 1;
