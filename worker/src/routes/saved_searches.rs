//! `/api/v1/saved-searches` (SPEC 4.2): a tenant's named search queries.
//!
//! - `GET /api/v1/saved-searches`: 200, `{"saved_searches": [...]}`, newest first.
//! - `POST /api/v1/saved-searches` with `{"name", "q"}`: 201 and the saved search.
//! - `GET /api/v1/saved-searches/{id}`: 200, or 404.
//! - `PUT /api/v1/saved-searches/{id}` with `{"name", "q"}`: 200 and the saved search, or 404.
//! - `DELETE /api/v1/saved-searches/{id}`: 204, or 404.
//!
//! Bodies are checked by [`evident_shared::saved_search::read_input`]: a body that is not JSON is a 400
//! (`invalid_json`); unknown fields, a bad name or a query that does not parse are a 422
//! (`invalid_saved_search`) naming each field, the query's problem with its span. A name already taken
//! in the tenant is a 409 (`duplicate_name`), and so is a new saved search beyond
//! [`MAX_PER_TENANT`] (`too_many_saved_searches`).
//!
//! Who: they are shared by everyone who reads the whole log (owners, admins, auditors, read and admin
//! keys). Members neither see nor change them: their names and queries (`actor:bob@corp.com`) tell
//! of other people and of investigations. Saving, changing and deleting them is refused to keys
//! bound to one environment, like every power over the whole tenant. A saved search is a
//! convenience of the people reading the log, like a bookmark, and changes nothing about what is
//! stored or how; each change is still recorded (`saved_search.create`, `.update`, `.delete`, with
//! the name and query before and after), so a search the tenant relies on cannot be quietly
//! narrowed.
//!
//! Every statement is parameterised and has `tenant = ?1`, so one tenant never reads, changes or even
//! learns of another's saved searches: another tenant's id is a 404 like an unknown one. The table is
//! created by `migrations/0006_saved_searches.sql`.

use evident_shared::saved_search::{
    is_id, new_id, read_input, InputError, SavedSearch, SavedSearchInput, SavedSearchList,
    MAX_PER_TENANT,
};
use evident_shared::timestamp::format_rfc3339;
use evident_shared::FieldError;
use serde::Deserialize;
use worker::{D1Database, Env, Request, Response};

use crate::audit::{self, AccessEvent, Origin};
use crate::auth::{authorize, Caller};
use crate::error::{ApiError, Result};
use crate::respond;
use crate::routes::events::{query_pairs, read_body};
use crate::sql::SqlValue;
use crate::store::statement;
use evident_shared::roles::Power;

/// A tenant's saved searches, newest first. `?1` tenant, `?2` limit.
pub const SELECT_SAVED_SEARCHES: &str = "SELECT id, name, q, created_at, updated_at \
     FROM saved_searches WHERE tenant = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2";

/// One saved search. `?1` tenant, `?2` id.
pub const SELECT_SAVED_SEARCH: &str = "SELECT id, name, q, created_at, updated_at \
     FROM saved_searches WHERE tenant = ?1 AND id = ?2";

/// The id of the saved search with a name. `?1` tenant, `?2` name.
pub const SELECT_SAVED_SEARCH_NAMED: &str =
    "SELECT id FROM saved_searches WHERE tenant = ?1 AND name = ?2";

/// How many saved searches a tenant has. `?1` tenant.
pub const COUNT_SAVED_SEARCHES: &str = "SELECT count(*) AS n FROM saved_searches WHERE tenant = ?1";

/// Inserts a saved search unless the tenant already has `?6` of them or one with the name: counted
/// and inserted in one statement, so concurrent requests cannot pass the limit together. Returns the
/// row, or nothing when it was not inserted. `?1` tenant, `?2` id, `?3` name, `?4` q, `?5` now (ms),
/// `?6` the limit.
pub const INSERT_SAVED_SEARCH: &str = "INSERT INTO saved_searches \
     (tenant, id, name, q, created_at, updated_at) \
     SELECT ?1, ?2, ?3, ?4, ?5, ?5 \
     WHERE (SELECT count(*) FROM saved_searches WHERE tenant = ?1) < ?6 \
     ON CONFLICT DO NOTHING \
     RETURNING id, name, q, created_at, updated_at";

