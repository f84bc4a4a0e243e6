//! `GET /api/v1/export` through a real `wrangler dev`: every matching event in CSV, JSON and NDJSON,
//! across more than one of the worker's pages, read back the way a spreadsheet or a script would. This
//! module's events live in April 2018 and in project `xprt`.

use std::collections::HashSet;

use evident_tests::http;
use evident_tests::server::Server;
use serde_json::{json, Value};

use crate::support::{encode, ingest, list, read};
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "export::every_matching_event_in_each_format",
        every_matching_event_in_each_format,
    ),
    (
        "export::bad_requests_are_answered_before_any_byte",
        bad_requests_are_answered_before_any_byte,
    ),
    (
        "export::a_lists_first_page_pins_the_export_of_its_rows",
        a_lists_first_page_pins_the_export_of_its_rows,
    ),
];

/// More than the worker's 1,000-event export page, so the file spans pages.
const EVENTS: usize = 1_203;

/// Sends the module's events, one a minute from 2018-04-02T00:00Z; every 10th failed. Event 7's actor
/// name is a spreadsheet formula and event 8 carries multi-line code.
fn send(server: &Server) {
    let start = 1_522_627_200_000_i64; // 2018-04-02T00:00:00Z
    let events: Vec<Value> = (0..EVENTS)
        .map(|i| {
            let mut e = json!({
                "action": "report.export",
                "occurred_at": start + i as i64 * 60_000,
                "outcome": if i % 10 == 0 { "failure" } else { "success" },
                "actor": {"id": format!("xprt-u{}", i % 4), "email": format!("xprt{}@corp.com", i % 4)},
                "scope": {"project": "xprt", "environment": "prod"},
                "targets": [{"type": "report", "id": format!("r{}", i % 9), "name": "Q2 sales"}],
                "context": {"ip": "203.0.113.9"},
                "idempotency_key": format!("xprt-{i}"),
            });
            if i == 7 {
                e["actor"] = json!({"id": "xprt-formula", "name": "=HYPERLINK(\"http://x\",\"y\")"});
            }
            if i == 8 {
                e["payload"] = json!({"code": "x = 1\ny = \"é, \\\"q\\\"\"\nprint(x)"});
            }
            e
        })
        .collect();
    for batch in events.chunks(500) {
        let answer = ingest(server, &json!(batch));
        assert!(matches!(answer.status, 200 | 201), "{}", answer.text);
    }
}

fn export(server: &Server, query: &str) -> http::Answer {
    read(server, &format!("/api/v1/export?{query}"))
}

const Q: &str = "project:xprt";

fn every_matching_event_in_each_format(server: &Server) {
    send(server);
    let q = encode(Q);

    // CSV: the seed's six columns first, every event once, newest first, formulas defused.
    let csv = export(server, &format!("format=csv&q={q}"));
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let disposition = csv.header("content-disposition").unwrap_or_default();
    assert!(
        disposition.starts_with("attachment; filename=\"evident-events-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let up_to_seq: u64 = csv
        .header("x-evident-up-to-seq")
        .and_then(|s| s.parse().ok())
        .expect("the snapshot's seq");
    assert!(up_to_seq >= EVENTS as u64);
    assert!(
        csv.text
            .starts_with("timestamp,user,action,resource,status,ip_address,id,"),
        "{}",
        &csv.text[..80]
    );
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), EVENTS);
    let ids: HashSet<&str> = rows.iter().map(|r| &r[column("id")]).collect();
    assert_eq!(ids.len(), EVENTS, "no event twice");
    let times: Vec<&str> = rows.iter().map(|r| &r[column("timestamp")]).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(times[0], "2018-04-02T20:02:00.000Z");
    let formula = rows
        .iter()
        .find(|r| &r[column("actor_id")] == "xprt-formula")
        .unwrap();
    assert_eq!(&formula[column("user")], "'=HYPERLINK(\"http://x\",\"y\")");
    let code = rows.iter().find(|r| !r[column("code")].is_empty()).unwrap();
    assert_eq!(
        &code[column("code")],
        "x = 1\ny = \"é, \\\"q\\\"\"\nprint(x)"
    );
    assert_eq!(&code[column("resource")], "Q2 sales");
    assert_eq!(&code[column("ip_address")], "203.0.113.9");

    // JSON: one array of the stored bodies, byte for byte what the API serves for each event.
    let json = export(server, &format!("format=json&q={q}"));
    assert_eq!(json.status, 200, "{}", json.text);
    assert_eq!(json.header("content-type"), Some("application/json"));
    let array = json.json.as_array().expect("a JSON array");
    assert_eq!(array.len(), EVENTS);
    let first = &array[0];
    let stored = read(
        server,
        &format!("/api/v1/events/{}", first["id"].as_str().unwrap()),
    );
    assert_eq!(&stored.json, first);
    assert!(json.text.contains(&stored.text), "verbatim body");

    // NDJSON, with a narrower filter: one event per line.
    let failures = export(server, &format!("format=ndjson&outcome=failure&q={q}"));
    assert_eq!(failures.status, 200, "{}", failures.text);
    let lines: Vec<Value> = failures
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), EVENTS.div_ceil(10));
    assert!(lines.iter().all(|e| e["outcome"] == "failure"));

    // Nothing matches: still a valid file.
    let none = encode("project:xprt-none");
    assert_eq!(
        export(server, &format!("format=json&q={none}")).text,
        "[]\n"
    );
    let empty_csv = export(server, &format!("format=csv&q={none}")).text;
    assert_eq!(empty_csv.lines().count(), 1, "{empty_csv}");
}

