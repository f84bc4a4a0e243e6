//! Every refusal: a clear status, the one error envelope, a message that names what is wrong and where,
//! and nothing stored.

use evident_tests::http;
use evident_tests::server::Server;
use serde_json::json;

use crate::support::{event, list_all};
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "errors::keys_are_checked_and_scoped",
        keys_are_checked_and_scoped,
    ),
    (
        "errors::malformed_json_names_line_and_column",
        malformed_json_names_line_and_column,
    ),
    (
        "errors::wrong_content_type_is_415",
        wrong_content_type_is_415,
    ),
    (
        "errors::limits_are_413_and_store_nothing",
        limits_are_413_and_store_nothing,
    ),
    (
        "errors::bad_query_parameters_are_named",
        bad_query_parameters_are_named,
    ),
    (
        "errors::unknown_paths_and_methods",
        unknown_paths_and_methods,
    ),
];

fn post(server: &Server, key: Option<&str>, content_type: &str, body: &str) -> http::Answer {
    http::post(&server.url("/api/v1/events"), key, content_type, body)
}

fn keys_are_checked_and_scoped(server: &Server) {
    let body = json!(event("keys-1", "doc.create", "2024-07-01T00:00:00Z")).to_string();
    let cases = [
        (None, 401, "unauthorized", "Authorization: Bearer"),
        (Some("evd_wrong"), 401, "unauthorized", "not valid"),
        (
            Some(server.read_key.as_str()),
            403,
            "forbidden",
            "`ingest` scope",
        ),
    ];
    for (key, status, code, needle) in cases {
        let answer = post(server, key, "application/json", &body);
        assert_eq!(
            (answer.status, answer.error_code()),
            (status, code),
            "{key:?}: {}",
            answer.text
        );
        assert!(
            answer.error_message().contains(needle),
            "{}",
            answer.error_message()
        );
    }
    let read = |key: Option<&str>| http::get(&server.url("/api/v1/events"), key);
    assert_eq!(read(None).status, 401);
    assert_eq!(read(Some("evd_wrong")).status, 401);
    assert_eq!(read(Some(&server.ingest_key)).status, 403);
    assert!(
        list_all(server, "actor=keys-1").is_empty(),
        "refused requests store nothing"
    );
}

fn malformed_json_names_line_and_column(server: &Server) {
    let body =
        "[\n  {\"action\": \"doc.create\", \"actor\": {\"id\": \"json-1\"}},\n  {\"action\": }\n]";
    let answer = post(server, Some(&server.ingest_key), "application/json", body);
    assert_eq!(
        (answer.status, answer.error_code()),
        (400, "invalid_json"),
        "{}",
        answer.text
    );
    assert!(
        answer.error_message().contains("line 3, column 14"),
        "{}",
        answer.error_message()
    );

    let ndjson = format!(
        "{}\n{{oops}}\n",
        json!(event("json-1", "doc.create", "2024-07-01T00:00:00Z"))
    );
    let answer = post(
        server,
        Some(&server.ingest_key),
        "application/x-ndjson",
        &ndjson,
    );
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert!(
        answer.error_message().contains("line 2, column 2"),
        "{}",
        answer.error_message()
    );
    assert!(
        list_all(server, "actor=json-1").is_empty(),
        "nothing half-stored"
    );
}

fn wrong_content_type_is_415(server: &Server) {
    let body = json!(event("ct-1", "doc.create", "2024-07-01T00:00:00Z")).to_string();
    let answer = post(server, Some(&server.ingest_key), "text/plain", &body);
    assert_eq!(
        (answer.status, answer.error_code()),
        (415, "unsupported_media_type"),
        "{}",
        answer.text
    );
    assert!(answer.error_message().contains("text/plain"));
    assert!(list_all(server, "actor=ct-1").is_empty());
}

