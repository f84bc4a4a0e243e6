//! Reading through `GET /api/v1/events` and `GET /api/v1/events/{id}`: filters, newest-first keyset
//! pagination that stays correct while events arrive, and lookups by id.

use evident_tests::http;
use evident_tests::server::Server;
use serde_json::{json, Value};

use crate::support::{encode, event, ingest, list, list_all};
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "query::filters_select_exactly_the_matching_events",
        filters_select_exactly_the_matching_events,
    ),
    (
        "query::pages_stay_stable_while_events_arrive",
        pages_stay_stable_while_events_arrive,
    ),
    (
        "query::later_pages_keep_the_first_pages_window",
        later_pages_keep_the_first_pages_window,
    ),
    (
        "query::unknown_and_malformed_ids_are_404",
        unknown_and_malformed_ids_are_404,
    ),
    (
        "query::a_histogram_by_resource_type_totals_events",
        a_histogram_by_resource_type_totals_events,
    ),
    (
        "query::an_actor_page_finds_an_id_that_looks_like_an_email",
        an_actor_page_finds_an_id_that_looks_like_an_email,
    ),
];

/// An actor's page reads its id as an e-mail first; an id holding an `@` that is no one's e-mail is
/// found as an id, and a real e-mail still as an e-mail.
fn an_actor_page_finds_an_id_that_looks_like_an_email(server: &Server) {
    let answer = ingest(
        server,
        &json!([
            {"action": "query.actorpage", "actor": {"type": "service", "id": "deploy@ci"}},
            {"action": "query.actorpage", "actor": {"id": "u-pager", "email": "pager@example.com"}}
        ]),
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    for (path, actor) in [
        ("/api/v1/actors/deploy%40ci", "deploy@ci"),
        ("/api/v1/actors/pager%40example.com", "u-pager"),
    ] {
        let page = http::get(&server.url(path), Some(&server.read_key));
        assert_eq!(page.status, 200, "{}", page.text);
        let events = page.json["events"].as_array().unwrap();
        assert_eq!(events.len(), 1, "{path}: {}", page.text);
        assert_eq!(events[0]["actor"]["id"], actor);
        assert_eq!(page.json["top_actions"][0]["value"], "query.actorpage");
    }
}

/// Grouped by resource type, an event with targets of two types is in both groups and one without
/// targets in none, but each bucket's total is its events, as the list counts them.
fn a_histogram_by_resource_type_totals_events(server: &Server) {
    let at = "2026-02-03T10:15:00Z";
    let answer = ingest(
        server,
        &json!([
            {"action": "query.histo", "occurred_at": at, "actor": {"id": "u1"},
             "targets": [{"type": "doc", "id": "d1"}, {"type": "folder", "id": "f1"}]},
            {"action": "query.histo", "occurred_at": at, "actor": {"id": "u1"}},
            {"action": "query.histo", "occurred_at": at, "actor": {"id": "u2"}}
        ]),
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    let histogram = http::get(
        &server.url(
            "/api/v1/histogram?q=action:query.histo&group=target.type&interval=1h\
             &from=2026-02-03T00:00:00Z&to=2026-02-04T00:00:00Z",
        ),
        Some(&server.read_key),
    );
    assert_eq!(histogram.status, 200, "{}", histogram.text);
    let buckets = histogram.json["buckets"].as_array().unwrap();
    let busy: Vec<&Value> = buckets.iter().filter(|b| b["total"] != 0).collect();
    assert_eq!(busy.len(), 1, "{}", histogram.text);
    assert_eq!(busy[0]["total"], 3, "{}", histogram.text);
    assert_eq!(busy[0]["counts"], json!({"doc": 1, "folder": 1}));
}

fn actions(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

fn filters_select_exactly_the_matching_events(server: &Server) {
    let mut batch = Vec::new();
    for (i, (action, outcome)) in [
        ("app.create", "success"),
        ("app.delete", "failure"),
        ("app.update", "denied"),
        ("folder.create", "success"),
    ]
    .iter()
    .enumerate()
    {
        let mut e = event("filt-a", action, &format!("2024-05-0{}T12:00:00Z", i + 1));
        e["outcome"] = json!(outcome);
        e["actor"]["email"] = json!("filt-a@corp.com");
        batch.push(e);
    }
    batch.push(event("filt-b", "app.create", "2024-05-02T12:00:00Z"));
    assert_eq!(ingest(server, &json!(batch)).status, 201);

    let all = list_all(server, "actor=filt-a");
    assert_eq!(
        actions(&all),
        ["folder.create", "app.update", "app.delete", "app.create"],
        "newest first"
    );
    assert_eq!(
        list_all(server, "actor=filt-a@corp.com").len(),
        4,
        "by e-mail"
    );
    assert_eq!(
        actions(&list_all(server, "actor=filt-a&action=app.*")),
        ["app.update", "app.delete", "app.create"]
    );
    assert_eq!(
        actions(&list_all(server, "actor=filt-a&action=app.delete")),
        ["app.delete"]
    );
    assert_eq!(
        actions(&list_all(server, "actor=filt-a&outcome=failure,denied")),
        ["app.update", "app.delete"]
    );
    let range = "actor=filt-a&from=2024-05-02T00:00:00Z&to=2024-05-04T00:00:00Z";
    assert_eq!(
        actions(&list_all(server, range)),
        ["app.update", "app.delete"]
    );
    assert_eq!(
        list_all(
            server,
            "action=app.create&from=2024-05-01T00:00:00Z&to=2024-05-03T00:00:00Z"
        )
        .len(),
        2
    );
    assert!(list_all(server, "actor=nobody-at-all").is_empty());
}

fn pages_stay_stable_while_events_arrive(server: &Server) {
    let batch: Vec<_> = (0..25)
        .map(|i| event("page-1", "doc.view", &format!("2024-06-01T00:00:{i:02}Z")))
        .collect();
    assert_eq!(ingest(server, &json!(batch)).status, 201);

    let first = list(server, "actor=page-1&limit=10");
    assert_eq!(first.status, 200);
    let cursor = first.json["next_cursor"].as_str().unwrap().to_string();
    // New events arrive between pages, both newer and older than the cursor position.
    let late = vec![
        event("page-1", "doc.view", "2024-06-02T00:00:00Z"),
        event("page-1", "doc.view", "2024-05-31T00:00:00Z"),
    ];
    assert_eq!(ingest(server, &json!(late)).status, 201);

    let mut seen: Vec<String> = first.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["occurred_at"].as_str().unwrap().to_string())
        .collect();
    let rest = list_all(server, &format!("actor=page-1&limit=10&cursor={cursor}"));
    seen.extend(
        rest.iter()
            .map(|e| e["occurred_at"].as_str().unwrap().to_string()),
    );
    // Every original event exactly once. The late ones are not: the newer belongs before page one,
    // and the older, though it sorts after the cursor, was stored after page one was read, and the
    // later pages read what the first one did (as an export pinned to it does).
    assert_eq!(seen.len(), 25, "{seen:?}");
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "strictly newest first across pages");
    sorted.dedup();
    assert_eq!(sorted.len(), 25, "no duplicates");
    assert_eq!(seen.last().unwrap(), "2024-06-01T00:00:00.000Z");
    assert!(first.json["events"][0]["occurred_at"] == "2024-06-01T00:00:24.000Z");
    // A new search has both.
    assert_eq!(list_all(server, "actor=page-1&limit=10").len(), 27);
}

/// A relative term (`occurred:>-6s`) is read from the first page's `now` on every later page, so
/// "Load more" continues the window the reader saw instead of one that has moved on meanwhile.
fn later_pages_keep_the_first_pages_window(server: &Server) {
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let sent_at = now_ms();
    let batch: Vec<_> = (0..3)
        .map(|i| {
            let at = evident_shared::timestamp::format_rfc3339(sent_at - 1_000 - 100 * i);
            event("window-1", "doc.view", &at)
        })
        .collect();
    assert_eq!(ingest(server, &json!(batch)).status, 201);
    let query = format!("actor=window-1&limit=1&q={}", encode("occurred:>-6s"));
    let first = list(server, &query);
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json["events"].as_array().unwrap().len(), 1);
    let as_of = first.json["now"].as_i64().unwrap();
    assert!(
        as_of - 6_000 < sent_at - 1_200,
        "the first page came too late for all three events to be in its window"
    );
    // Wait until a window counted from the clock has moved past all three events.
    let wait = as_of + 5_500 - now_ms();
    if wait > 0 {
        std::thread::sleep(std::time::Duration::from_millis(wait as u64));
    }
    let mut rest = Vec::new();
    let mut cursor = first.json["next_cursor"].as_str().map(str::to_string);
    while let Some(at) = cursor {
        let page = list(server, &format!("{query}&cursor={}", encode(&at)));
        assert_eq!(page.status, 200, "{}", page.text);
        rest.extend(page.json["events"].as_array().unwrap().iter().cloned());
        cursor = page.json["next_cursor"].as_str().map(str::to_string);
    }
    assert_eq!(
        rest.len(),
        2,
        "the rest of the first page's window: {rest:?}"
    );
    // A new search, by contrast, reads its own window, which no longer holds them.
    assert_eq!(list_all(server, &query).len(), 0);
}

fn unknown_and_malformed_ids_are_404(server: &Server) {
    for id in [
        "01a20169-08d9-7000-b731-6fdd19dbfb04",
        "nope",
        "1%27%20OR%20%271%27%3D%271",
    ] {
        let answer = http::get(
            &server.url(&format!("/api/v1/events/{id}")),
            Some(&server.read_key),
        );
        assert_eq!(answer.status, 404, "{id}: {}", answer.text);
        assert_eq!(answer.error_code(), "not_found");
    }
}
