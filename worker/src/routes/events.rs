//! `POST /api/v1/events` (ingest), `GET /api/v1/events` (list) and `GET /api/v1/events/{id}`: parse,
//! authorise, call the pipeline or the store, respond.

use evident_shared::body::{Framing, MAX_BODY_BYTES};
use evident_shared::ids::is_event_id;
use worker::{Env, Request, Response};

use crate::auth::{authorize, KeyScope};
use crate::error::{ApiError, Result};
use crate::ingest::{prepare, RANDOM_BYTES_PER_EVENT};
use crate::{params, respond, store};

pub async fn ingest(mut req: Request, env: &Env) -> Result<Response> {
    let caller = authorize(&req, env, KeyScope::Ingest)?;
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    let framing = Framing::from_content_type(&content_type).ok_or_else(|| {
        ApiError::UnsupportedMediaType(format!(
            "`Content-Type` must be `application/json` or `application/x-ndjson`, not `{content_type}`"
        ))
    })?;
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|n| n.parse::<usize>().ok());
    if let Some(bytes) = declared.filter(|n| *n > MAX_BODY_BYTES) {
        return Err(ApiError::TooLarge {
            code: "body_too_large",
            message: format!(
                "the request body is {bytes} bytes; the limit is {MAX_BODY_BYTES} bytes (5 MiB)"
            ),
        });
    }
    let atomic = match query_pairs(&req)?
        .iter()
        .find(|(k, _)| k == "atomic")
        .map(|(_, v)| v.as_str())
    {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::BadRequest {
                code: "invalid_query",
                message: format!("`atomic` must be `true` or `false`, not `{other}`"),
            })
        }
    };
    let bytes = req.bytes().await?;
    let body = String::from_utf8(bytes).map_err(|e| ApiError::BadRequest {
        code: "invalid_encoding",
        message: format!(
            "the body is not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    let received_at = worker::js_sys::Date::now() as i64;
    let mut random = vec![0u8; RANDOM_BYTES_PER_EVENT * evident_shared::body::MAX_EVENTS];
    getrandom::getrandom(&mut random)
        .map_err(|e| ApiError::Internal(format!("no randomness: {e}")))?;
    let prepared = prepare(&body, framing, &caller.tenant, received_at, atomic, &random)?;
    if !prepared.rows.is_empty() {
        store::insert_events(&env.d1("DB")?, &caller.tenant, &prepared.rows).await?;
    }
    Ok(respond::json(prepared.status(), &prepared.response))
}

pub async fn list(req: &Request, env: &Env) -> Result<Response> {
    let caller = authorize(req, env, KeyScope::Read)?;
    let query = params::list_query(&query_pairs(req)?)?;
    let (bodies, next) = store::list_events(&env.d1("DB")?, &caller.tenant, &query).await?;
    // Stored bodies are canonical JSON already: splice them in rather than parse and print each again.
    let mut json = String::with_capacity(bodies.iter().map(|b| b.len() + 1).sum::<usize>() + 64);
    json.push_str("{\"events\":[");
    json.push_str(&bodies.join(","));
    json.push(']');
    if let Some(cursor) = next {
        json.push_str(",\"next_cursor\":");
        json.push_str(&serde_json::to_string(&cursor.encode()).unwrap_or_default());
    }
    json.push('}');
    Ok(respond::json_text(200, json))
}

pub async fn get(env: &Env, req: &Request, id: &str) -> Result<Response> {
    let caller = authorize(req, env, KeyScope::Read)?;
    let not_found = || ApiError::NotFound(format!("no event with id `{id}`"));
    if !is_event_id(id) {
        return Err(not_found());
    }
    let body = store::get_event(&env.d1("DB")?, &caller.tenant, id)
        .await?
        .ok_or_else(not_found)?;
    Ok(respond::json_text(200, body))
}

fn query_pairs(req: &Request) -> Result<Vec<(String, String)>> {
    Ok(req
        .url()?
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect())
}
