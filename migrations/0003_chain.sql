-- The tenant hash chain (SPEC 3.5) and idempotent ingestion (SPEC 3.1).
--
-- `seq` is the event's position in its tenant's chain, assigned by the tenant's sequencer (a Durable
-- Object, the single writer); the body holds `seq`, `prev_hash` and `hash` too, and is what the hash
-- covers. The unique index makes a fork impossible even if two writers ever ran at once: the second
-- insert of a `seq` fails and its whole batch rolls back.
--
-- Rows stored before this migration (a local database from an earlier build) have no `seq`; verify
-- reports them as outside the chain. Deployed databases never held such rows.
ALTER TABLE events ADD COLUMN seq INTEGER;

CREATE UNIQUE INDEX events_by_seq ON events (tenant, seq);

-- One stored event per sender key: a retried request finds the original instead of storing it again.
CREATE UNIQUE INDEX events_by_idempotency_key ON events (tenant, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Each tenant's last sealed event, written in the same transaction as the events. The sequencer starts
-- from it, and verify compares it with the last row, so removing the newest events is noticed too.
CREATE TABLE chain_heads (
    tenant TEXT    NOT NULL PRIMARY KEY,
    seq    INTEGER NOT NULL,
    hash   TEXT    NOT NULL
) WITHOUT ROWID;