/// Replaces a saved search's name and query. `updated_at` always moves forward, by a millisecond at
/// least, so a change is visible even within the clock's resolution. Returns the row, or nothing when
/// there is no such saved search or the name is another's. `?1` tenant, `?2` id, `?3` name, `?4` q,
/// `?5` now (ms).
pub const UPDATE_SAVED_SEARCH: &str = "UPDATE OR IGNORE saved_searches \
     SET name = ?3, q = ?4, updated_at = max(?5, updated_at + 1) \
     WHERE tenant = ?1 AND id = ?2 \
     RETURNING id, name, q, created_at, updated_at";

/// Deletes a saved search. Returns its id, or nothing when there was none. `?1` tenant, `?2` id.
pub const DELETE_SAVED_SEARCH: &str =
    "DELETE FROM saved_searches WHERE tenant = ?1 AND id = ?2 RETURNING id";

/// A row as the statements return it: `id, name, q, created_at, updated_at`.
#[derive(Debug, Deserialize)]
struct Row {
    id: String,
    name: String,
    q: String,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_wire(self) -> SavedSearch {
        SavedSearch {
            id: self.id,
            name: self.name,
            q: self.q,
            created_at: format_rfc3339(self.created_at),
            updated_at: format_rfc3339(self.updated_at),
        }
    }
}

fn text(value: &str) -> SqlValue {
    SqlValue::Text(value.to_string())
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("there is no saved search `{id}`"))
}

/// Reads and checks a `POST` or `PUT` body.
async fn input(req: &mut Request) -> Result<SavedSearchInput> {
    let body = read_body(req).await?;
    read_input(&body).map_err(|error| match error {
        InputError::Json(message) => ApiError::BadRequest {
            code: "invalid_json",
            message,
        },
        InputError::Invalid(errors) => {
            let problems: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
            ApiError::Invalid {
                code: "invalid_saved_search",
                message: format!("the saved search is invalid: {}", problems.join("; ")),
                errors,
            }
        }
    })
}

/// The 409 for a name another saved search of the tenant holds.
async fn name_taken(db: &D1Database, tenant: &str, name: &str) -> Result<Response> {
    let holder = statement(db, SELECT_SAVED_SEARCH_NAMED, &[text(tenant), text(name)])?
        .first::<String>(Some("id"))
        .await?;
    let holder = holder.map(|id| format!(" ({id})")).unwrap_or_default();
    Err(ApiError::Conflict {
        code: "duplicate_name",
        message: format!(
            "`name`: a saved search named `{name}` already exists{holder}; names are unique, \
             so choose another or change that one"
        ),
        errors: vec![FieldError::new("/name", "the name is taken")],
    })
}

fn now() -> i64 {
    worker::js_sys::Date::now() as i64
}

pub async fn list(req: &Request, env: &Env) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadAllEvents).await?;
    if let Some((name, _)) = query_pairs(req)?.first() {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: format!(
                "unknown query parameter `{name}`; this endpoint takes none (it returns all of \
                 the tenant's saved searches, at most {MAX_PER_TENANT})"
            ),
        });
    }
    let db = env.d1("DB")?;
    let params = [text(&caller.tenant), SqlValue::Int(MAX_PER_TENANT as i64)];
    let rows: Vec<Row> = statement(&db, SELECT_SAVED_SEARCHES, &params)?
        .all()
        .await?
        .results()?;
    let list = SavedSearchList {
        saved_searches: rows.into_iter().map(Row::into_wire).collect(),
    };
    Ok(respond::json(200, &list))
}

/// Records a change to a saved search; `before` and `after` are its row before and after.
async fn record(
    req: &Request,
    env: &Env,
    caller: &Caller,
    before: Option<&Row>,
    after: Option<&Row>,
) -> Result<()> {
    let (verb, row) = match (before, after) {
        (None, Some(row)) => ("create", row),
        (Some(_), Some(row)) => ("update", row),
        (Some(row), None) => ("delete", row),
        (None, None) => return Ok(()),
    };
    let shape = |row: &Row| serde_json::json!({"name": row.name, "q": row.q});
    let mut payload = serde_json::Map::new();
    if let Some(row) = before {
        payload.insert("before".into(), shape(row));
    }
    if let Some(row) = after {
        payload.insert("after".into(), shape(row));
    }
    let event = AccessEvent {
        action: &format!("saved_search.{verb}"),
        outcome: "success",
        actor: audit::actor(caller),
        targets: vec![serde_json::json!({"type": "saved_search", "id": row.id, "name": row.name})],
        description: format!("{verb}d the saved search `{}`", row.name),
        payload,
    };
    audit::record(
        event.into_event(&Origin::request(req)),
        req,
        env,
        &caller.tenant,
    )
    .await
}

