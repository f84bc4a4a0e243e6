//! The D1 side: runs the statements of [`crate::sql`] with bound values and reads the rows back.
//! Only this module and the route handlers touch JavaScript types.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use evident_shared::cursor::Cursor;
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::error::{ApiError, Result};
use crate::seal::{Head, Plan, Stored};
use crate::sql::{
    plan_statements, ListQuery, Reach, SqlValue, COUNT_UNSEALED, INSERT_DICTIONARY, PING,
    SELECT_BODY_AT, SELECT_CHAIN_HEAD, SELECT_CHAIN_RANGE, SELECT_DICTIONARIES, SELECT_EVENT,
    SELECT_IDEMPOTENT, SELECT_REDACTION, SELECT_RESOURCE_HISTORY, SELECT_TRAINING_BODIES,
    UPSERT_REDACTION,
};
use crate::stored_body::{
    self, decode, dictionaries_from_hex, DecodeError, Dictionaries, Dictionary,
};
use crate::verify::ChainRow;

/// Largest JSON text bound to one insert. D1 limits a bound value to 2 MB; half leaves headroom.
pub const MAX_CHUNK_BYTES: usize = 1_000_000;

/// What the pages of a long read (an export, a verify) aim to hold in event bodies. A demo event is
/// about 1.5 KB, but an event may be 64 KiB and compress badly: a page of 1,000 such rows, their
/// stored hex and their text, would not fit in a Worker's 128 MB.
pub const PAGE_BODY_BYTES: usize = 4 << 20;

/// The rows a long read asks for first: [`PAGE_BODY_BYTES`] of the largest events there may be.
pub const FIRST_PAGE_ROWS: u32 = 64;

/// The rows to ask for next, after a page whose largest body was `largest` bytes: as many such bodies
/// as [`PAGE_BODY_BYTES`] holds, from [`FIRST_PAGE_ROWS`] to `max`.
pub fn next_page_rows(largest: usize, max: u32) -> u32 {
    let rows = PAGE_BODY_BYTES / largest.max(1);
    rows.clamp(FIRST_PAGE_ROWS as usize, max as usize) as u32
}

fn js(value: &SqlValue) -> JsValue {
    match value {
        SqlValue::Text(text) => JsValue::from_str(text),
        SqlValue::Int(n) => JsValue::from_f64(*n as f64),
        SqlValue::Null => JsValue::NULL,
    }
}

/// The most values D1 binds to one query (Cloudflare's documented limit). Local D1 takes far more,
/// so the worker counts them itself: a search with too many comma-separated values or terms is
/// the client's 400, not a 500 in production only.
pub const MAX_BOUND: usize = 100;

fn too_many_bound(count: usize) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_query",
        message: format!(
            "`q` needs {count} values bound to one database query, and D1 takes at most \
             {MAX_BOUND}: search with fewer terms or comma-separated values"
        ),
    }
}

/// A prepared statement with its values bound.
pub(crate) fn statement(
    db: &D1Database,
    sql: &str,
    params: &[SqlValue],
) -> Result<D1PreparedStatement> {
    if params.len() > MAX_BOUND {
        return Err(too_many_bound(params.len()));
    }
    let values: Vec<JsValue> = params.iter().map(js).collect();
    Ok(db.prepare(sql).bind(&values)?)
}

/// A tenant's chain head as stored, or the genesis head for a tenant with no events.
pub async fn chain_head(db: &D1Database, tenant: &str) -> Result<Head> {
    let head: Option<Head> = statement(db, SELECT_CHAIN_HEAD, &[SqlValue::Text(tenant.into())])?
        .first(None)
        .await?;
    Ok(head.unwrap_or_else(Head::genesis))
}

#[derive(Deserialize)]
struct StoredRow {
    key: String,
    id: String,
    seq: Option<u64>,
    body: String,
}

