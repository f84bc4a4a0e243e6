-- Signed page cursors (worker/src/signed_cursor.rs): each tenant's key for the MAC that every
-- `next_cursor` carries, so a later page can only follow a first page the API served and recorded.
-- 32 random bytes, made by the worker on first use and never changed.
ALTER TABLE tenant_settings ADD COLUMN cursor_key BLOB;
