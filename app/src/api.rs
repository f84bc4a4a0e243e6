//! The dashboard's client for Evident's read API: one async function per endpoint and one error type.
//!
//! Requests go through the browser's `fetch` via web-sys (an HTTP client crate would cost more bytes than
//! these two calls are worth). Response bodies are the wire types of `evident-shared`, so the dashboard
//! reads exactly what the worker writes; they are read with [`crate::json`] and [`crate::wire`] rather
//! than serde's derives, which cost the dashboard far more wasm. Turning a status and body into an
//! [`ApiError`] or a value is pure and tested natively; only [`get_json`] needs a browser.

use evident_shared::api::EventPage;
use evident_shared::Event;

use crate::filters::{encode_path_segment, Bounds, Filters};
use crate::json;
use crate::stats::{self, Facets, Histogram};
use crate::wire::{self, WireError};

/// Events per list request: enough to fill a screen or two without a slow first page.
pub const PAGE_SIZE: u32 = 100;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401: the read key is wrong or missing; the dashboard forgets it and asks again.
    #[error("The read key was not accepted")]
    Unauthorized,
    /// 404: no such resource.
    #[error("Not found")]
    NotFound,
    /// Any other failing status, with the message from the API's error envelope.
    #[error("{message}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The API's explanation, or the status text when the body was not an error envelope.
        message: String,
    },
    /// The request did not complete (offline, server down, blocked).
    #[error("Could not reach the server: {0}")]
    Network(String),
    /// The server answered 2xx with a body that is not what this dashboard expects.
    #[error("Unexpected answer from the server: {0}")]
    Decode(String),
}

/// `GET /api/v1/events`: one page of events matching `filters`, newest first. `bounds` are the range's
/// bounds computed when the list was loaded; `cursor` is the previous page's `next_cursor`; `tail`,
/// for a live tail poll, the first page's `tail_token` (`""` when it gave none).
pub async fn list_events(
    key: &str,
    filters: &Filters,
    bounds: Bounds,
    cursor: Option<&str>,
    tail: Option<&str>,
) -> Result<EventPage, ApiError> {
    let query = filters.api_query(bounds, PAGE_SIZE, cursor);
    // Live tail's polls say so, with their search's token, so that the server does not record each
    // as a new search.
    let tail = tail.map_or(String::new(), |token| {
        // Digits, a dot and hex digits: nothing to escape.
        format!("&tail=1&tail_token={token}")
    });
    let path = format!("/api/v1/events?{query}{tail}");
    if let Some(asked) = crate::prefetch::take(&path, key) {
        let body = read_response(asked).await?;
        return decode(&body, wire::event_page);
    }
    get_json(&path, key, wire::event_page).await
}

/// `GET /api/v1/facets`: the top values with counts of the comma-separated `fields` among the events
/// matching `filters` between `bounds`, in one request.
pub async fn facets(
    key: &str,
    filters: &Filters,
    bounds: Bounds,
    fields: &str,
) -> Result<Facets, ApiError> {
    let mut query = filters.stats_query(bounds);
    query.push("field", fields);
    query.push("limit", "20");
    get_json(&format!("/api/v1/facets?{}", query.0), key, stats::facets).await
}

/// `GET /api/v1/histogram`: counts by outcome over time, in the server's automatic interval.
pub async fn histogram(
    key: &str,
    filters: &Filters,
    bounds: Bounds,
) -> Result<Histogram, ApiError> {
    let mut query = filters.stats_query(bounds);
    query.push("interval", "auto");
    query.push("group", "outcome");
    get_json(
        &format!("/api/v1/histogram?{}", query.0),
        key,
        stats::histogram,
    )
    .await
}

/// `GET /api/v1/events/{id}`: one event; [`ApiError::NotFound`] when there is none.
pub async fn get_event(key: &str, id: &str) -> Result<Event, ApiError> {
    let path = format!("/api/v1/events/{}", encode_path_segment(id));
    get_json(&path, key, wire::event).await
}

/// Events per page of an actor's timeline or a resource's history.
pub const HISTORY_PAGE_SIZE: u32 = 50;

/// A page of an actor's timeline or of a resource's history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Newest first for an actor, oldest first for a resource.
    pub events: Vec<Event>,
    /// Where the next page starts, if there is one.
    pub next_cursor: Option<String>,
    /// An actor's most frequent actions with their counts (first page only; empty for a resource).
    pub top_actions: Vec<(String, u64)>,
    /// The search an actor's page ran, as the query language prints it (none for a resource).
    pub search: Option<String>,
}

