//! API keys stored in D1 (`migrations/0007_api_keys.sql`): finding the key behind a secret for
//! [`crate::auth`], and creating, listing and revoking keys for `/api/v1/keys`. Only the SHA-256 of a
//! secret is stored ([`evident_shared::api_key`]); the statements are in [`crate::sql`], every one
//! tenant-scoped except the lookup by hash, which is what tells the tenant.

use evident_shared::api_key::{
    display_prefix, hash_secret, new_secret, ApiKey, ApiKeyInput, KeyScope, MAX_PER_TENANT,
    RANDOM_BYTES,
};
use evident_shared::timestamp::format_rfc3339;
use serde::Deserialize;
use worker::D1Database;

use crate::auth::{Actor, Caller, Grant};
use crate::error::{ApiError, Result};
use crate::sql::{
    SqlValue, COUNT_KEYS, INSERT_KEY, REVOKE_KEY, SELECT_KEY, SELECT_KEYS, SELECT_KEY_BY_HASH,
    TOUCH_KEY,
};
use crate::store::statement;

/// How stale a key's recorded last use may get before a request writes it again.
pub const LAST_USE_RESOLUTION_MS: i64 = 60_000;

fn text(value: &str) -> SqlValue {
    SqlValue::Text(value.to_string())
}

/// A key's shown columns, as [`INSERT_KEY`], [`SELECT_KEYS`], [`SELECT_KEY`] and [`REVOKE_KEY`]
/// return them.
#[derive(Debug, Deserialize)]
pub struct Row {
    id: String,
    name: String,
    scope: String,
    environment: Option<String>,
    prefix: String,
    created_at: i64,
    created_by: String,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl Row {
    fn into_wire(self) -> Result<ApiKey> {
        Ok(ApiKey {
            scope: scope(&self.scope)?,
            id: self.id,
            name: self.name,
            environment: self.environment,
            prefix: self.prefix,
            created_at: format_rfc3339(self.created_at),
            created_by: self.created_by,
            last_used_at: self.last_used_at.map(format_rfc3339),
            revoked_at: self.revoked_at.map(format_rfc3339),
        })
    }
}

fn scope(text: &str) -> Result<KeyScope> {
    KeyScope::parse(text).ok_or_else(|| ApiError::Internal(format!("stored key scope `{text}`")))
}

/// What authentication reads of a key.
#[derive(Debug, Deserialize)]
struct Credential {
    tenant: String,
    id: String,
    name: String,
    scope: String,
    environment: Option<String>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

/// The caller behind a well-formed secret: 401 when no key has it or the key is revoked. Records the
/// key's use when the recorded one is a minute old or more, so most requests only read.
pub async fn authenticate(db: &D1Database, secret: &str, now: i64) -> Result<Caller> {
    let found: Option<Credential> =
        statement(db, SELECT_KEY_BY_HASH, &[text(&hash_secret(secret))])?
            .first(None)
            .await?;
    let key = found.ok_or_else(|| ApiError::Unauthorized("the key is not valid".into()))?;
    if let Some(revoked_at) = key.revoked_at {
        return Err(ApiError::Unauthorized(format!(
            "this key (`{}`) was revoked at {}; ask an admin for a new one",
            key.name,
            format_rfc3339(revoked_at)
        )));
    }
    if key
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USE_RESOLUTION_MS)
    {
        let params = [text(&key.tenant), text(&key.id), SqlValue::Int(now)];
        statement(db, TOUCH_KEY, &params)?.run().await?;
    }
    Ok(Caller {
        grant: Grant::Scope(scope(&key.scope)?),
        tenant: key.tenant,
        actor: Actor {
            kind: "api_key",
            id: key.id,
            name: key.name,
            email: None,
        },
        environment: key.environment,
        session: None,
    })
}

/// Creates a key for `creator`'s tenant: the key and its secret, or `None` when the tenant already
/// has [`MAX_PER_TENANT`] keys.
pub async fn create(
    db: &D1Database,
    creator: &Caller,
    input: &ApiKeyInput,
    id: &str,
    now: i64,
) -> Result<Option<(ApiKey, String)>> {
    let secret = secret()?;
    let params = [
        text(&creator.tenant),
        text(id),
        text(&input.name),
        text(input.scope.as_str()),
        text(input.environment.as_deref().unwrap_or("")),
        text(&display_prefix(&secret)),
        text(&hash_secret(&secret)),
        SqlValue::Int(now),
        text(&creator.actor.id),
        SqlValue::Int(MAX_PER_TENANT as i64),
    ];
    let row: Option<Row> = statement(db, INSERT_KEY, &params)?.first(None).await?;
    row.map(|row| Ok((row.into_wire()?, secret))).transpose()
}

/// A fresh secret from the platform's randomness.
fn secret() -> Result<String> {
    for _ in 0..4 {
        let mut random = [0u8; RANDOM_BYTES];
        getrandom::getrandom(&mut random)
            .map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
        if let Some(secret) = new_secret(&random) {
            return Ok(secret);
        }
    }
    Err(ApiError::Internal("the randomness looks broken".into()))
}

/// How many keys a tenant has, revoked ones included.
pub async fn count(db: &D1Database, tenant: &str) -> Result<u64> {
    Ok(statement(db, COUNT_KEYS, &[text(tenant)])?
        .first::<u64>(Some("n"))
        .await?
        .unwrap_or(0))
}

/// Every key of a tenant in force, newest first, then as many revoked ones.
pub async fn list(db: &D1Database, tenant: &str) -> Result<Vec<ApiKey>> {
    let params = [text(tenant), SqlValue::Int(MAX_PER_TENANT as i64)];
    let mut rows: Vec<Row> = statement(db, SELECT_KEYS, &params)?
        .all()
        .await?
        .results()?;
    // Stable: each part keeps its own order.
    rows.sort_by_key(|row| row.revoked_at.is_some());
    rows.into_iter().map(Row::into_wire).collect()
}

/// One key of a tenant.
pub async fn get(db: &D1Database, tenant: &str, id: &str) -> Result<Option<ApiKey>> {
    let row: Option<Row> = statement(db, SELECT_KEY, &[text(tenant), text(id)])?
        .first(None)
        .await?;
    row.map(Row::into_wire).transpose()
}

/// Revokes a key: the key as revoked, or `None` when it does not exist or was revoked already.
pub async fn revoke(db: &D1Database, tenant: &str, id: &str, now: i64) -> Result<Option<ApiKey>> {
    let params = [text(tenant), text(id), SqlValue::Int(now)];
    let row: Option<Row> = statement(db, REVOKE_KEY, &params)?.first(None).await?;
    row.map(Row::into_wire).transpose()
}

/// The statements against the real migrations in SQLite, natively: tenants stay apart, the limit
/// holds in the insert itself, revoking keeps the row, last use is written at most once a minute, and
/// every statement reads an index.
#[cfg(test)]
mod tests {
    use rusqlite::{params_from_iter, Connection};