/// Events already stored under any of `keys`.
pub async fn find_stored(
    db: &D1Database,
    tenant: &str,
    keys: &[&str],
) -> Result<HashMap<String, Stored>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let params = [
        SqlValue::Text(tenant.into()),
        SqlValue::Text(serde_json::to_string(keys).unwrap_or_default()),
    ];
    let mut rows: Vec<StoredRow> = statement(db, SELECT_IDEMPOTENT, &params)?
        .all()
        .await?
        .results()?;
    // Read back to tell a retry from another event under the same key (seal::same_event).
    let bodies = rows
        .iter_mut()
        .map(|r| std::mem::take(&mut r.body))
        .collect();
    let bodies = read_back(db, tenant, bodies).await?;
    Ok(rows
        .into_iter()
        .zip(bodies)
        .map(|(r, body)| {
            let body = body
                .map_err(|error| {
                    // Taken for the same event: the repeat is answered as a duplicate.
                    worker::console_warn!("stored body of `{}` unreadable: {error}", r.id);
                })
                .ok();
            let stored = Stored {
                id: r.id,
                seq: r.seq.unwrap_or(0),
                body,
            };
            (r.key, stored)
        })
        .collect())
}

/// Writes a sealing plan in one transaction: every insert, then the new chain head. Either all of it
/// is stored or none of it.
pub async fn write_plan(db: &D1Database, tenant: &str, plan: &Plan) -> Result<()> {
    if plan.chunks.is_empty() {
        return Ok(());
    }
    let statements = plan_statements(tenant, plan)
        .iter()
        .map(|(sql, params)| statement(db, sql, params))
        .collect::<Result<Vec<_>>>()?;
    let results = db.batch(statements).await?;
    match results.iter().find_map(|r| r.error()) {
        Some(error) => Err(ApiError::Internal(format!("insert failed: {error}"))),
        None => Ok(()),
    }
}

/// A tenant's body dictionaries by id, as stored.
pub async fn load_dictionaries(db: &D1Database, tenant: &str) -> Result<Dictionaries> {
    #[derive(Deserialize)]
    struct Row {
        id: u32,
        dictionary: String,
    }
    let rows: Vec<Row> = statement(db, SELECT_DICTIONARIES, &[SqlValue::Text(tenant.into())])?
        .all()
        .await?
        .results()?;
    dictionaries_from_hex(rows.into_iter().map(|r| (r.id, r.dictionary)))
        .map_err(|e| ApiError::Internal(format!("a stored dictionary: {e}")))
}

thread_local! {
    /// Each tenant's body dictionaries as last read. A dictionary never changes once stored, so a
    /// cached one stays right; a body that names one not cached yet makes its tenant's be read again.
    static DICTIONARIES: RefCell<HashMap<String, Rc<Dictionaries>>> =
        RefCell::new(HashMap::new());
}

/// The tenant's dictionaries, with every one that `bodies` need.
async fn dictionaries_for(
    db: &D1Database,
    tenant: &str,
    bodies: &[&str],
) -> Result<Rc<Dictionaries>> {
    let cached = DICTIONARIES.with(|d| d.borrow().get(tenant).cloned());
    let needed = || bodies.iter().filter_map(|b| stored_body::dictionary_id(b));
    if let Some(known) = &cached {
        if needed().all(|id| known.contains_key(&id)) {
            return Ok(Rc::clone(known));
        }
    } else if needed().next().is_none() {
        return Ok(Rc::new(HashMap::new()));
    }
    let loaded = Rc::new(load_dictionaries(db, tenant).await?);
    DICTIONARIES.with(|d| {
        d.borrow_mut()
            .insert(tenant.to_string(), Rc::clone(&loaded))
    });
    Ok(loaded)
}

/// Stored bodies ([`crate::sql::BODY`]) of one tenant read back: each as canonical JSON, or why it
/// cannot be.
async fn read_back(
    db: &D1Database,
    tenant: &str,
    bodies: Vec<String>,
) -> Result<Vec<std::result::Result<String, DecodeError>>> {
    let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let dictionaries = dictionaries_for(db, tenant, &refs).await?;
    Ok(bodies
        .into_iter()
        .map(|body| decode(body, &dictionaries))
        .collect())
}

