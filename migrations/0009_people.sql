-- People, invites and sign-in sessions (SPEC 6). Statements: evident_worker::people and
-- evident_worker::sessions. Times are milliseconds since the Unix epoch; ids are UUIDv4.
--
-- A person belongs to one tenant, with one role. `email` is stored lowercased and is unique within a
-- tenant; it is also how a member's events are found (`events.actor_email`). `password` is
-- `pbkdf2-sha256$<iterations>$<salt hex>$<derived key hex>` (WebCrypto PBKDF2), or NULL
-- for someone who signs in only through Cloudflare Access.
CREATE TABLE people (
    tenant     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    email      TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'auditor', 'member')),
    password   TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE UNIQUE INDEX people_by_email ON people (tenant, email);
-- Sign-in knows only the e-mail, not the tenant.
CREATE INDEX people_by_any_email ON people (email);

-- An invite link works once, until `expires_at`. Only the SHA-256 (hex) of its token is kept.
CREATE TABLE invites (
    tenant     TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    email      TEXT    NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'auditor', 'member')),
    token_hash TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE UNIQUE INDEX invites_by_token ON invites (token_hash);

-- A signed-in browser. The cookie holds the token; only its SHA-256 (hex) is kept (the CSRF token is
-- derived from the token, so it needs no column). A session ends at `expires_at`, or after `IDLE_MS` without use (`last_seen_at` is
-- written at most once a minute), or at sign-out, or when its person is removed.
CREATE TABLE sessions (
    token_hash   TEXT    NOT NULL PRIMARY KEY,
    tenant       TEXT    NOT NULL,
    person_id    TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX sessions_by_person ON sessions (tenant, person_id);

-- Failed sign-ins per e-mail and per address, counted in windows, to throttle guessing. Keys are
-- `email:<lowercased e-mail>` and `ip:<address>`, for e-mails that exist or not alike.
CREATE TABLE sign_in_failures (
    key          TEXT    NOT NULL PRIMARY KEY,
    window_start INTEGER NOT NULL,
    failures     INTEGER NOT NULL
) WITHOUT ROWID;