/// A saved search as it is now. `?1` tenant, `?2` id.
async fn current(db: &D1Database, tenant: &str, id: &str) -> Result<Option<Row>> {
    Ok(
        statement(db, SELECT_SAVED_SEARCH, &[text(tenant), text(id)])?
            .first(None)
            .await?,
    )
}

/// Puts a saved search back as it was, when its change could not be recorded: an unrecorded change
/// must not stand. `?1` tenant, then the row's columns.
const RESTORE_SAVED_SEARCH: &str = "INSERT INTO saved_searches \
     (tenant, id, name, q, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
     ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, q = excluded.q, \
     updated_at = excluded.updated_at";

/// Undoes a change whose record failed, then answers the record's error.
async fn undo(
    db: &D1Database,
    tenant: &str,
    before: Option<Row>,
    after: Option<&Row>,
    error: ApiError,
) -> Result<Response> {
    match (before, after) {
        (Some(row), _) => {
            let params = [
                text(tenant),
                text(&row.id),
                text(&row.name),
                text(&row.q),
                SqlValue::Int(row.created_at),
                SqlValue::Int(row.updated_at),
            ];
            statement(db, RESTORE_SAVED_SEARCH, &params)?.run().await?;
        }
        (None, Some(row)) => {
            statement(db, DELETE_SAVED_SEARCH, &[text(tenant), text(&row.id)])?
                .run()
                .await?;
        }
        (None, None) => {}
    }
    Err(error)
}

pub async fn create(mut req: Request, env: &Env) -> Result<Response> {
    let caller = authorize(&req, env, Power::ShareSearches).await?;
    let input = input(&mut req).await?;
    let mut random = [0u8; 16];
    getrandom::getrandom(&mut random)
        .map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    let db = env.d1("DB")?;
    let tenant = caller.tenant.as_str();
    let params = [
        text(tenant),
        text(&new_id(random)),
        text(&input.name),
        text(&input.q),
        SqlValue::Int(now()),
        SqlValue::Int(MAX_PER_TENANT as i64),
    ];
    let row: Option<Row> = statement(&db, INSERT_SAVED_SEARCH, &params)?
        .first(None)
        .await?;
    if let Some(row) = row {
        if let Err(error) = record(&req, env, &caller, None, Some(&row)).await {
            return undo(&db, tenant, None, Some(&row), error).await;
        }
        return Ok(respond::json(201, &row.into_wire()));
    }
    // Not inserted: the name is taken or the tenant is at its limit.
    let count = statement(&db, COUNT_SAVED_SEARCHES, &[text(tenant)])?
        .first::<u64>(Some("n"))
        .await?
        .unwrap_or(0);
    if count >= MAX_PER_TENANT as u64 {
        return Err(ApiError::Conflict {
            code: "too_many_saved_searches",
            message: format!(
                "this tenant already has {count} saved searches, the most it may keep is \
                 {MAX_PER_TENANT}; delete one before saving another"
            ),
            errors: vec![],
        });
    }
    name_taken(&db, tenant, &input.name).await
}

pub async fn get(req: &Request, env: &Env, id: &str) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadAllEvents).await?;
    if !is_id(id) {
        return Err(not_found(id));
    }
    let params = [text(&caller.tenant), text(id)];
    let row: Option<Row> = statement(&env.d1("DB")?, SELECT_SAVED_SEARCH, &params)?
        .first(None)
        .await?;
    match row {
        Some(row) => Ok(respond::json(200, &row.into_wire())),
        None => Err(not_found(id)),
    }
}

