-- API keys managed in D1 (SPEC 6), beside the bootstrap keys from configuration (INGEST_KEY, READ_KEY,
-- ADMIN_KEY). `id` is a UUIDv4; `scope` is what the key may do; `environment`, when set, is the one
-- environment the key may send events for or read events of. The secret (evident_shared::api_key) is
-- never stored: `hash` is the SHA-256 of it in lowercase hex, and `prefix` its first 11 characters to
-- recognise it in lists. `created_by` names the key that created it (a key id, or `config:admin`).
-- Times are milliseconds since the Unix epoch; `last_used_at` is kept to the minute (a key's use is
-- written at most once a minute), and a revoked key keeps its row with `revoked_at` set. The worker
-- keeps a tenant to 1,000 keys (MAX_PER_TENANT), counted in the statement that inserts.
-- Statements: evident_worker::keys.
CREATE TABLE api_keys (
    tenant       TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    scope        TEXT    NOT NULL CHECK (scope IN ('ingest', 'read', 'admin')),
    environment  TEXT,
    prefix       TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

-- Authentication: every request with a stored key looks it up by the hash of its secret.
CREATE UNIQUE INDEX api_keys_by_hash ON api_keys (hash);

-- The list, newest first (ties broken on the id, like events).
CREATE INDEX api_keys_by_created ON api_keys (tenant, created_at DESC, id DESC);
