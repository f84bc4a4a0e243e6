//! The tenant hash chain through the real stack: many clients ingesting at once never fork, reorder or
//! gap it; retries store nothing twice; and verify notices an event edited or deleted straight in the
//! local D1 database file (each tampering is undone afterwards so later tests see an intact chain),
//! whether the body is re-compressed after the edit, written back as plain JSON, or damaged. Once the
//! chain passes [`TRAIN_AFTER`] events the tenant's dictionary is trained and later bodies use it.

use std::collections::HashSet;

use evident_tests::http;
use evident_tests::server::Server;
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use serde_json::{json, Value};

use evident_worker::sql::BODY;
use evident_worker::stored_body::{decode, Dictionary, Encoder, TRAIN_AFTER};

use crate::support::{event, ingest, read};
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "chain::concurrent_clients_never_fork_reorder_or_gap_it",
        concurrent_clients_never_fork_reorder_or_gap_it,
    ),
    (
        "chain::a_dictionary_is_trained_from_the_tenants_events",
        a_dictionary_is_trained_from_the_tenants_events,
    ),
    (
        "chain::retries_with_the_header_store_nothing_twice",
        retries_with_the_header_store_nothing_twice,
    ),
    (
        "chain::idempotency_keys_in_events_dedupe_across_and_within_requests",
        idempotency_keys_in_events_dedupe_across_and_within_requests,
    ),
    (
        "chain::a_key_reused_for_a_different_event_is_refused",
        a_key_reused_for_a_different_event_is_refused,
    ),
    (
        "chain::verify_checks_ranges_and_refuses_bad_ones",
        verify_checks_ranges_and_refuses_bad_ones,
    ),
    (
        "chain::numbers_of_any_form_verify",
        numbers_of_any_form_verify,
    ),
    (
        "chain::an_edited_body_is_detected",
        an_edited_body_is_detected,
    ),
    (
        "chain::a_body_written_back_as_json_text_is_detected",
        a_body_written_back_as_json_text_is_detected,
    ),
    (
        "chain::a_damaged_body_is_detected",
        a_damaged_body_is_detected,
    ),
    (
        "chain::an_edited_column_is_detected",
        an_edited_column_is_detected,
    ),
    (
        "chain::a_deleted_target_row_is_detected",
        a_deleted_target_row_is_detected,
    ),
    (
        "chain::a_deleted_event_is_detected",
        a_deleted_event_is_detected,
    ),
    (
        "chain::deleting_the_newest_event_is_detected",
        deleting_the_newest_event_is_detected,
    ),
    (
        "chain::a_deleted_or_rewound_head_is_detected",
        a_deleted_or_rewound_head_is_detected,
    ),
];

fn verify(server: &Server, query: &str) -> Value {
    let answer = http::get(
        &server.url(&format!("/api/v1/verify{query}")),
        Some(&server.read_key),
    );
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json
}

fn head_seq(server: &Server) -> u64 {
    verify(server, "?from_seq=1&to_seq=1")["head_seq"]
        .as_u64()
        .unwrap()
}

