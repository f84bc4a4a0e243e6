//! Helpers shared by the integration test modules.

use evident_tests::http::{self, Answer};
use evident_tests::server::Server;
use serde_json::{json, Value};

/// POSTs JSON events with the ingest key.
pub fn ingest(server: &Server, body: &Value) -> Answer {
    http::post(
        &server.url("/api/v1/events"),
        Some(&server.ingest_key),
        "application/json",
        &body.to_string(),
    )
}

/// GETs a list page with the read key; `query` is the raw query string.
pub fn list(server: &Server, query: &str) -> Answer {
    http::get(
        &server.url(&format!("/api/v1/events?{query}")),
        Some(&server.read_key),
    )
}

/// Every page of a list query, following `next_cursor`.
pub fn list_all(server: &Server, query: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("{query}&cursor={c}"),
            None => query.to_string(),
        };
        let page = list(server, &q);
        assert_eq!(page.status, 200, "{}", page.text);
        events.extend(page.json["events"].as_array().unwrap().iter().cloned());
        match page.json["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return events,
        }
    }
}

/// A minimal valid event for `actor`.
pub fn event(actor: &str, action: &str, occurred_at: &str) -> Value {
    json!({"action": action, "occurred_at": occurred_at, "actor": {"id": actor}, "outcome": "success"})
}

pub use evident_tests::http::encode;

/// GETs any API path with the read key.
pub fn read(server: &Server, path_and_query: &str) -> Answer {
    http::get(&server.url(path_and_query), Some(&server.read_key))
}
