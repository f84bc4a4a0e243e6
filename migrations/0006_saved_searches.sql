-- Saved searches (SPEC 4.2): a tenant's named search queries, so the dashboard can offer them again.
-- `id` is a UUIDv4 (evident_shared::saved_search::new_id); `q` is the query's canonical text
-- (evident_shared::query::print), checked by the parser before it is stored; `name` is trimmed, 1 to 100
-- characters, and unique within the tenant (compared exactly, case included). Times are milliseconds
-- since the Unix epoch. The worker keeps a tenant to 200 saved searches (MAX_PER_TENANT), counted in
-- the same statement that inserts.
-- Statements: evident_worker::routes::saved_searches.
CREATE TABLE saved_searches (
    tenant     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    q          TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, id),
    UNIQUE (tenant, name)
) WITHOUT ROWID;

-- The list, newest first (ties broken on the id, like events).
CREATE INDEX saved_searches_by_created ON saved_searches (tenant, created_at DESC, id DESC);