/// Stored bodies of one tenant as canonical JSON; one that cannot be read back is an error.
async fn decode_bodies(db: &D1Database, tenant: &str, bodies: Vec<String>) -> Result<Vec<String>> {
    read_back(db, tenant, bodies)
        .await?
        .into_iter()
        .map(|body| body.map_err(|e| ApiError::Internal(e.to_string())))
        .collect()
}

/// Stored bodies at the chain positions a dictionary is trained from, as canonical JSON.
pub async fn training_bodies(db: &D1Database, tenant: &str, seqs: &[u64]) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        body: String,
    }
    let params = [
        SqlValue::Text(tenant.into()),
        SqlValue::Text(serde_json::to_string(seqs).unwrap_or_default()),
    ];
    let rows: Vec<Row> = statement(db, SELECT_TRAINING_BODIES, &params)?
        .all()
        .await?
        .results()?;
    decode_bodies(db, tenant, rows.into_iter().map(|r| r.body).collect()).await
}

/// Stores a tenant's dictionary (nothing when one with its id exists already).
pub async fn insert_dictionary(
    db: &D1Database,
    tenant: &str,
    dictionary: &Dictionary,
    now: i64,
) -> Result<()> {
    let params = [
        SqlValue::Text(tenant.into()),
        SqlValue::Int(i64::from(dictionary.id)),
        SqlValue::Int(now),
        SqlValue::Text(evident_shared::chain::hex(&dictionary.bytes)),
    ];
    statement(db, INSERT_DICTIONARY, &params)?.run().await?;
    Ok(())
}

/// Up to `limit` rows of a tenant's chain from `from_seq` to `to_seq`, in order, bodies as canonical
/// JSON (a body that cannot be read back is marked [`ChainRow::unreadable`]).
pub async fn chain_range(
    db: &D1Database,
    tenant: &str,
    from_seq: u64,
    to_seq: u64,
    limit: u64,
) -> Result<Vec<ChainRow>> {
    let params = [
        SqlValue::Text(tenant.into()),
        SqlValue::Int(from_seq as i64),
        SqlValue::Int(to_seq as i64),
        SqlValue::Int(limit as i64),
    ];
    let mut rows: Vec<ChainRow> = statement(db, SELECT_CHAIN_RANGE, &params)?
        .all()
        .await?
        .results()?;
    let stored = rows
        .iter_mut()
        .map(|r| std::mem::take(&mut r.body))
        .collect();
    for (row, body) in rows.iter_mut().zip(read_back(db, tenant, stored).await?) {
        match body {
            Ok(body) => row.body = body,
            Err(e) => row.unreadable = Some(e.to_string()),
        }
    }
    Ok(rows)
}

/// One target row the targets index lacks ([`crate::sql::SELECT_FIRST_MISSING_TARGET`]).
#[derive(Debug, Deserialize)]
pub struct MissingTarget {
    /// The event's position.
    pub seq: u64,
    /// The target's type.
    pub kind: String,
    /// The target's id.
    pub target_id: String,
}

/// The first of `targets` (as [`crate::verify::Verifier::take_targets`] lists them) that
/// `event_targets` lacks.
pub async fn first_missing_target(
    db: &D1Database,
    tenant: &str,
    targets: String,
) -> Result<Option<MissingTarget>> {
    let params = [SqlValue::Text(tenant.into()), SqlValue::Text(targets)];
    Ok(
        statement(db, crate::sql::SELECT_FIRST_MISSING_TARGET, &params)?
            .first(None)
            .await?,
    )
}

/// The hash sealed at one position of a tenant's chain, if an event is stored there and can be read.
pub async fn hash_at(db: &D1Database, tenant: &str, seq: u64) -> Result<Option<String>> {
    let params = [SqlValue::Text(tenant.into()), SqlValue::Int(seq as i64)];
    let Some(body) = statement(db, SELECT_BODY_AT, &params)?
        .first::<String>(Some("body"))
        .await?
    else {
        return Ok(None);
    };
    let hash = read_back(db, tenant, vec![body])
        .await?
        .pop()
        .and_then(|body| {
            let text = body.ok()?;
            let value: serde_json::Value = serde_json::from_str(&text).ok()?;
            Some(value.get("hash")?.as_str()?.to_string())
        });
    Ok(hash)
}