/// `GET /api/v1/actors/{id}` (`path` from [`actor_path`]) or `GET /api/v1/resources/{type}/{id}`
/// ([`resource_path`]): one page, after `cursor`.
pub async fn get_history(key: &str, path: &str, cursor: Option<&str>) -> Result<History, ApiError> {
    let mut url = format!("/api/v1{path}?limit={HISTORY_PAGE_SIZE}");
    if let Some(cursor) = cursor {
        url.push_str("&cursor=");
        url.push_str(&crate::filters::encode_query_value(cursor));
    }
    get_json(&url, key, wire::history).await
}

/// The dashboard's (and, under `/api/v1`, the API's) path of an actor's page.
pub fn actor_path(id: &str) -> String {
    format!("/actors/{}", encode_path_segment(id))
}

/// The dashboard's (and, under `/api/v1`, the API's) path of a resource's history page.
pub fn resource_path(kind: &str, id: &str) -> String {
    format!(
        "/resources/{}/{}",
        encode_path_segment(kind),
        encode_path_segment(id)
    )
}

/// `GET /api/v1/verify?from_seq=&to_seq=`: recomputes that range of the chain.
pub async fn verify(
    key: &str,
    from_seq: u64,
    to_seq: u64,
) -> Result<evident_shared::api::VerifyReport, ApiError> {
    let path = format!("/api/v1/verify?from_seq={from_seq}&to_seq={to_seq}");
    get_json(&path, key, wire::verify_report).await
}

/// Maps a failing status and its body to an error, preferring the API's own message.
pub fn classify(status: u16, body: &str) -> ApiError {
    match status {
        401 => ApiError::Unauthorized,
        404 => ApiError::NotFound,
        _ => {
            let message = json::parse(body)
                .ok()
                .as_ref()
                .and_then(wire::error_message)
                .map_or_else(
                    || format!("The server answered with status {status}"),
                    String::from,
                );
            ApiError::Http { status, message }
        }
    }
}

/// Decodes a successful body with `read` (one of the [`wire`] readers).
pub fn decode<T>(
    body: &str,
    read: fn(serde_json::Value) -> Result<T, WireError>,
) -> Result<T, ApiError> {
    let value = json::parse(body).map_err(|e| ApiError::Decode(e.to_string()))?;
    read(value).map_err(|e| ApiError::Decode(e.to_string()))
}

/// `GET /api/v1/session` (no key): the person signed in with the session cookie, if any.
pub async fn session() -> Result<crate::key::Person, ApiError> {
    get_json("/api/v1/session", "", crate::key::read_person).await
}

/// `DELETE /api/v1/session` with the session's CSRF token: signs out.
pub async fn sign_out(csrf: &str) -> Result<(), ApiError> {
    request_text("DELETE", "/api/v1/session", "", Some(csrf), None).await?;
    Ok(())
}

/// A saved search: a name for a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSearch {
    /// Its id.
    pub id: String,
    /// Its name, unique in the tenant.
    pub name: String,
    /// The query, in canonical text.
    pub q: String,
}

fn read_saved(value: &serde_json::Value) -> Result<SavedSearch, WireError> {
    let text = |name: &str| {
        value[name]
            .as_str()
            .map(String::from)
            .ok_or_else(|| WireError::new("a saved search has an id, a name and a q"))
    };
    Ok(SavedSearch {
        id: text("id")?,
        name: text("name")?,
        q: text("q")?,
    })
}

/// Reads `GET /api/v1/saved-searches`.
pub fn read_saved_list(value: serde_json::Value) -> Result<Vec<SavedSearch>, WireError> {
    value["saved_searches"]
        .as_array()
        .ok_or_else(|| WireError::new("expected saved_searches"))?
        .iter()
        .map(read_saved)
        .collect()
}

/// `GET /api/v1/saved-searches`: the tenant's saved searches, newest first.
pub async fn saved_searches(key: &str) -> Result<Vec<SavedSearch>, ApiError> {
    get_json("/api/v1/saved-searches", key, read_saved_list).await
}