    use crate::sql::SqlValue;
    use crate::sqlite_tests::{database, to_sql};

    use super::*;

    fn insert(db: &Connection, tenant: &str, id: &str, hash: &str, at: i64, limit: i64) -> bool {
        let params = [
            text(tenant),
            text(id),
            text("CI"),
            text("ingest"),
            text(""),
            text("evd_sk_abcd"),
            text(hash),
            SqlValue::Int(at),
            text("config:admin"),
            SqlValue::Int(limit),
        ];
        let mut stmt = db.prepare(INSERT_KEY).unwrap();
        let mut rows = stmt
            .query(params_from_iter(params.iter().map(to_sql)))
            .unwrap();
        rows.next().unwrap().is_some()
    }

    fn ids(db: &Connection, tenant: &str) -> Vec<String> {
        let mut stmt = db.prepare(SELECT_KEYS).unwrap();
        stmt.query_map(rusqlite::params![tenant, 100], |r| r.get(0))
            .unwrap()
            .map(std::result::Result::unwrap)
            .collect()
    }

    fn last_used(db: &Connection, id: &str) -> Option<i64> {
        db.query_row(
            "SELECT last_used_at FROM api_keys WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn keys_are_per_tenant_and_revoking_keeps_the_row() {
        let db = database();
        assert!(insert(&db, "a", "k1", "h1", 1_000, 10));
        assert!(insert(&db, "a", "k2", "h2", 2_000, 10));
        assert!(insert(&db, "b", "k3", "h3", 3_000, 10));
        assert_eq!(ids(&db, "a"), ["k2", "k1"]);
        assert_eq!(ids(&db, "b"), ["k3"]);
        // Another tenant can neither read nor revoke it.
        let other: Option<String> = db.query_row(SELECT_KEY, ["b", "k1"], |r| r.get(0)).ok();
        assert_eq!(other, None);
        let revoke = |tenant: &str, at: i64| -> Option<i64> {
            db.query_row(REVOKE_KEY, rusqlite::params![tenant, "k1", at], |r| {
                r.get(8)
            })
            .ok()
        };
        assert_eq!(revoke("b", 5_000), None);
        assert_eq!(revoke("a", 5_000), Some(5_000));
        // Revoking again changes nothing: the first time stays.
        assert_eq!(revoke("a", 6_000), None);
        assert_eq!(ids(&db, "a"), ["k2", "k1"]);
        let (tenant, revoked_at): (String, i64) = db
            .query_row(SELECT_KEY_BY_HASH, ["h1"], |r| Ok((r.get(0)?, r.get(6)?)))
            .unwrap();
        assert_eq!((tenant.as_str(), revoked_at), ("a", 5_000));
    }

    #[test]
    fn the_limit_and_unique_hashes_hold_in_the_insert() {
        let db = database();
        assert!(insert(&db, "a", "k1", "h1", 1_000, 2));
        assert!(insert(&db, "a", "k2", "h2", 2_000, 2));
        assert!(!insert(&db, "a", "k3", "h3", 3_000, 2));
        let n: i64 = db.query_row(COUNT_KEYS, ["a"], |r| r.get(0)).unwrap();
        assert_eq!(n, 2);
        // The same hash twice is refused by the index, whatever the tenant.
        let params = [
            text("b"),
            text("k4"),
            text("n"),
            text("read"),
            text("prod"),
            text("p"),
            text("h1"),
            SqlValue::Int(1),
            text("x"),
            SqlValue::Int(10),
        ];
        assert!(db
            .execute(
                INSERT_KEY.split(" RETURNING").next().unwrap(),
                params_from_iter(params.iter().map(to_sql))
            )
            .is_err());
        // The environment is stored, '' as none, and a scope outside the three is refused.
        let env: Option<String> = db
            .query_row(
                "SELECT environment FROM api_keys WHERE id = 'k1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(env, None);
        assert!(db
            .execute(
                "INSERT INTO api_keys (tenant, id, name, scope, prefix, hash, created_at, created_by) \
                 VALUES ('a', 'x', 'n', 'root', 'p', 'hx', 1, 'c')",
                []
            )
            .is_err());
    }

    #[test]
    fn last_use_is_written_at_most_once_a_minute() {
        let db = database();
        insert(&db, "a", "k1", "h1", 1_000, 10);
        let touch = |at: i64| {
            db.execute(TOUCH_KEY, rusqlite::params!["a", "k1", at])
                .unwrap()
        };
        assert_eq!(touch(10_000), 1);
        assert_eq!(last_used(&db, "k1"), Some(10_000));
        assert_eq!(touch(10_000 + LAST_USE_RESOLUTION_MS - 1), 0);
        assert_eq!(last_used(&db, "k1"), Some(10_000));
        assert_eq!(touch(10_000 + LAST_USE_RESOLUTION_MS), 1);
        assert_eq!(last_used(&db, "k1"), Some(70_000));
        // Another tenant's key of the same id is not touched.
        assert_eq!(
            db.execute(TOUCH_KEY, rusqlite::params!["b", "k1", 999_999])
                .unwrap(),
            0
        );
    }

    fn plan(db: &Connection, sql: &str, params: &[SqlValue]) -> String {
        let mut stmt = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        stmt.query_map(params_from_iter(params.iter().map(to_sql)), |r| {
            r.get::<_, String>(3)
        })
        .unwrap()
        .map(std::result::Result::unwrap)
        .collect::<Vec<_>>()
        .join("\n")
    }

    #[test]
    fn every_statement_reads_an_index() {
        let db = database();
        let by_hash = plan(&db, SELECT_KEY_BY_HASH, &[text("h")]);
        assert!(by_hash.contains("api_keys_by_hash"), "{by_hash}");
        let list = plan(&db, SELECT_KEYS, &[text("a"), SqlValue::Int(10)]);
        assert!(list.contains("api_keys_by_created"), "{list}");
        assert!(!list.contains("TEMP B-TREE"), "{list}");
        for (sql, params) in [
            (SELECT_KEY, vec![text("a"), text("x")]),
            (REVOKE_KEY, vec![text("a"), text("x"), SqlValue::Int(1)]),
            (TOUCH_KEY, vec![text("a"), text("x"), SqlValue::Int(1)]),
        ] {
            let p = plan(&db, sql, &params);
            assert!(p.contains("PRIMARY KEY (tenant=? AND id=?)"), "{sql}: {p}");
        }
    }
}