/// How many of a tenant's events are outside its chain.
pub async fn count_unsealed(db: &D1Database, tenant: &str, head_seq: u64) -> Result<u64> {
    let params = [
        SqlValue::Text(tenant.into()),
        SqlValue::Int(head_seq as i64),
    ];
    Ok(statement(db, COUNT_UNSEALED, &params)?
        .first::<u64>(Some("n"))
        .await?
        .unwrap_or(0))
}

/// A tenant's own redaction rules as stored (JSON), if it has set any.
pub async fn redaction_rules(db: &D1Database, tenant: &str) -> Result<Option<String>> {
    Ok(
        statement(db, SELECT_REDACTION, &[SqlValue::Text(tenant.into())])?
            .first::<Option<String>>(Some("redaction"))
            .await?
            .flatten(),
    )
}

/// Stores a tenant's redaction rules (JSON).
pub async fn set_redaction_rules(db: &D1Database, tenant: &str, rules: &str) -> Result<()> {
    let params = [SqlValue::Text(tenant.into()), SqlValue::Text(rules.into())];
    statement(db, UPSERT_REDACTION, &params)?.run().await?;
    Ok(())
}

#[derive(Deserialize)]
struct ListRow {
    occurred_at: i64,
    seq: u64,
    body: String,
}

/// One page of stored event bodies within reach, newest first, and the cursor of the next page if
/// there is one.
pub async fn list_events(
    db: &D1Database,
    reach: Reach<'_>,
    query: &ListQuery,
) -> Result<(Vec<String>, Option<Cursor>)> {
    if query.cursor.is_none() {
        every_page_fits(query, reach)?;
    }
    let (sql, params) = query.to_sql(reach).map_err(ApiError::query)?;
    let rows: Vec<ListRow> = statement(db, &sql, &params)?.all().await?.results()?;
    let (bodies, next) = page(rows, query.limit);
    Ok((decode_bodies(db, reach.tenant, bodies).await?, next))
}

/// A first page of a list with the chain head read in the same batch (one transaction), so the head
/// names exactly the events the page could show: an export limited to it (`up_to_seq`) holds what
/// the list held, nothing stored since.
pub async fn list_first_page(
    db: &D1Database,
    reach: Reach<'_>,
    query: &ListQuery,
) -> Result<(Vec<String>, Option<Cursor>, u64)> {
    every_page_fits(query, reach)?;
    let (sql, params) = query.to_sql(reach).map_err(ApiError::query)?;
    let head = statement(
        db,
        SELECT_CHAIN_HEAD,
        &[SqlValue::Text(reach.tenant.into())],
    )?;
    let results = db.batch(vec![head, statement(db, &sql, &params)?]).await?;
    let [head, list] = results.as_slice() else {
        return Err(ApiError::Internal(
            "a two-statement batch gave another count".into(),
        ));
    };
    if let Some(error) = head.error().or_else(|| list.error()) {
        return Err(ApiError::Internal(format!("list failed: {error}")));
    }
    let head: Vec<Head> = head.results()?;
    let head_seq = head.first().map_or(0, |h| h.seq);
    let rows: Vec<ListRow> = list.results()?;
    let (bodies, next) = page(rows, query.limit);
    Ok((
        decode_bodies(db, reach.tenant, bodies).await?,
        next,
        head_seq,
    ))
}

/// Checks on a first page that the later pages' query, which binds the cursor too, stays within
/// [`MAX_BOUND`]: a list must not fail at "load more", nor an export halfway through its file.
pub(crate) fn every_page_fits(query: &ListQuery, reach: Reach<'_>) -> Result<()> {
    // Later pages bind the cursor, and the chain head their first page was read at (an export
    // pins it after its first page; a list's cursor carries it).
    let later = ListQuery {
        cursor: Some(Cursor {
            occurred_at: 0,
            seq: 0,
            view: None,
        }),
        up_to_seq: Some(0),
        ..query.clone()
    };
    let (_, params) = later.to_sql(reach).map_err(ApiError::query)?;
    match params.len() {
        n if n > MAX_BOUND => Err(too_many_bound(n)),
        _ => Ok(()),
    }
}