fn concurrent_clients_never_fork_reorder_or_gap_it(server: &Server) {
    const CLIENTS: usize = 8;
    const REQUESTS: usize = 6;
    const BATCH: usize = 40;
    let before = head_seq(server);
    let seqs: Vec<(usize, Vec<(String, u64)>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|client| {
                scope.spawn(move || {
                    let mut got = Vec::new();
                    for request in 0..REQUESTS {
                        let batch: Vec<Value> = (0..BATCH)
                            .map(|i| {
                                event(
                                    &format!("cc-{client}"),
                                    "doc.update",
                                    &format!("2025-01-01T00:00:{:02}.{:03}Z", request, i),
                                )
                            })
                            .collect();
                        let answer = ingest(server, &Value::Array(batch));
                        assert_eq!(answer.status, 201, "{}", answer.text);
                        for e in answer.json["events"].as_array().unwrap() {
                            got.push((
                                e["id"].as_str().unwrap().to_string(),
                                e["seq"].as_u64().unwrap(),
                            ));
                        }
                    }
                    (client, got)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total = CLIENTS * REQUESTS * BATCH;
    let all: Vec<u64> = seqs
        .iter()
        .flat_map(|(_, s)| s.iter().map(|(_, q)| *q))
        .collect();
    assert_eq!(all.len(), total);
    let distinct: HashSet<u64> = all.iter().copied().collect();
    assert_eq!(distinct.len(), total, "no seq was given twice");
    let expected: HashSet<u64> = (before + 1..=before + total as u64).collect();
    assert_eq!(
        distinct, expected,
        "the seqs are exactly the next {total}, no gap"
    );
    for (_, got) in &seqs {
        // One client's requests are sequential, so its events are in the chain in the order sent.
        assert!(
            got.windows(2).all(|w| w[0].1 < w[1].1),
            "a client's events keep their order"
        );
    }
    let report = verify(server, "");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["head_seq"].as_u64().unwrap(), before + total as u64);
    assert_eq!(report["checked"].as_u64().unwrap(), before + total as u64);
}

fn retries_with_the_header_store_nothing_twice(server: &Server) {
    let body = json!([
        event("idem-h", "doc.create", "2025-02-01T00:00:00Z"),
        event("idem-h", "doc.update", "2025-02-01T00:00:01Z")
    ])
    .to_string();
    let post = |key: &str| {
        http::send(
            "POST",
            &server.url("/api/v1/events"),
            Some(&server.ingest_key),
            &[("idempotency-key", key)],
            Some(("application/json", &body)),
        )
    };
    let first = post("retry-batch-1");
    assert_eq!(first.status, 201, "{}", first.text);
    let head = head_seq(server);
    let again = post("retry-batch-1");
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json["accepted"], 0);
    assert_eq!(again.json["duplicates"], 2);
    for i in 0..2 {
        assert_eq!(again.json["events"][i]["id"], first.json["events"][i]["id"]);
        assert_eq!(
            again.json["events"][i]["seq"],
            first.json["events"][i]["seq"]
        );
        assert_eq!(again.json["events"][i]["duplicate"], true);
    }
    assert_eq!(head_seq(server), head, "the retry stored nothing");
    let other = post("retry-batch-2");
    assert_eq!(other.status, 201, "another key is another request");
    let bad = http::send(
        "POST",
        &server.url("/api/v1/events"),
        Some(&server.ingest_key),
        &[("idempotency-key", &"k".repeat(201))],
        Some(("application/json", &body)),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.error_code(), "invalid_idempotency_key");
}

fn idempotency_keys_in_events_dedupe_across_and_within_requests(server: &Server) {
    let keyed = |key: &str| {
        let mut e = event("idem-f", "doc.delete", "2025-02-02T00:00:00Z");
        e["idempotency_key"] = json!(key);
        e
    };
    let first = ingest(server, &json!([keyed("f-1"), keyed("f-1"), keyed("f-2")]));
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.json["accepted"], 2);
    assert_eq!(first.json["duplicates"], 1);
    assert_eq!(first.json["events"][1]["id"], first.json["events"][0]["id"]);
    let second = ingest(server, &json!([keyed("f-2"), keyed("f-3")]));
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(second.json["accepted"], 1);
    assert_eq!(
        second.json["events"][0]["id"],
        first.json["events"][2]["id"]
    );
    assert_eq!(second.json["events"][0]["duplicate"], true);
    let stored = crate::support::list_all(server, "actor=idem-f");
    assert_eq!(stored.len(), 3, "f-1, f-2 and f-3 once each");
}

/// A key names one event. Sending another event under a key already used answers 409 and stores
/// nothing, rather than "duplicate" for an event that would then be lost; the same event sent again,
/// with its own receipt time and geo, is still a duplicate. The stored event is read back from D1
/// (compressed) to tell which.
fn a_key_reused_for_a_different_event_is_refused(server: &Server) {
    let keyed = |key: &str, action: &str| {
        let mut e = event("idem-c", action, "2025-02-03T00:00:00Z");
        e["idempotency_key"] = json!(key);
        e["context"] = json!({"ip": "81.2.69.160", "user_agent": "curl/8.5.0"});
        e
    };
    let post = |query: &str, body: &Value| {
        http::post(
            &server.url(&format!("/api/v1/events{query}")),
            Some(&server.ingest_key),
            "application/json",
            &body.to_string(),
        )
    };
    let first = ingest(server, &json!([keyed("c-1", "doc.share")]));
    assert_eq!(first.status, 201, "{}", first.text);
    let first_id = first.json["events"][0]["id"].as_str().unwrap().to_string();
    let head = head_seq(server);
    // The same event again, in another request: a duplicate answering the first id.
    let retry = ingest(server, &json!([keyed("c-1", "doc.share")]));
    assert_eq!(retry.status, 200, "{}", retry.text);
    assert_eq!(retry.json["events"][0]["id"], first_id.as_str());
    // Another event under the same key: refused at its key, naming the event that holds it.
    let other = ingest(server, &json!([keyed("c-1", "doc.unshare")]));
    assert_eq!(other.status, 409, "{}", other.text);
    assert_eq!(other.error_code(), "idempotency_conflict");
    let rejected = &other.json["rejected"][0];
    assert_eq!(rejected["index"], 0);
    assert_eq!(rejected["errors"][0]["path"], "/idempotency_key");
    let message = rejected["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(&first_id), "{message}");
    assert_eq!(head_seq(server), head, "nothing stored");
    // With `atomic`, a new event beside the conflict is not stored either; without, it is.
    let mixed = json!([keyed("c-2", "doc.share"), keyed("c-1", "doc.unshare")]);
    let atomic = post("?atomic=true", &mixed);
    assert_eq!(atomic.status, 409, "{}", atomic.text);
    assert_eq!(atomic.json["accepted"], 0);
    assert_eq!(atomic.json["rejected"][0]["index"], 1);
    assert_eq!(
        head_seq(server),
        head,
        "nothing of the atomic request stored"
    );
    let partial = post("", &mixed);
    assert_eq!(partial.status, 207, "{}", partial.text);
    assert_eq!(partial.json["accepted"], 1);
    assert_eq!(partial.json["rejected"][0]["index"], 1);
    assert_eq!(head_seq(server), head + 1);
    // One event under the header's key, changed on its retry: refused too.
    let header = |action: &str| {
        http::send(
            "POST",
            &server.url("/api/v1/events"),
            Some(&server.ingest_key),
            &[("idempotency-key", "c-header")],
            Some((
                "application/json",
                &event("idem-c", action, "2025-02-03T00:00:01Z").to_string(),
            )),
        )
    };
    assert_eq!(header("doc.share").status, 201);
    let changed = header("doc.unshare");
    assert_eq!(changed.status, 409, "{}", changed.text);
    let stored = crate::support::list_all(server, "actor=idem-c");
    assert_eq!(stored.len(), 3, "c-1, c-2 and c-header once each");
    assert!(
        stored.iter().all(|e| e["action"] == "doc.share"),
        "{stored:?}"
    );
}

fn verify_checks_ranges_and_refuses_bad_ones(server: &Server) {
    let head = head_seq(server);
    assert!(head >= 3);
    let part = verify(server, &format!("?from_seq=2&to_seq={}", head - 1));
    assert_eq!(part["ok"], true, "{part}");
    assert_eq!(part["checked"].as_u64().unwrap(), head - 2);
    let beyond = verify(server, &format!("?from_seq={head}&to_seq={}", head + 1000));
    assert_eq!(
        beyond["ok"], true,
        "a range past the head ends at it: {beyond}"
    );
    assert_eq!(beyond["to_seq"].as_u64(), Some(head));
    for (query, message) in [
        ("?from_seq=0", "`from_seq` must be a whole number from 1"),
        ("?to_seq=x", "`to_seq` must be a whole number from 1"),
        (
            "?from_seq=5&to_seq=2",
            "`from_seq` (5) is after `to_seq` (2)",
        ),
        ("?seq=1", "unknown parameter `seq`"),
        ("?from_seq=999999999", "is after the chain head"),
    ] {
        let answer = http::get(
            &server.url(&format!("/api/v1/verify{query}")),
            Some(&server.read_key),
        );
        assert_eq!(answer.status, 400, "{query}: {}", answer.text);
        assert!(
            answer.error_message().contains(message),
            "{query}: {}",
            answer.text
        );
    }
    let ingest_key = http::get(&server.url("/api/v1/verify"), Some(&server.ingest_key));
    assert_eq!(ingest_key.status, 403);
}

/// Numbers sent in forms the canonical JSON writes differently (`10.0` is `10`, `2e3` is `2000`,
/// a float past 2^53 has ECMAScript's digits) are stored as the sealed body says, in the queried
/// columns too, so an untouched chain verifies; and their event reads back in canonical form.
fn numbers_of_any_form_verify(server: &Server) {
    let sent = r#"[{"action": "chain.numbers", "actor": {"id": "chain-numbers"},
             "metadata": {"amount": 10.0, "kilo": 2e3, "tiny": 2e-7, "zero": -0.0, "big": 1e20,
                          "long": 123456789012345678901, "exact": 9007199254740993},
             "payload": {"amount": 10.0, "long": 123456789012345678901}}]"#;
    let answer = http::post(
        &server.url("/api/v1/events"),
        Some(&server.ingest_key),
        "application/json",
        sent,
    );
    assert_eq!(answer.status, 201, "{}", answer.text);
    let id = answer.json["events"][0]["id"].as_str().unwrap().to_string();
    let report = verify(server, "");
    assert_eq!(report["ok"], true, "{report}");
    let event = http::get(
        &server.url(&format!("/api/v1/events/{id}")),
        Some(&server.read_key),
    );
    assert_eq!(event.status, 200, "{}", event.text);
    for (key, printed) in [
        ("amount", "10"),
        ("kilo", "2000"),
        ("tiny", "2e-7"),
        ("zero", "0"),
        ("big", "100000000000000000000"),
        ("long", "123456789012345680000"),
        ("exact", "9007199254740993"),
    ] {
        assert!(
            event.text.contains(&format!("\"{key}\":{printed}")),
            "{key} as {printed}: {}",
            event.text
        );
    }
}