pub async fn update(mut req: Request, env: &Env, id: &str) -> Result<Response> {
    let caller = authorize(&req, env, Power::ShareSearches).await?;
    if !is_id(id) {
        return Err(not_found(id));
    }
    let input = input(&mut req).await?;
    let db = env.d1("DB")?;
    let tenant = caller.tenant.as_str();
    let before = current(&db, tenant, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let params = [
        text(tenant),
        text(id),
        text(&input.name),
        text(&input.q),
        SqlValue::Int(now()),
    ];
    let row: Option<Row> = statement(&db, UPDATE_SAVED_SEARCH, &params)?
        .first(None)
        .await?;
    if let Some(row) = row {
        let unchanged = row.name == before.name && row.q == before.q;
        if !unchanged {
            if let Err(error) = record(&req, env, &caller, Some(&before), Some(&row)).await {
                return undo(&db, tenant, Some(before), Some(&row), error).await;
            }
        }
        return Ok(respond::json(200, &row.into_wire()));
    }
    // Not updated: there is no such saved search (any more), or the new name is another's.
    match current(&db, tenant, id).await? {
        None => Err(not_found(id)),
        Some(_) => name_taken(&db, tenant, &input.name).await,
    }
}

pub async fn delete(req: &Request, env: &Env, id: &str) -> Result<Response> {
    let caller = authorize(req, env, Power::ShareSearches).await?;
    if !is_id(id) {
        return Err(not_found(id));
    }
    let db = env.d1("DB")?;
    let tenant = caller.tenant.as_str();
    let before = current(&db, tenant, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let deleted = statement(&db, DELETE_SAVED_SEARCH, &[text(tenant), text(id)])?
        .first::<String>(Some("id"))
        .await?;
    if deleted.is_none() {
        return Err(not_found(id));
    }
    if let Err(error) = record(req, env, &caller, Some(&before), None).await {
        return undo(&db, tenant, Some(before), None, error).await;
    }
    Ok(Response::empty()?.with_status(204))
}

/// The statements above against the real migrations in SQLite, natively: tenants stay apart, the
/// limit and unique names hold in the statements themselves, and the list reads its index.
#[cfg(test)]
mod tests {
    use rusqlite::{params_from_iter, Connection, OptionalExtension};

    use super::*;
    use crate::sqlite_tests::{database, to_sql};

    type Tuple = (String, String, String, i64, i64);

    /// The columns every statement returns, in [`Row`]'s order.
    const COLUMNS: &str = "id, name, q, created_at, updated_at";

    fn row(db: &Connection, sql: &str, params: &[SqlValue]) -> Option<Tuple> {
        db.query_row(sql, params_from_iter(params.iter().map(to_sql)), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()
        .unwrap()
    }

    fn insert(db: &Connection, tenant: &str, id: &str, name: &str, at: i64) -> Option<Tuple> {
        let params = [
            text(tenant),
            text(id),
            text(name),
            text("outcome:failure"),
            SqlValue::Int(at),
            SqlValue::Int(MAX_PER_TENANT as i64),
        ];
        row(db, INSERT_SAVED_SEARCH, &params)
    }

    fn ids(db: &Connection, tenant: &str) -> Vec<String> {
        let mut stmt = db.prepare(SELECT_SAVED_SEARCHES).unwrap();
        let params = [text(tenant), SqlValue::Int(MAX_PER_TENANT as i64)];
        stmt.query_map(params_from_iter(params.iter().map(to_sql)), |r| r.get(0))
            .unwrap()
            .map(std::result::Result::unwrap)
            .collect()
    }

    fn id(n: u8) -> String {
        new_id([n; 16])
    }

    #[test]
    fn statements_return_the_columns_rows_read() {
        for sql in [
            SELECT_SAVED_SEARCHES,
            SELECT_SAVED_SEARCH,
            INSERT_SAVED_SEARCH,
            UPDATE_SAVED_SEARCH,
        ] {
            assert!(sql.contains(COLUMNS), "{sql}");
        }
    }

    #[test]
    fn tenants_never_see_or_change_each_others() {
        let db = database();
        let a = insert(&db, "a", &id(1), "Failures", 1_000).unwrap();
        assert_eq!(
            a,
            (
                id(1),
                "Failures".into(),
                "outcome:failure".into(),
                1_000,
                1_000
            )
        );
        // The same name in another tenant is fine.
        assert!(insert(&db, "b", &id(2), "Failures", 2_000).is_some());
        assert_eq!(ids(&db, "a"), [id(1)]);
        assert_eq!(ids(&db, "b"), [id(2)]);
        assert!(row(&db, SELECT_SAVED_SEARCH, &[text("b"), text(&id(1))]).is_none());
        let rename = [
            text("b"),
            text(&id(1)),
            text("Mine"),
            text(""),
            SqlValue::Int(5_000),
        ];
        assert!(row(&db, UPDATE_SAVED_SEARCH, &rename).is_none());
        let deleted: Option<String> = db
            .query_row(DELETE_SAVED_SEARCH, ["b", id(1).as_str()], |r| r.get(0))
            .optional()
            .unwrap();
        assert!(deleted.is_none());
        assert_eq!(
            row(&db, SELECT_SAVED_SEARCH, &[text("a"), text(&id(1))]),
            Some(a)
        );
    }

    /// A change that could not be recorded is put back: a changed one as it was, a deleted one
    /// again, with its own times.
    #[test]
    fn restore_puts_back_a_changed_or_deleted_saved_search() {
        let db = database();
        let before = insert(&db, "a", &id(1), "Failures", 1_000).unwrap();
        let restore = |row: &Tuple| {
            let params = [
                text("a"),
                text(&row.0),
                text(&row.1),
                text(&row.2),
                SqlValue::Int(row.3),
                SqlValue::Int(row.4),
            ];
            db.execute(
                RESTORE_SAVED_SEARCH,
                params_from_iter(params.iter().map(to_sql)),
            )
            .unwrap();
        };
        let rename = [
            text("a"),
            text(&id(1)),
            text("Narrowed"),
            text("outcome:failure -actor:mallory"),
            SqlValue::Int(5_000),
        ];
        assert!(row(&db, UPDATE_SAVED_SEARCH, &rename).is_some());
        restore(&before);
        let get = || row(&db, SELECT_SAVED_SEARCH, &[text("a"), text(&id(1))]);
        assert_eq!(get().as_ref(), Some(&before));
        let deleted: String = db
            .query_row(DELETE_SAVED_SEARCH, ["a", id(1).as_str()], |r| r.get(0))
            .unwrap();
        assert_eq!(deleted, id(1));
        assert_eq!(get(), None);
        restore(&before);
        assert_eq!(get(), Some(before));
    }

    #[test]
    fn names_are_unique_within_a_tenant() {
        let db = database();
        insert(&db, "a", &id(1), "Failures", 1_000).unwrap();
        insert(&db, "a", &id(2), "Denied", 2_000).unwrap();
        assert!(insert(&db, "a", &id(3), "Failures", 3_000).is_none());
        let named: String = db
            .query_row(SELECT_SAVED_SEARCH_NAMED, ["a", "Failures"], |r| r.get(0))
            .unwrap();
        assert_eq!(named, id(1));
        // Renaming onto another's name changes nothing; onto its own name only bumps the time.
        let onto = |name: &str, at: i64| {
            let params = [
                text("a"),
                text(&id(2)),
                text(name),
                text("x"),
                SqlValue::Int(at),
            ];
            row(&db, UPDATE_SAVED_SEARCH, &params)
        };
        assert!(onto("Failures", 4_000).is_none());
        let same = onto("Denied", 1_500).unwrap();
        assert_eq!((same.1.as_str(), same.3, same.4), ("Denied", 2_000, 2_001));
        assert_eq!(onto("Renamed", 9_000).unwrap().4, 9_000);
        assert_eq!(ids(&db, "a"), [id(2), id(1)]);
    }

    #[test]
    fn the_limit_is_counted_by_the_insert() {
        let db = database();
        for n in 0..MAX_PER_TENANT {
            let name = format!("search {n}");
            assert!(insert(&db, "a", &format!("id-{n}"), &name, n as i64).is_some());
        }
        assert!(insert(&db, "a", &id(1), "one more", 10_000).is_none());
        assert!(insert(&db, "b", &id(1), "one more", 10_000).is_some());
        let count: i64 = db
            .query_row(COUNT_SAVED_SEARCHES, ["a"], |r| r.get(0))
            .unwrap();
        assert_eq!(count, MAX_PER_TENANT as i64);
        let newest = ids(&db, "a");
        assert_eq!(newest.len(), MAX_PER_TENANT);
        assert_eq!(newest[0], format!("id-{}", MAX_PER_TENANT - 1));
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
        let list = plan(&db, SELECT_SAVED_SEARCHES, &[text("a"), SqlValue::Int(200)]);
        assert!(list.contains("saved_searches_by_created"), "{list}");
        assert!(!list.contains("TEMP B-TREE"), "{list}");
        for sql in [SELECT_SAVED_SEARCH, DELETE_SAVED_SEARCH] {
            let p = plan(&db, sql, &[text("a"), text("x")]);
            assert!(p.contains("PRIMARY KEY (tenant=? AND id=?)"), "{sql}: {p}");
        }
        let named = plan(&db, SELECT_SAVED_SEARCH_NAMED, &[text("a"), text("x")]);
        assert!(named.contains("(tenant=? AND name=?)"), "{named}");
        let count = plan(&db, COUNT_SAVED_SEARCHES, &[text("a")]);
        assert!(count.contains("tenant=?"), "{count}");
    }
}