/// The bodies of a page read with one row more than `limit`, and the cursor after the last one when
/// that extra row shows another page exists.
fn page(mut rows: Vec<ListRow>, limit: u32) -> (Vec<String>, Option<Cursor>) {
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|last| Cursor {
            occurred_at: last.occurred_at,
            seq: last.seq,
            view: None,
        })
    } else {
        None
    };
    (rows.into_iter().map(|r| r.body).collect(), next)
}

/// The stored body of one event, if it is within reach.
pub async fn get_event(db: &D1Database, reach: Reach<'_>, id: &str) -> Result<Option<String>> {
    let [environment, actor] = reach.nullable_params();
    let params = [
        SqlValue::Text(reach.tenant.into()),
        SqlValue::Text(id.into()),
        environment,
        actor,
    ];
    match statement(db, SELECT_EVENT, &params)?
        .first::<String>(Some("body"))
        .await?
    {
        Some(body) => Ok(decode_bodies(db, reach.tenant, vec![body]).await?.pop()),
        None => Ok(None),
    }
}

/// Proves the database answers.
pub async fn ping(db: &D1Database) -> Result<()> {
    db.prepare(PING).first::<i64>(Some("ok")).await?;
    Ok(())
}

/// One row of [`crate::counts::count_sql`].
#[derive(Debug, Deserialize)]
pub struct CountRow {
    /// Bucket start (ms), 0 for facets.
    pub bucket: i64,
    /// The field's value; `None` when absent or not grouped.
    pub value: Option<String>,
    /// Events counted.
    pub n: i64,
}

/// Runs a counting query.
pub async fn counts(db: &D1Database, sql: &str, params: &[SqlValue]) -> Result<Vec<CountRow>> {
    Ok(statement(db, sql, params)?.all().await?.results()?)
}

/// Runs [`crate::counts::combinations_sql`].
pub async fn combinations(
    db: &D1Database,
    sql: &str,
    params: &[SqlValue],
) -> Result<Vec<crate::counts::Combination>> {
    Ok(statement(db, sql, params)?.all().await?.results()?)
}

/// One page of a resource's history within reach, oldest first, and the cursor of the next page if
/// there is one.
pub async fn resource_history(
    db: &D1Database,
    reach: Reach<'_>,
    (kind, id): (&str, &str),
    after: Option<&Cursor>,
    limit: u32,
) -> Result<(Vec<String>, Option<Cursor>)> {
    let mut params = vec![
        SqlValue::Text(reach.tenant.into()),
        SqlValue::Text(kind.into()),
        SqlValue::Text(id.into()),
        SqlValue::Int(after.map_or(-1, |c| c.occurred_at)),
        SqlValue::Int(after.map_or(0, Cursor::seq_param)),
        SqlValue::Int(i64::from(limit) + 1),
    ];
    params.extend(reach.nullable_params());
    let rows: Vec<ListRow> = statement(db, SELECT_RESOURCE_HISTORY, &params)?
        .all()
        .await?
        .results()?;
    let (bodies, next) = page(rows, limit);
    Ok((decode_bodies(db, reach.tenant, bodies).await?, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_hold_a_bounded_size_of_bodies() {
        // Demo-sized events: the whole page the caller allows.
        assert_eq!(next_page_rows(1_600, 1_000), 1_000);
        // Events at the 64 KiB limit (or their hex): as many as fit, never fewer than the first page.
        assert_eq!(next_page_rows(64 * 1024, 1_000), FIRST_PAGE_ROWS);
        assert_eq!(next_page_rows(128 * 1024, 1_000), FIRST_PAGE_ROWS);
        assert_eq!(next_page_rows(16 * 1024, 1_000), 256);
        assert!(FIRST_PAGE_ROWS as usize * 128 * 1024 <= 2 * PAGE_BODY_BYTES);
        assert_eq!(next_page_rows(0, 1_000), 1_000);
    }
}
