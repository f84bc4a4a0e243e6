-- Events: one row per stored audit event, for every tenant.
--
-- `body` holds the canonical event JSON exactly as served by the API; the other columns copy the fields
-- that queries filter and sort on, so that no query has to parse JSON. Times are integer milliseconds
-- since the Unix epoch. A rowid table (not WITHOUT ROWID) because bodies are large and full-text
-- search will key on the rowid.
CREATE TABLE events (
    tenant          TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    occurred_at     INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    action          TEXT    NOT NULL,
    category        TEXT    NOT NULL,
    outcome         TEXT    NOT NULL,
    severity        TEXT    NOT NULL,
    actor_type      TEXT    NOT NULL,
    actor_id        TEXT    NOT NULL,
    actor_email     TEXT,
    environment     TEXT,
    workspace       TEXT,
    ip              TEXT,
    idempotency_key TEXT,
    body            TEXT    NOT NULL
);

-- Lookup by id, and the uniqueness of ids within a tenant.
CREATE UNIQUE INDEX events_by_id ON events (tenant, id);

-- The list: newest first, keyset pagination on (occurred_at, id).
CREATE INDEX events_by_time ON events (tenant, occurred_at DESC, id DESC);

-- The list filtered by actor (id or e-mail) or by action, still newest first.
CREATE INDEX events_by_actor_id ON events (tenant, actor_id, occurred_at DESC, id DESC);
CREATE INDEX events_by_actor_email ON events (tenant, actor_email, occurred_at DESC, id DESC);
CREATE INDEX events_by_action ON events (tenant, action, occurred_at DESC, id DESC);