fn bad_requests_are_answered_before_any_byte(server: &Server) {
    for (query, status, needle) in [
        ("q=x", 400, "`format` is required"),
        ("format=xlsx", 400, "`format`: `xlsx`"),
        ("format=csv&limit=10", 400, "`limit` does not apply"),
        ("format=csv&colour=red", 400, "`colour`"),
        ("format=csv&q=actr%3Ax", 400, "actor"),
        (
            "format=csv&up_to_seq=-1",
            400,
            "`up_to_seq`: `-1` is not a whole number",
        ),
        ("format=csv&now=soon", 400, "`now`: `soon`"),
        ("format=csv&now=999999999999999", 400, "`now`"),
    ] {
        let answer = export(server, query);
        assert_eq!(answer.status, status, "{query}: {}", answer.text);
        assert!(
            answer.error_message().contains(needle),
            "{query}: {}",
            answer.text
        );
    }
    let anonymous = http::get(&server.url("/api/v1/export?format=csv"), None);
    assert_eq!(anonymous.status, 401, "{}", anonymous.text);
    let ingest_key = http::get(
        &server.url("/api/v1/export?format=csv"),
        Some(&server.ingest_key),
    );
    assert_eq!(ingest_key.status, 403, "{}", ingest_key.text);
}

/// A list's first page says what it was read as of (`up_to_seq`, `now`); an export given those holds
/// exactly the list's rows: an event dated ahead that the list shows, and not the events stored
/// since, even one dated inside the range; relative terms taken from the list's time. Project `asof`.
fn a_lists_first_page_pins_the_export_of_its_rows(server: &Server) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let at = |offset_ms: i64, id: &str| {
        json!({"action": "asof.check", "occurred_at": now + offset_ms, "outcome": "success",
               "actor": {"id": id}, "scope": {"project": "asof"}})
    };
    const MINUTE: i64 = 60_000;
    let first = ingest(
        server,
        &json!([at(-30 * MINUTE, "recent"), at(2 * 60 * MINUTE, "ahead")]),
    );
    assert!(matches!(first.status, 200 | 201), "{}", first.text);
    let q = encode("project:asof");
    let page = list(server, &format!("q={q}&limit=100"));
    assert_eq!(page.status, 200, "{}", page.text);
    let up_to_seq = page.json["up_to_seq"]
        .as_u64()
        .expect("a first page's up_to_seq");
    let read_at = page.json["now"].as_i64().expect("a first page's now");
    assert!(
        (read_at - now).abs() < 10 * MINUTE,
        "{read_at} against {now}"
    );
    let ids = |events: &Value| -> HashSet<String> {
        let list = events.as_array().expect("an array");
        list.iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let shown = ids(&page.json["events"]);
    assert_eq!(
        shown.len(),
        2,
        "the event dated ahead is listed: {}",
        page.text
    );

    // Stored after the list was read, one of them inside its range.
    let later = ingest(
        server,
        &json!([at(-40 * MINUTE, "late"), at(-90 * MINUTE, "older")]),
    );
    assert!(matches!(later.status, 200 | 201), "{}", later.text);
    let pinned = export(
        server,
        &format!("format=json&q={q}&up_to_seq={up_to_seq}&now={read_at}"),
    );
    assert_eq!(pinned.status, 200, "{}", pinned.text);
    assert_eq!(ids(&pinned.json), shown, "the file holds the list's rows");
    assert_eq!(
        pinned.header("x-evident-up-to-seq"),
        Some(up_to_seq.to_string().as_str())
    );
    // The record of the export says what the file was pinned to: it decides what the file holds.
    let records = list(
        server,
        &format!("q={}&limit=1", encode("action:log.export")),
    );
    // Data leaving, in the category the senders' own exports get.
    assert_eq!(records.json["events"][0]["category"], "export");
    let record = &records.json["events"][0]["payload"];
    assert_eq!(record["now"], read_at.to_string(), "{}", records.text);
    assert_eq!(record["up_to_seq"], up_to_seq, "{}", records.text);
    // Unpinned, the export holds all four; a head past the chain's is the chain's.
    assert_eq!(
        ids(&export(server, &format!("format=json&q={q}")).json).len(),
        4
    );
    let beyond = export(server, &format!("format=json&q={q}&up_to_seq=999999999"));
    assert_eq!(ids(&beyond.json).len(), 4);

    // Relative terms are taken from `now`: an hour back from an hour ago reaches the older event.
    let recent = encode("project:asof occurred:>=-1h");
    assert_eq!(
        ids(&export(server, &format!("format=json&q={recent}")).json).len(),
        3
    );
    let earlier = export(
        server,
        &format!("format=json&q={recent}&now={}", now - 60 * MINUTE),
    );
    assert_eq!(ids(&earlier.json).len(), 4, "{}", earlier.text);

    // Later pages say nothing of the sort: they continue the first.
    let second = list(server, &format!("q={q}&limit=1"));
    let cursor = second.json["next_cursor"].as_str().expect("a next page");
    let next = list(server, &format!("q={q}&limit=1&cursor={}", encode(cursor)));
    assert_eq!(next.status, 200, "{}", next.text);
    assert!(
        next.json.get("up_to_seq").is_none() && next.json.get("now").is_none(),
        "{}",
        next.text
    );
}
