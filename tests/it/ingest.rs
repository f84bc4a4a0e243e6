//! Ingestion through `POST /api/v1/events`: the three body shapes, partial and atomic batches, and that
//! what is stored is exactly what was sent, normalised.

use evident_tests::http;
use evident_tests::server::Server;
use serde_json::json;

use crate::support::{event, ingest, list, list_all};
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "ingest::one_object_round_trips_every_field",
        one_object_round_trips_every_field,
    ),
    (
        "ingest::arrays_and_ndjson_store_every_event",
        arrays_and_ndjson_store_every_event,
    ),
    (
        "ingest::valid_events_are_kept_when_others_are_rejected",
        valid_events_are_kept_when_others_are_rejected,
    ),
    (
        "ingest::atomic_batches_store_nothing_on_one_bad_event",
        atomic_batches_store_nothing_on_one_bad_event,
    ),
    (
        "ingest::a_batch_of_500_is_one_request",
        a_batch_of_500_is_one_request,
    ),
];

fn one_object_round_trips_every_field(server: &Server) {
    let sent = json!({
        "action": "Code.Evaluate",
        "occurred_at": "2025-10-06T21:19:40.131+02:00",
        "outcome": "failure",
        "severity": "high",
        "description": "Evaluated a cell",
        "duration_ms": 245,
        "error": {"code": "E42", "message": "boom"},
        "actor": {"type": "user", "id": "rt-1", "name": "Hugo Baraúna", "email": "alice@email.com", "roles": ["admin"]},
        "participants": [{"id": "rt-2", "name": "Bob"}],
        "targets": [{"type": "notebook", "id": "nb1", "name": "Q2 Analysis"}],
        "scope": {"environment": "production", "workspace": "analytics"},
        "context": {"ip": "192.168.1.100", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "session_id": "s1", "request_id": "r1"},
        "changes": {"before": {"status": "draft"}, "after": {"status": "published"}},
        "payload": {"code": "query = from u in User, select: u.name\nRepo.all(query)", "session_mode": "default"},
        "metadata": {"ticket": "SEC-1", "retries": 2},
        "source": {"name": "livebook", "version": "0.14"}
    });
    let answer = ingest(server, &sent);
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.json["accepted"], 1);
    let id = answer.json["events"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(answer.json["events"][0]["index"], 0);

    let got = http::get(
        &server.url(&format!("/api/v1/events/{id}")),
        Some(&server.read_key),
    );
    assert_eq!(got.status, 200, "{}", got.text);
    let e = &got.json;
    assert_eq!(e["id"], id.as_str());
    assert_eq!(e["tenant"], "demo");
    assert_eq!(e["action"], "code.evaluate");
    assert_eq!(e["category"], "execute");
    assert_eq!(e["occurred_at"], "2025-10-06T19:19:40.131Z");
    assert_eq!(e["outcome"], "failure");
    assert_eq!(e["severity"], "high");
    assert_eq!(e["actor"]["name"], "Hugo Baraúna");
    assert_eq!(e["actor"]["roles"], json!(["admin"]));
    assert_eq!(e["participants"][0]["type"], "user");
    assert_eq!(e["targets"], sent["targets"]);
    assert_eq!(e["scope"], sent["scope"]);
    // Sent context fields come back as sent; the server adds the parsed user agent (a private
    // address has no country).
    let mut context = sent["context"].clone();
    context["ua"] = json!({"browser": "Other", "os": "Linux", "device": "desktop"});
    assert_eq!(e["context"], context);
    assert!(e["seq"].as_u64().unwrap() >= 1);
    assert_eq!(e["hash"].as_str().unwrap().len(), 64);
    assert_eq!(e["prev_hash"].as_str().unwrap().len(), 64);
    assert!(e["skew_ms"].as_i64().unwrap() > 0, "sent long ago");
    assert_eq!(e["flags"], json!(["occurred_long_ago"]));
    assert_eq!(e["changes"]["changed_fields"], json!(["/status"]));
    assert_eq!(e["payload"], sent["payload"]);
    assert_eq!(e["metadata"], sent["metadata"]);
    assert_eq!(
        e["source"],
        json!({"format": "native", "name": "livebook", "version": "0.14"})
    );
    assert_eq!(e["error"], sent["error"]);
    let received = e["received_at"].as_str().unwrap();
    assert!(
        received.ends_with('Z') && received.len() == 24,
        "{received}"
    );

    // The list serves the same stored body.
    let page = list(server, "actor=rt-1");
    assert_eq!(page.json["events"][0], got.json);
}

