//! The two drill-down pages of SPEC 4.2: `GET /api/v1/actors/{id}` (an actor's timeline, newest
//! first, with their most frequent actions) and `GET /api/v1/resources/{type}/{id}` (every event that
//! touched one resource, oldest first: what changed and who changed it, before/after included).
//! The first page of each is recorded as a read of the log ([`crate::reads`]).

use evident_shared::cursor::Cursor;
use evident_shared::query::{Field, Query, Span, Term, TermKind, Value};
use evident_shared::timestamp::MAX_MILLIS;
use serde::Serialize;
use serde_json::value::RawValue;
use worker::{Context, D1Database, Env, Request, Response};

use crate::auth::{authorize, Caller};
use crate::counts::{facet_sql, FACET_SAMPLE};
use crate::error::{ApiError, Result};
use crate::params::{self, invalid, MAX_LIMIT};
use crate::routes::events::query_pairs;
use crate::signed_cursor::CursorSigner;
use crate::sql::{ListQuery, DEFAULT_LIMIT};
use crate::{reads, respond, store};
use evident_shared::roles::Power;

/// Most frequent actions listed on an actor's page.
const TOP_ACTIONS: u32 = 10;

/// Reads `cursor` and `limit`, the only parameters of these pages, and the signer of their
/// cursors: a later page must follow a `next_cursor` of this page's ([`CursorSigner`]).
async fn page(
    req: &Request,
    db: &D1Database,
    caller: &Caller,
) -> Result<(Option<Cursor>, u32, CursorSigner)> {
    let pairs = query_pairs(req)?;
    let cursors = CursorSigner::for_request(db, caller, &req.path(), &pairs).await?;
    let mut cursor = None;
    let mut limit = DEFAULT_LIMIT;
    for (name, value) in cursors.open_pairs(&pairs)? {
        match name.as_str() {
            "cursor" if !value.is_empty() => {
                cursor = Some(Cursor::decode(&value).map_err(invalid)?)
            }
            "limit" => limit = params::limit(&value, MAX_LIMIT)?,
            "cursor" => {}
            other => {
                return Err(invalid(format!(
                    "unknown query parameter `{other}`; expected cursor or limit"
                )))
            }
        }
    }
    Ok((cursor, limit, cursors))
}

/// Stored bodies are canonical JSON already: they are passed through, not parsed and printed again.
fn raw(bodies: Vec<String>) -> Result<Vec<Box<RawValue>>> {
    bodies
        .into_iter()
        .map(|b| RawValue::from_string(b).map_err(|e| ApiError::Internal(e.to_string())))
        .collect()
}

#[derive(Serialize)]
struct Count {
    value: Option<String>,
    count: i64,
}

#[derive(Serialize)]
struct ActorPage {
    actor: String,
    /// The search the page ran (`actor:<e-mail>` or `actor.id:<id>`), printed as the query language
    /// reads it: the dashboard's search link and export use it, so they hold what the page shows.
    search: String,
    top_actions: Vec<Count>,
    events: Vec<Box<RawValue>>,
    next_cursor: Option<String>,
}

pub async fn actor(req: &Request, env: &Env, ctx: &Context, actor: &str) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadEvents).await?;
    let db = env.d1("DB")?;
    let (cursor, limit, cursors) = page(req, &db, &caller).await?;
    let now = worker::js_sys::Date::now() as i64;
    // `actor:<id or e-mail>`, built as the parser would build it, so the page and a search agree.
    // An id may hold an `@` too: when nothing has it as an e-mail, it is read as an id.
    let mut query = ListQuery {
        filter: actor_filter(Field::Actor, actor),
        now,
        cursor,
        limit,
        ..ListQuery::default()
    };
    let mut listed = store::list_events(&db, caller.reach(), &query).await?;
    if listed.0.is_empty() && actor.contains('@') {
        query.filter = actor_filter(Field::ActorId, actor);
        listed = store::list_events(&db, caller.reach(), &query).await?;
    }
    let (bodies, next) = listed;
    let top_actions = if query.cursor.is_none() {
        // Among their newest events, so a prolific actor's page costs no more than anyone's.
        let (sql, params) = facet_sql(
            caller.reach(),
            &query.filter,
            now,
            (0, MAX_MILLIS),
            &Field::Action,
            TOP_ACTIONS,
            FACET_SAMPLE,
        )
        .map_err(ApiError::query)?;
        store::counts(&db, &sql, &params)
            .await?
            .into_iter()
            .map(|row| Count {
                value: row.value,
                count: row.n,
            })
            .collect()
    } else {
        Vec::new()
    };
    if query.cursor.is_none() {
        let event = reads::actor_page(&caller, actor, bodies.len());
        reads::record_later(ctx, event, req.clone()?, env, &caller.tenant);
    }
    Ok(respond::json(
        200,
        &ActorPage {
            actor: actor.to_string(),
            search: evident_shared::query::print(&query.filter),
            top_actions,
            events: raw(bodies)?,
            next_cursor: next.map(|c| cursors.sign(&c.encode())),
        },
    ))
}

/// The one-term query `field:value`.
fn actor_filter(field: Field, value: &str) -> Query {
    Query {
        terms: vec![Term {
            negated: false,
            span: Span::default(),
            kind: TermKind::Field {
                field,
                values: vec![Value::Exact(value.to_string())],
            },
        }],
    }
}

#[derive(Serialize)]
struct ResourcePage<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    id: &'a str,
    events: Vec<Box<RawValue>>,
    next_cursor: Option<String>,
}

pub async fn resource(
    req: &Request,
    env: &Env,
    ctx: &Context,
    kind: &str,
    id: &str,
) -> Result<Response> {
    let caller = authorize(req, env, Power::ReadEvents).await?;
    let db = env.d1("DB")?;
    let (cursor, limit, cursors) = page(req, &db, &caller).await?;
    let first_page = cursor.is_none();
    let (bodies, next) =
        store::resource_history(&db, caller.reach(), (kind, id), cursor.as_ref(), limit).await?;
    if first_page {
        let event = reads::resource_page(&caller, kind, id, bodies.len());
        reads::record_later(ctx, event, req.clone()?, env, &caller.tenant);
    }
    Ok(respond::json(
        200,
        &ResourcePage {
            kind,
            id,
            events: raw(bodies)?,
            next_cursor: next.map(|c| cursors.sign(&c.encode())),
        },
    ))
}
