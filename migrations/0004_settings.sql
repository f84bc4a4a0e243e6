-- Per-tenant settings, one JSON document per concern. `redaction` holds the tenant's redaction rules
-- (evident_shared::redact::RedactionRules); no row means the built-in defaults.
CREATE TABLE tenant_settings (
    tenant    TEXT NOT NULL PRIMARY KEY,
    redaction TEXT
) WITHOUT ROWID;