/// The local D1 database, opened beside the running server.
fn database(server: &Server) -> Connection {
    let file = server.database_file().expect("the local D1 database file");
    let db = Connection::open(file).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    db
}

/// Runs `tamper` on a stored event in the middle of the chain, checks verify names it with `code`,
/// then puts the row back exactly as it was and checks the chain is whole again.
fn tamper_and_restore(
    server: &Server,
    seq: u64,
    code: &str,
    tamper: impl FnOnce(&Connection, u64),
) {
    let db = database(server);
    let row: Vec<SqlValue> = db
        .query_row("SELECT rowid, * FROM events WHERE seq = ?1", [seq], |r| {
            (0..r.as_ref().column_count()).map(|i| r.get(i)).collect()
        })
        .unwrap();
    tamper(&db, seq);
    let report = verify(server, "");
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["first_break"]["seq"].as_u64(), Some(seq), "{report}");
    assert_eq!(report["first_break"]["code"], code, "{report}");
    db.execute("DELETE FROM events WHERE rowid = ?1", [&row[0]])
        .unwrap();
    let marks = vec!["?"; row.len()].join(", ");
    db.execute(
        &format!(
            "INSERT INTO events (rowid, {}) VALUES ({marks})",
            columns(&db).join(", ")
        ),
        rusqlite::params_from_iter(row.iter()),
    )
    .unwrap();
    let report = verify(server, "");
    assert_eq!(report["ok"], true, "restored: {report}");
}