/// `POST /api/v1/saved-searches`: saves `q` as `name`.
pub async fn save_search(
    key: &str,
    csrf: Option<&str>,
    name: &str,
    q: &str,
) -> Result<SavedSearch, ApiError> {
    let body = format!(
        "{{\"name\":{},\"q\":{}}}",
        crate::json::string_literal(name),
        crate::json::string_literal(q)
    );
    let text = request_text("POST", "/api/v1/saved-searches", key, csrf, Some(&body)).await?;
    decode(&text, |v| read_saved(&v))
}

/// GETs a same-origin path with the read key as bearer token and decodes the JSON answer with `read`.
async fn get_json<T>(
    path: &str,
    key: &str,
    read: fn(serde_json::Value) -> Result<T, WireError>,
) -> Result<T, ApiError> {
    let body = get_text(path, key).await?;
    decode(&body, read)
}

/// The fetch itself, apart from [`get_json`] so that its async state machine is compiled once rather
/// than once per answer type (each copy cost about 2 KB of wasm).
async fn get_text(path: &str, key: &str) -> Result<String, ApiError> {
    request_text("GET", path, key, None, None).await
}

/// Any request: the key as bearer token (none when signed in with the cookie), the session's CSRF
/// token for a change made with the cookie, and a JSON body.
async fn request_text(
    method: &str,
    path: &str,
    key: &str,
    csrf: Option<&str>,
    body: Option<&str>,
) -> Result<String, ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
    let headers = web_sys::Headers::new().map_err(network)?;
    if let Some(csrf) = csrf {
        headers.set("x-csrf-token", csrf).map_err(network)?;
    }
    if body.is_some() {
        headers
            .set("content-type", "application/json")
            .map_err(network)?;
    }
    // Signed in with the session cookie instead, there is no key: the browser sends the cookie.
    if !key.is_empty() {
        headers
            .set("authorization", &format!("Bearer {key}"))
            .map_err(network)?;
    }
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(&headers);
    if let Some(body) = body {
        init.set_body(&wasm_bindgen::JsValue::from_str(body));
    }
    read_response(window.fetch_with_str_and_init(path, &init)).await
}

/// The body of the response `fetched` resolves to, or the error its status or failure means.
async fn read_response(fetched: js_sys::Promise) -> Result<String, ApiError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let response: web_sys::Response = JsFuture::from(fetched)
        .await
        .map_err(network)?
        .unchecked_into();
    let body = JsFuture::from(response.text().map_err(network)?)
        .await
        .map_err(network)?
        .as_string()
        .unwrap_or_default();
    if response.ok() {
        Ok(body)
    } else {
        Err(classify(response.status(), &body))
    }
}

/// Describes a rejected JS promise (fetch rejects with a `TypeError` carrying a message).
fn network(err: wasm_bindgen::JsValue) -> ApiError {
    let message = js_sys::Error::from(err).message().as_string();
    ApiError::Network(message.unwrap_or_else(|| "request failed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_variants_with_the_api_message() {
        assert_eq!(classify(401, "{}"), ApiError::Unauthorized);
        assert_eq!(classify(404, ""), ApiError::NotFound);
        let body =
            r#"{"error":{"code":"invalid_query","message":"`limit` must be between 1 and 500"}}"#;
        let err = classify(400, body);
        assert_eq!(
            err,
            ApiError::Http {
                status: 400,
                message: "`limit` must be between 1 and 500".into()
            }
        );
        assert_eq!(err.to_string(), "`limit` must be between 1 and 500");
    }

    #[test]
    fn page_paths_encode_their_segments() {
        assert_eq!(actor_path("alice@corp.com"), "/actors/alice%40corp.com");
        assert_eq!(
            resource_path("db table", "a/b"),
            "/resources/db%20table/a%2Fb"
        );
    }

    #[test]
    fn bodies_that_are_not_envelopes_still_explain_the_status() {
        assert_eq!(
            classify(502, "<html>bad gateway</html>").to_string(),
            "The server answered with status 502"
        );
    }

    #[test]
    fn pages_decode_and_garbage_is_a_decode_error() {
        let page = decode(r#"{"events":[],"next_cursor":"c1"}"#, wire::event_page).unwrap();
        assert_eq!(page.next_cursor.as_deref(), Some("c1"));
        assert_eq!(
            decode("[1,2]", wire::event_page),
            Err(ApiError::Decode("expected an object".into()))
        );
        assert_eq!(
            decode("{\"events\": [}", wire::event_page),
            Err(ApiError::Decode("expected a value at byte 12".into()))
        );
    }
}
