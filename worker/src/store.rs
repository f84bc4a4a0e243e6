//! The D1 side: runs the statements of [`crate::sql`] with bound values and reads the rows back.
//! Only this module and the route handlers touch JavaScript types.

use evident_shared::cursor::Cursor;
use serde::Deserialize;
use serde_json::Value;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::error::{ApiError, Result};
use crate::sql::{chunk_rows, ListQuery, SqlValue, INSERT_EVENTS, PING, SELECT_EVENT};

/// Largest JSON array bound to one insert. D1 limits a bound value to 2 MB; half leaves headroom.
const MAX_ROWS_PARAM_BYTES: usize = 1_000_000;

fn js(value: &SqlValue) -> JsValue {
    match value {
        SqlValue::Text(text) => JsValue::from_str(text),
        SqlValue::Int(n) => JsValue::from_f64(*n as f64),
    }
}

fn statement(db: &D1Database, sql: &str, params: &[SqlValue]) -> Result<D1PreparedStatement> {
    let values: Vec<JsValue> = params.iter().map(js).collect();
    Ok(db.prepare(sql).bind(&values)?)
}

/// Stores rows in one transaction: one statement per chunk, all in one `batch`, so either every event
/// of the request is stored or none is.
pub async fn insert_events(db: &D1Database, tenant: &str, rows: &[Value]) -> Result<()> {
    let statements = chunk_rows(rows, MAX_ROWS_PARAM_BYTES)
        .into_iter()
        .map(|chunk| {
            statement(
                db,
                INSERT_EVENTS,
                &[SqlValue::Text(tenant.into()), SqlValue::Text(chunk)],
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let results = match statements.len() {
        0 => return Ok(()),
        1 => vec![statements[0].run().await?],
        _ => db.batch(statements).await?,
    };
    match results.iter().find_map(|r| r.error()) {
        Some(error) => Err(ApiError::Internal(format!("insert failed: {error}"))),
        None => Ok(()),
    }
}

#[derive(Deserialize)]
struct ListRow {
    occurred_at: i64,
    id: String,
    body: String,
}

/// One page of stored event bodies, newest first, and the cursor of the next page if there is one.
pub async fn list_events(
    db: &D1Database,
    tenant: &str,
    query: &ListQuery,
) -> Result<(Vec<String>, Option<Cursor>)> {
    let (sql, params) = query.to_sql(tenant);
    let mut rows: Vec<ListRow> = statement(db, &sql, &params)?.all().await?.results()?;
    let next = if rows.len() > query.limit as usize {
        rows.truncate(query.limit as usize);
        rows.last().map(|last| Cursor {
            occurred_at: last.occurred_at,
            id: last.id.clone(),
        })
    } else {
        None
    };
    Ok((rows.into_iter().map(|r| r.body).collect(), next))
}

/// The stored body of one event, if this tenant has it.
pub async fn get_event(db: &D1Database, tenant: &str, id: &str) -> Result<Option<String>> {
    let params = [SqlValue::Text(tenant.into()), SqlValue::Text(id.into())];
    Ok(statement(db, SELECT_EVENT, &params)?
        .first::<String>(Some("body"))
        .await?)
}

/// Proves the database answers.
pub async fn ping(db: &D1Database) -> Result<()> {
    db.prepare(PING).first::<i64>(Some("ok")).await?;
    Ok(())
}