fn columns(db: &Connection) -> Vec<String> {
    let mut stmt = db
        .prepare("SELECT name FROM pragma_table_info('events') ORDER BY cid")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn middle(server: &Server) -> u64 {
    let head = head_seq(server);
    assert!(head > 10, "the chain has events to tamper with");
    head / 2
}

/// The demo tenant's dictionaries, as the worker reads them.
fn dictionaries(db: &Connection) -> evident_worker::stored_body::Dictionaries {
    evident_tests::stored::dictionaries(db, "demo")
}

/// The stored body at `seq` as the worker reads it (body, hash and previous hash, in hex).
fn stored_column(db: &Connection, seq: u64) -> String {
    db.query_row(
        &format!("SELECT {BODY} FROM events WHERE tenant = 'demo' AND seq = ?1"),
        [seq],
        |r| r.get(0),
    )
    .unwrap()
}

/// The canonical JSON stored at `seq`, with its outcome changed: what someone editing the file
/// would write.
fn edited_body(db: &Connection, seq: u64) -> String {
    let json = decode(stored_column(db, seq), &dictionaries(db)).unwrap();
    let edited = json.replace("\"outcome\":\"success\"", "\"outcome\":\"failure\"");
    assert_ne!(edited, json, "the event had succeeded");
    edited
}

fn a_dictionary_is_trained_from_the_tenants_events(server: &Server) {
    let db = database(server);
    // The sequencer trains after the write that takes the chain past TRAIN_AFTER, once it has
    // answered that write; wait for it.
    while head_seq(server) < TRAIN_AFTER {
        let batch: Vec<Value> = (0..200)
            .map(|i| {
                event(
                    "dict-fill",
                    "doc.update",
                    &format!("2025-01-02T00:00:{:02}Z", i % 60),
                )
            })
            .collect();
        assert_eq!(ingest(server, &Value::Array(batch)).status, 201);
    }
    let started = std::time::Instant::now();
    while dictionaries(&db).is_empty() {
        assert!(
            started.elapsed().as_secs() < 20,
            "no dictionary was trained"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let dictionary = dictionaries(&db);
    assert_eq!(dictionary.len(), 1);
    assert!(dictionary[&1].len() > 4_096, "trained from many events");
    // Events sent now are compressed with it, read back whole, and take less room than they would
    // without it.
    let batch: Vec<Value> = (0..50)
        .map(|i| event("cc-1", "doc.update", &format!("2025-01-03T00:00:{:02}Z", i)))
        .collect();
    let answer = ingest(server, &Value::Array(batch));
    assert_eq!(answer.status, 201, "{}", answer.text);
    let stored = answer.json["events"].as_array().unwrap();
    let (mut with, mut without) = (0, 0);
    for e in stored {
        let seq = e["seq"].as_u64().unwrap();
        let column = stored_column(&db, seq);
        assert!(column.starts_with("0101"), "dictionary 1 at seq {seq}");
        with += column.split('.').next().unwrap().len() / 2;
        let json = decode(column, &dictionary).unwrap();
        without += Encoder::new(None).encode_sealed(&json).unwrap().0.len();
    }
    assert!(
        (with as f64) < without as f64 * 0.8,
        "{with} bytes with the dictionary, {without} without"
    );
    for e in stored {
        let seq = e["seq"].as_u64().unwrap();
        let id = e["id"].as_str().unwrap();
        let got = read(server, &format!("/api/v1/events/{id}"));
        assert_eq!(got.status, 200, "{}", got.text);
        assert_eq!(got.json["actor"]["id"], "cc-1");
        assert_eq!(got.json["seq"].as_u64(), Some(seq));
    }
    let report = verify(server, "");
    assert_eq!(report["ok"], true, "{report}");
}

fn an_edited_body_is_detected(server: &Server) {
    // Near the head: compressed with the tenant's dictionary, and compressed again after the edit
    // exactly as the worker would, so the row is well formed and only the hash can tell.
    let seq = head_seq(server) - 5;
    tamper_and_restore(server, seq, "altered", |db, seq| {
        let edited = edited_body(db, seq);
        let dictionary = dictionaries(db)
            .remove(&1)
            .map(|bytes| Dictionary { id: 1, bytes });
        let (stored, _) = Encoder::new(dictionary).encode_sealed(&edited).unwrap();
        let n = db
            .execute(
                "UPDATE events SET body = ?2 WHERE tenant = 'demo' AND seq = ?1",
                rusqlite::params![seq, stored],
            )
            .unwrap();
        assert_eq!(n, 1);
    });
}

fn a_body_written_back_as_json_text_is_detected(server: &Server) {
    let seq = head_seq(server) - 6;
    tamper_and_restore(server, seq, "altered", |db, seq| {
        let edited = edited_body(db, seq);
        db.execute(
            "UPDATE events SET body = ?2 WHERE tenant = 'demo' AND seq = ?1",
            rusqlite::params![seq, edited],
        )
        .unwrap();
    });
}

fn a_damaged_body_is_detected(server: &Server) {
    let seq = head_seq(server) - 7;
    tamper_and_restore(server, seq, "unreadable", |db, seq| {
        db.execute(
            "UPDATE events SET body = substr(body, 1, length(body) - 8) \
             WHERE tenant = 'demo' AND seq = ?1",
            [seq],
        )
        .unwrap();
    });
}

fn an_edited_column_is_detected(server: &Server) {
    let seq = middle(server) + 1;
    // A key bound to one environment verifies the whole chain too, but is told where and how it
    // breaks, not what is stored there (the event may be another environment's).
    let made = http::post(
        &server.url("/api/v1/keys"),
        Some(&server.admin_key),
        "application/json",
        &json!({"name": "chain-bound reader", "scope": "read", "environment": "chain-elsewhere"})
            .to_string(),
    );
    assert_eq!(made.status, 201, "{}", made.text);
    let bound = made.json["secret"].as_str().unwrap().to_string();
    tamper_and_restore(server, seq, "column_edited", |db, seq| {
        db.execute(
            "UPDATE events SET actor_id = 'someone-else' WHERE seq = ?1",
            [seq],
        )
        .unwrap();
        let whole = http::get(&server.url("/api/v1/verify"), Some(&server.read_key));
        assert!(whole.text.contains("someone-else"), "{}", whole.text);
        let partial = http::get(&server.url("/api/v1/verify"), Some(&bound));
        assert_eq!(partial.status, 200, "{}", partial.text);
        let broken = &partial.json["first_break"];
        assert_eq!(broken["seq"].as_u64(), Some(seq), "{}", partial.text);
        assert_eq!(broken["code"], "column_edited");
        assert!(broken.get("id").is_none(), "{}", partial.text);
        assert!(!partial.text.contains("someone-else"), "{}", partial.text);
    });
}

/// Deleting an event's row from the targets index would hide the event from that resource's
/// history without touching the chain; verify looks each sealed target up.
fn a_deleted_target_row_is_detected(server: &Server) {
    let mut e = event("chain-target", "doc.share", "2025-03-01T00:00:00Z");
    e["targets"] = json!([{"type": "doc", "id": "chain-target-doc"}]);
    assert_eq!(ingest(server, &e).status, 201);
    let db = database(server);
    let (seq, occurred_at): (u64, i64) = db
        .query_row(
            "SELECT seq, occurred_at FROM event_targets WHERE target_id = 'chain-target-doc'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let history = |server: &Server| {
        read(server, "/api/v1/resources/doc/chain-target-doc").json["events"]
            .as_array()
            .map(Vec::len)
    };
    assert_eq!(history(server), Some(1));
    db.execute(
        "DELETE FROM event_targets WHERE target_id = 'chain-target-doc'",
        [],
    )
    .unwrap();
    assert_eq!(
        history(server),
        Some(0),
        "the event is hidden from the history"
    );
    let report = verify(server, "");
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["first_break"]["seq"].as_u64(), Some(seq), "{report}");
    assert_eq!(report["first_break"]["code"], "target_missing", "{report}");
    assert!(
        report["first_break"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("doc chain-target-doc"),
        "{report}"
    );
    db.execute(
        "INSERT INTO event_targets (tenant, target_type, target_id, occurred_at, seq) \
         VALUES ('demo', 'doc', 'chain-target-doc', ?1, ?2)",
        rusqlite::params![occurred_at, seq],
    )
    .unwrap();
    assert_eq!(verify(server, "")["ok"], true);
}

fn a_deleted_event_is_detected(server: &Server) {
    let seq = middle(server) + 2;
    tamper_and_restore(server, seq, "missing", |db, seq| {
        db.execute("DELETE FROM events WHERE seq = ?1", [seq])
            .unwrap();
    });
}

fn deleting_the_newest_event_is_detected(server: &Server) {
    let seq = head_seq(server);
    tamper_and_restore(server, seq, "missing", |db, seq| {
        db.execute("DELETE FROM events WHERE seq = ?1", [seq])
            .unwrap();
    });
}

/// The chain head row is what a walk runs up to: deleting it (or moving it back) would leave the
/// events after it unchecked. They count as outside the chain, so verify is not ok.
fn a_deleted_or_rewound_head_is_detected(server: &Server) {
    let db = database(server);
    let head_seq = head_seq(server);
    let (tenant, seq, hash): (String, i64, String) = db
        .query_row(
            "SELECT tenant, seq, hash FROM chain_heads WHERE seq = ?1",
            [head_seq],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let count = |report: &Value| report["unsealed"].as_u64().unwrap();
    db.execute("DELETE FROM chain_heads WHERE tenant = ?1", [&tenant])
        .unwrap();
    let deleted = verify(server, "");
    assert_eq!(deleted["ok"], false, "{deleted}");
    assert_eq!(count(&deleted), head_seq, "{deleted}");
    db.execute(
        "INSERT INTO chain_heads (tenant, seq, hash) VALUES (?1, ?2, ?3)",
        rusqlite::params![tenant, seq - 2, "0".repeat(64)],
    )
    .unwrap();
    let rewound = verify(server, "");
    assert_eq!(rewound["ok"], false, "{rewound}");
    assert_eq!(count(&rewound), 2, "{rewound}");
    db.execute(
        "UPDATE chain_heads SET seq = ?2, hash = ?3 WHERE tenant = ?1",
        rusqlite::params![tenant, seq, hash],
    )
    .unwrap();
    let restored = verify(server, "");
    assert_eq!(restored["ok"], true, "restored: {restored}");
    assert_eq!(count(&restored), 0);
}