fn limits_are_413_and_store_nothing(server: &Server) {
    let many: Vec<_> = (0..1001)
        .map(|_| event("lim-1", "doc.create", "2024-07-01T00:00:00Z"))
        .collect();
    let answer = post(
        server,
        Some(&server.ingest_key),
        "application/json",
        &json!(many).to_string(),
    );
    assert_eq!(
        (answer.status, answer.error_code()),
        (413, "too_many_events"),
        "{}",
        answer.text
    );

    let mut big = event("lim-1", "doc.create", "2024-07-01T00:00:00Z");
    big["payload"] = json!({"blob": "x".repeat(70 * 1024)});
    let body = json!([event("lim-1", "doc.create", "2024-07-01T00:00:00Z"), big]).to_string();
    let answer = post(server, Some(&server.ingest_key), "application/json", &body);
    assert_eq!(
        (answer.status, answer.error_code()),
        (413, "event_too_large"),
        "{}",
        answer.text
    );
    assert!(
        answer.error_message().contains("event 1"),
        "{}",
        answer.error_message()
    );

    let huge: Vec<_> = (0..100)
        .map(|_| {
            let mut e = event("lim-1", "doc.create", "2024-07-01T00:00:00Z");
            e["payload"] = json!({"blob": "y".repeat(60 * 1024)});
            e
        })
        .collect();
    let answer = post(
        server,
        Some(&server.ingest_key),
        "application/json",
        &json!(huge).to_string(),
    );
    assert_eq!(
        (answer.status, answer.error_code()),
        (413, "body_too_large"),
        "{}",
        answer.text
    );
    assert!(
        list_all(server, "actor=lim-1").is_empty(),
        "nothing stored by refused requests"
    );
}

fn bad_query_parameters_are_named(server: &Server) {
    for (query, needle) in [
        ("limit=0", "`limit`"),
        ("outcome=maybe", "`outcome`"),
        ("from=yesterday", "`from`"),
        ("cursor=abc", "`cursor`"),
        ("colour=red", "`colour`"),
        ("action=a%27%20OR%201%3D1", "`action`"),
    ] {
        let answer = http::get(
            &server.url(&format!("/api/v1/events?{query}")),
            Some(&server.read_key),
        );
        assert_eq!(
            (answer.status, answer.error_code()),
            (400, "invalid_query"),
            "{query}: {}",
            answer.text
        );
        assert!(
            answer.error_message().contains(needle),
            "{query}: {}",
            answer.error_message()
        );
    }
    let answer = http::post(
        &server.url("/api/v1/events?atomic=maybe"),
        Some(&server.ingest_key),
        "application/json",
        "{}",
    );
    assert_eq!(answer.status, 400, "{}", answer.text);
    // A misspelt option is refused, not ignored: `Atomic=true` must not store half a batch.
    for (path, name) in [
        ("/api/v1/events?Atomic=true", "Atomic"),
        ("/api/v1/ingest/lowcoder?atomicity=true", "atomicity"),
    ] {
        let answer = http::post(
            &server.url(path),
            Some(&server.ingest_key),
            "application/json",
            r#"[{"action":"a.b","actor":{"id":"u"}},{"action":""}]"#,
        );
        assert_eq!(
            (answer.status, answer.error_code()),
            (400, "invalid_query"),
            "{path}: {}",
            answer.text
        );
        assert!(
            answer
                .error_message()
                .contains(&format!("unknown parameter `{name}`"))
                && answer.error_message().contains("`atomic`"),
            "{path}: {}",
            answer.error_message()
        );
    }
    // Bytes that are not UTF-8 once decoded are refused, not read as U+FFFD: in a parameter, naming
    // it, and in a path segment.
    for (path, needle) in [
        ("/api/v1/events?q=actor%3A%FF", "`q`"),
        ("/api/v1/actors/%FF%FE", "path segment 4"),
    ] {
        let answer = http::get(&server.url(path), Some(&server.read_key));
        assert_eq!(
            (answer.status, answer.error_code()),
            (400, "invalid_encoding"),
            "{path}: {}",
            answer.text
        );
        assert!(
            answer.error_message().contains(needle),
            "{path}: {}",
            answer.text
        );
    }
}

fn unknown_paths_and_methods(server: &Server) {
    let answer = http::get(&server.url("/api/v1/nothing-here"), Some(&server.read_key));
    assert_eq!((answer.status, answer.error_code()), (404, "not_found"));
    let answer = http::post(
        &server.url("/api/v1/health"),
        None,
        "application/json",
        "{}",
    );
    assert_eq!(
        (answer.status, answer.error_code()),
        (405, "method_not_allowed")
    );
    let health = http::get(&server.url("/api/v1/health"), None);
    assert_eq!(
        (health.status, health.json["status"].as_str()),
        (200, Some("ok"))
    );
}