fn arrays_and_ndjson_store_every_event(server: &Server) {
    let batch: Vec<_> = (0..3)
        .map(|i| {
            event(
                "shape-a",
                "doc.create",
                &format!("2024-01-0{}T00:00:00Z", i + 1),
            )
        })
        .collect();
    let answer = ingest(server, &json!(batch));
    assert_eq!(
        (answer.status, answer.json["accepted"].as_u64()),
        (201, Some(3)),
        "{}",
        answer.text
    );

    let ndjson = format!(
        "{}\n\n{}\r\n",
        event("shape-n", "doc.create", "2024-01-01T00:00:00Z"),
        event("shape-n", "doc.delete", "2024-01-02T00:00:00Z")
    );
    let answer = http::post(
        &server.url("/api/v1/events"),
        Some(&server.ingest_key),
        "application/x-ndjson",
        &ndjson,
    );
    assert_eq!(
        (answer.status, answer.json["accepted"].as_u64()),
        (201, Some(2)),
        "{}",
        answer.text
    );

    assert_eq!(list_all(server, "actor=shape-a").len(), 3);
    let n = list_all(server, "actor=shape-n");
    assert_eq!(
        n.iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["doc.delete", "doc.create"]
    );
}

fn valid_events_are_kept_when_others_are_rejected(server: &Server) {
    let body = json!([
        event("part-1", "doc.create", "2024-02-01T00:00:00Z"),
        {"action": "doc.create", "actor": {"id": "part-1"}, "context": {"ip": "not-an-ip"}, "tenant": "other"},
        event("part-1", "doc.update", "2024-02-02T00:00:00Z"),
    ]);
    let answer = ingest(server, &body);
    assert_eq!(answer.status, 207, "{}", answer.text);
    assert_eq!(answer.json["accepted"], 2);
    assert_eq!(answer.json["rejected"][0]["index"], 1);
    let errors = answer.json["rejected"][0]["errors"].as_array().unwrap();
    let paths: Vec<&str> = errors.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["/tenant", "/context/ip"]);
    assert!(errors[1]["message"].as_str().unwrap().contains("not-an-ip"));
    let indexes: Vec<u64> = answer.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [0, 2]);
    assert_eq!(list_all(server, "actor=part-1").len(), 2);
}

fn atomic_batches_store_nothing_on_one_bad_event(server: &Server) {
    let body =
        json!([event("atomic-1", "doc.create", "2024-03-01T00:00:00Z"), {"action": "doc.create"}]);
    let url = server.url("/api/v1/events?atomic=true");
    let answer = http::post(
        &url,
        Some(&server.ingest_key),
        "application/json",
        &body.to_string(),
    );
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.json["accepted"], 0);
    assert_eq!(answer.error_code(), "invalid_events");
    assert_eq!(answer.json["rejected"][0]["errors"][0]["path"], "/actor");
    assert!(
        list_all(server, "actor=atomic-1").is_empty(),
        "nothing half-stored"
    );

    // Every event invalid without atomic: also nothing stored, and 422.
    let answer = ingest(server, &json!([{"action": "x"}]));
    assert_eq!(answer.status, 422, "{}", answer.text);
}

fn a_batch_of_500_is_one_request(server: &Server) {
    let batch: Vec<_> = (0..500)
        .map(|i| {
            event(
                "bulk-500",
                "row.insert",
                &format!("2024-04-01T00:{:02}:{:02}Z", i / 60, i % 60),
            )
        })
        .collect();
    let answer = ingest(server, &json!(batch));
    assert_eq!(
        (answer.status, answer.json["accepted"].as_u64()),
        (201, Some(500)),
        "{}",
        answer.text
    );
    let ids: Vec<&str> = answer.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 500);
    assert_eq!(list_all(server, "actor=bulk-500&limit=500").len(), 500);
}
