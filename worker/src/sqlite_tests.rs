//! Runs the worker's SQL against the real migrations in SQLite (the engine under D1), natively: inserts
//! through `json_each` exactly as the worker does, pages through results, and reads query plans so that
//! a change that loses an index fails here rather than at a million rows.

use rusqlite::{params_from_iter, Connection};
use serde_json::Value;

use evident_shared::body::Framing;
use evident_shared::cursor::Cursor;
use evident_shared::event::Outcome;

use std::collections::HashMap;

use evident_shared::redact::RedactionRules;

use crate::ingest::{read_native, Arrival, Enrichment};
use crate::seal::{plan, Head, Plan};
use crate::sql::{
    plan_statements, ActionMatch, ListQuery, Reach, SqlValue, SELECT_CHAIN_HEAD,
    SELECT_DICTIONARIES, SELECT_EVENT,
};
use crate::stored_body::{
    decode, dictionaries_from_hex, inflate_stored, Dictionaries, Dictionary, Encoder,
};

/// An in-memory database with every migration applied, and `body_json(body)`: a stored body's JSON
/// without its two chain hashes (bodies compressed without a dictionary), for oracles written in SQL.
pub(crate) fn database() -> Connection {
    let db = Connection::open_in_memory().unwrap();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|x| x == "sql"));
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        db.execute_batch(&std::fs::read_to_string(file).unwrap())
            .unwrap();
    }
    use rusqlite::functions::FunctionFlags;
    use rusqlite::types::ValueRef;
    db.create_scalar_function(
        "body_json",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let bytes = match ctx.get_raw(0) {
                ValueRef::Blob(bytes) => bytes,
                _ => return Ok(None),
            };
            inflate_stored(bytes, &HashMap::new())
                .map(|(text, _, _)| Some(text))
                .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))
        },
    )
    .unwrap();
    db
}

/// A tenant's dictionaries, read with the worker's statement.
pub(crate) fn dictionaries(db: &Connection, tenant: &str) -> Dictionaries {
    let mut stmt = db.prepare(SELECT_DICTIONARIES).unwrap();
    let rows = stmt
        .query_map([tenant], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    dictionaries_from_hex(rows.map(Result::unwrap)).unwrap()
}

/// A stored body (as [`crate::sql::BODY`] selects it) as canonical JSON.
pub(crate) fn decoded(db: &Connection, tenant: &str, body: String) -> String {
    decode(body, &dictionaries(db, tenant)).unwrap()
}

pub(crate) fn to_sql(value: &SqlValue) -> rusqlite::types::Value {
    match value {
        SqlValue::Text(t) => rusqlite::types::Value::Text(t.clone()),
        SqlValue::Int(n) => rusqlite::types::Value::Integer(*n),
        SqlValue::Null => rusqlite::types::Value::Null,
    }
}

/// Ingests `n` events, one a minute going back from a fixed time, alternating actors and outcomes.
fn ingest(db: &Connection, tenant: &str, n: usize) {
    let events: Vec<Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "action": if i % 3 == 0 { "app.delete" } else { "app.update" },
                "occurred_at": 1_700_000_000_000_i64 - (i as i64) * 60_000,
                "outcome": if i % 2 == 0 { "success" } else { "failure" },
                "actor": {"id": format!("u{}", i % 4), "email": format!("user{}@corp.com", i % 4)},
            })
        })
        .collect();
    let body = serde_json::to_string(&events).unwrap();
    store(db, tenant, &body);
}

/// Runs the whole pipeline on a JSON array body and writes the sealing plan as the sequencer does:
/// the inserts and the chain head in one transaction.
pub(crate) fn store(db: &Connection, tenant: &str, body: &str) -> Plan {
    // Each call arrives a millisecond later, so its event ids differ from the last call's.
    static CLOCK: std::sync::atomic::AtomicI64 =
        std::sync::atomic::AtomicI64::new(1_700_000_100_000);
    let arrival = Arrival {
        tenant,
        received_at: CLOCK.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        format: "native",
        atomic: false,
        idempotency_key: None,
        random: &[1; 8 * 1000],
    };
    let received = read_native(body, Framing::Json, arrival).unwrap();
    let rules = RedactionRules::default();
    let prepared = received.finish(Enrichment {
        geo: &HashMap::new(),
        client: None,
        rules: &rules,
    });
    let head: Head = db
        .query_row(SELECT_CHAIN_HEAD, [tenant], |r| {
            Ok(Head {
                seq: r.get(0)?,
                hash: r.get(1)?,
            })
        })
        .unwrap_or_else(|_| Head::genesis());
    let encoder = Encoder::new(Dictionary::newest(dictionaries(db, tenant)));
    let plan = plan(&head, &prepared.pending, &HashMap::new(), &encoder, 10_000);
    write(db, tenant, &plan);
    plan
}

/// Writes a plan in one transaction.
pub(crate) fn write(db: &Connection, tenant: &str, plan: &Plan) {
    let tx = db.unchecked_transaction().unwrap();
    for (sql, params) in plan_statements(tenant, plan) {
        tx.execute(sql, params_from_iter(params.iter().map(to_sql)))
            .unwrap();
    }
    tx.commit().unwrap();
}

/// `(occurred_at, seq, body as JSON)` of a list page.
fn list(db: &Connection, tenant: &str, query: &ListQuery) -> Vec<(i64, u64, String)> {
    let (sql, params) = query.to_sql(Reach::whole_tenant(tenant)).unwrap();
    let mut stmt = db.prepare(&sql).unwrap();
    let rows = stmt
        .query_map(params_from_iter(params.iter().map(to_sql)), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    rows.map(|r| {
        let (ms, seq, body) = r.unwrap();
        (ms, seq, decoded(db, tenant, body))
    })
    .collect()
}

fn query_plan(db: &Connection, tenant: &str, query: &ListQuery) -> String {
    let (sql, params) = query.to_sql(Reach::whole_tenant(tenant)).unwrap();
    let mut stmt = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = stmt
        .query_map(params_from_iter(params.iter().map(to_sql)), |r| {
            r.get::<_, String>(3)
        })
        .unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
}

fn all() -> ListQuery {
    ListQuery {
        limit: 10,
        ..ListQuery::default()
    }
}

#[test]
fn keyset_pages_cover_every_event_once_newest_first() {
    let db = database();
    ingest(&db, "acme", 95);
    let mut seen = Vec::new();
    let mut query = all();
    loop {
        let mut rows = list(&db, "acme", &query);
        let more = rows.len() > query.limit as usize;
        rows.truncate(query.limit as usize);
        let last = rows.last().cloned();
        seen.extend(rows);
        match (more, last) {
            (true, Some((ms, seq, _))) => {
                query.cursor = Some(Cursor {
                    occurred_at: ms,
                    seq,
                    view: None,
                })
            }
            _ => break,
        }
    }
    assert_eq!(seen.len(), 95);
    assert!(
        seen.windows(2)
            .all(|w| (w[0].0, &w[0].1) > (w[1].0, &w[1].1)),
        "strictly newest first"
    );
    let body: Value = serde_json::from_str(&seen[0].2).unwrap();
    assert_eq!(body["tenant"], "acme");
}

#[test]
fn filters_select_exactly_the_matching_events() {
    let db = database();
    ingest(&db, "acme", 40);
    ingest(&db, "other", 40);
    let q = ListQuery {
        actor: Some("user1@corp.com".into()),
        outcomes: vec![Outcome::Failure],
        limit: 100,
        ..all()
    };
    let rows = list(&db, "acme", &q);
    // E-mails are stored lowercased, and asked for in any case.
    let shouted = ListQuery {
        actor: Some("USER1@Corp.com".into()),
        ..q.clone()
    };
    assert_eq!(list(&db, "acme", &shouted), rows);
    assert_eq!(
        rows.len(),
        10,
        "actors cycle every 4, u1 is always odd -> failure"
    );
    for (_, _, body) in &rows {
        let e: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            (
                e["actor"]["id"].as_str(),
                e["outcome"].as_str(),
                e["tenant"].as_str()
            ),
            (Some("u1"), Some("failure"), Some("acme"))
        );
    }
    let q = ListQuery {
        action: Some(ActionMatch::Prefix("app.".into())),
        limit: 100,
        ..all()
    };
    assert_eq!(list(&db, "acme", &q).len(), 40);
    let q = ListQuery {
        action: Some(ActionMatch::Exact("app.delete".into())),
        limit: 100,
        ..all()
    };
    assert_eq!(list(&db, "acme", &q).len(), 14);
    let q = ListQuery {
        from: Some(1_700_000_000_000 - 9 * 60_000),
        to: Some(1_700_000_000_000),
        limit: 100,
        ..all()
    };
    assert_eq!(
        list(&db, "acme", &q).len(),
        9,
        "from is inclusive, to exclusive"
    );
}

#[test]
fn one_event_by_id_is_only_visible_to_its_tenant() {
    let db = database();
    ingest(&db, "acme", 1);
    let id: String = db
        .query_row("SELECT id FROM events", [], |r| r.get(0))
        .unwrap();
    let found = |tenant: &str| {
        db.query_row(
            SELECT_EVENT,
            rusqlite::params![tenant, id, None::<String>, None::<String>],
            |r| r.get::<_, String>(0),
        )
        .is_ok()
    };
    assert!(found("acme"));
    assert!(!found("other"));
}

#[test]
fn list_queries_use_an_index_and_never_sort() {
    let db = database();
    ingest(&db, "acme", 200);
    db.execute_batch("ANALYZE").unwrap();
    let cursor = Some(Cursor {
        occurred_at: 1_700_000_000_000,
        seq: 7,
        view: None,
    });
    for (name, q, index) in [
        ("plain", all(), "events_by_time"),
        (
            "paged",
            ListQuery {
                cursor: cursor.clone(),
                ..all()
            },
            "events_by_time",
        ),
        (
            "actor id",
            ListQuery {
                actor: Some("u1".into()),
                ..all()
            },
            "events_by_actor_id",
        ),
        (
            "actor email",
            ListQuery {
                actor: Some("user1@corp.com".into()),
                ..all()
            },
            "events_by_actor_email",
        ),
        (
            "action",
            ListQuery {
                action: Some(ActionMatch::Exact("app.delete".into())),
                ..all()
            },
            "events_by_action",
        ),
        (
            "time range",
            ListQuery {
                from: Some(1),
                to: Some(2),
                ..all()
            },
            "events_by_time",
        ),
    ] {
        let plan = query_plan(&db, "acme", &q);
        assert!(plan.contains(index), "{name}: {plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{name} sorts: {plan}");
        assert!(!plan.starts_with("SCAN events"), "{name} scans: {plan}");
    }
}

#[test]
fn stored_bodies_are_the_sealed_text_byte_for_byte() {
    let db = database();
    let body = serde_json::json!([
        {"action": "a.b", "actor": {"id": "u1", "name": "Zoë \u{1F600}"}, "payload": {"x": 1.50, "code": "a\n\"b\"\t\u{1}"}},
        {"action": "a.c", "actor": {"id": "u2"}, "metadata": {"n": -0.0, "big": 12345678901234_i64}}
    ])
    .to_string();
    let plan = store(&db, "acme", &body);
    let rows: Vec<Vec<Value>> = plan
        .chunks
        .iter()
        .flat_map(|c| serde_json::from_str::<Vec<Vec<Value>>>(&c.rows).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let stored: String = db
            .query_row(
                &format!("SELECT {} FROM events WHERE id = ?1", crate::sql::BODY),
                [row[0].as_str().unwrap()],
                |r| r.get(0),
            )
            .unwrap();
        let stored = decoded(&db, "acme", stored);
        // The sealed text was canonical, and canonical JSON is unique for a value: a stored body that
        // is canonical and recomputes to its hash is the sealed text byte for byte.
        let value: Value = serde_json::from_str(&stored).unwrap();
        assert_eq!(evident_shared::chain::canonical_json(&value), stored);
        let recomputed = evident_shared::chain::recompute(&stored).unwrap();
        assert_eq!(
            recomputed.claimed_hash.as_deref(),
            Some(recomputed.actual_hash.as_str())
        );
    }
}

#[test]
fn search_text_targets_and_rollups_are_written_with_the_events() {
    let db = database();
    let events = serde_json::json!([
        {"action": "notebook.update", "occurred_at": "2024-06-01T10:15:00Z", "outcome": "success",
         "actor": {"id": "u1", "name": "Jane Doe"}, "scope": {"environment": "prod"},
         "targets": [{"type": "notebook", "id": "nb1"}, {"type": "folder", "id": "f1"}],
         "payload": {"code": "df = load_sales()"}},
        {"action": "notebook.update", "occurred_at": "2024-06-01T10:45:00Z", "outcome": "failure",
         "actor": {"id": "u2"}, "scope": {"environment": "prod"},
         "targets": [{"type": "notebook", "id": "nb1"}]},
        {"action": "app.delete", "occurred_at": "2024-06-01T11:05:00Z", "outcome": "success",
         "actor": {"id": "u1"}}
    ]);
    store(&db, "acme", &events.to_string());
    store(&db, "other", &events.to_string());
    let ids_matching = |query: &str| -> Vec<String> {
        let mut stmt = db
            .prepare(
                "SELECT e.id FROM events_fts JOIN events e ON e.rowid = events_fts.rowid \
                 WHERE events_fts MATCH ?1 AND e.tenant = 'acme'",
            )
            .unwrap();
        let rows = stmt.query_map([query], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    assert_eq!(ids_matching("load_sales").len(), 1, "payload code");
    assert_eq!(ids_matching("\"jane doe\"").len(), 1, "actor name");
    assert_eq!(ids_matching("nb1").len(), 2, "target id");
    assert_eq!(ids_matching("code").len(), 0, "payload keys are not text");

    let history: Vec<(i64, i64)> = db
        .prepare(
            "SELECT seq, occurred_at FROM event_targets WHERE tenant = 'acme' \
             AND target_type = 'notebook' AND target_id = 'nb1' ORDER BY occurred_at",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(history.len(), 2);
    assert!(history[0].1 < history[1].1);

    let counts: Vec<(i64, i64, String, String, i64)> = db
        .prepare(
            "SELECT span, bucket, environment, outcome, n FROM event_counts \
             WHERE tenant = 'acme' ORDER BY span, bucket, environment, outcome",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let hour = 1_717_236_000_000; // 2024-06-01T10:00Z
    let day = 1_717_200_000_000;
    assert_eq!(
        counts,
        vec![
            (3_600_000, hour, "prod".into(), "failure".into(), 1),
            (3_600_000, hour, "prod".into(), "success".into(), 1),
            (3_600_000, hour + 3_600_000, "".into(), "success".into(), 1),
            (86_400_000, day, "".into(), "success".into(), 1),
            (86_400_000, day, "prod".into(), "failure".into(), 1),
            (86_400_000, day, "prod".into(), "success".into(), 1),
        ]
    );
    // A second batch adds to the same buckets instead of replacing them.
    store(&db, "acme", &events.to_string());
    let total: i64 = db
        .query_row(
            "SELECT sum(n) FROM event_counts WHERE tenant = 'acme' AND span = 86400000",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(total, 6);
}

#[test]
fn a_dictionary_trained_from_the_tenants_events_shrinks_later_bodies() {
    use crate::sql::{INSERT_DICTIONARY, SELECT_TRAINING_BODIES};
    use crate::stored_body::{train, training_seqs};
    let db = database();
    ingest(&db, "acme", 300);
    ingest(&db, "other", 10);
    // Train as the sequencer does: bodies spread over the chain, read back with the worker's SQL.
    let seqs = serde_json::to_string(&training_seqs(300)).unwrap();
    let samples: Vec<String> = db
        .prepare(SELECT_TRAINING_BODIES)
        .unwrap()
        .query_map(rusqlite::params!["acme", seqs], |r| r.get::<_, String>(1))
        .unwrap()
        .map(|body| decoded(&db, "acme", body.unwrap()))
        .collect();
    assert_eq!(samples.len(), 48);
    let dictionary = train(&samples);
    db.execute(
        INSERT_DICTIONARY,
        rusqlite::params!["acme", 1, 0, evident_shared::chain::hex(&dictionary)],
    )
    .unwrap();
    assert_eq!(dictionaries(&db, "acme")[&1], dictionary);
    assert!(dictionaries(&db, "other").is_empty(), "per tenant");
    ingest(&db, "acme", 300);
    let size = |from: u64, to: u64| -> f64 {
        db.query_row(
            "SELECT avg(length(body)) FROM events WHERE tenant = 'acme' AND seq BETWEEN ?1 AND ?2",
            [from, to],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (plain, preset) = (size(1, 300), size(301, 600));
    assert!(preset < plain * 0.7, "{preset} vs {plain} bytes");
    // Every body reads back, old and new, and links to the one before it.
    let mut bodies = list(
        &db,
        "acme",
        &ListQuery {
            limit: 1000,
            ..all()
        },
    );
    assert_eq!(bodies.len(), 600);
    bodies.sort_by_key(|(_, seq, _)| *seq);
    let mut prev = evident_shared::chain::GENESIS.to_string();
    for (_, seq, body) in &bodies {
        let r = evident_shared::chain::recompute(body).unwrap();
        assert_eq!(r.seq, Some(*seq));
        assert_eq!(r.prev_hash.as_deref(), Some(prev.as_str()));
        assert_eq!(r.claimed_hash.as_deref(), Some(r.actual_hash.as_str()));
        prev = r.actual_hash;
    }
}

/// What the sequencer reads to tell a retry from another event under a used key: the stored events
/// of those keys, bodies read back, compared with a retry and with a different event.
#[test]
fn stored_events_are_found_by_key_and_compared_as_sent() {
    use crate::seal::same_event;
    use crate::sql::SELECT_IDEMPOTENT;
    let db = database();
    let body = |action: &str| {
        format!(
            r#"[{{"action":"{action}","actor":{{"id":"u1"}},"occurred_at":"2026-01-01T00:00:00Z","idempotency_key":"k1"}}]"#
        )
    };
    store(&db, "acme", &body("doc.share"));
    let rows: Vec<(String, String, u64, String)> = db
        .prepare(SELECT_IDEMPOTENT)
        .unwrap()
        .query_map(["acme", r#"["k1","k2"]"#], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 1);
    let (key, _, seq, stored) = rows.into_iter().next().unwrap();
    assert_eq!((key.as_str(), seq), ("k1", 1));
    let stored = decoded(&db, "acme", stored);
    // A retry (another receipt time and id), and another event, as the sequencer gets them.
    let pending = |action: &str| {
        let arrival = Arrival {
            tenant: "acme",
            received_at: 1_800_000_000_000,
            format: "native",
            atomic: false,
            idempotency_key: None,
            random: &[9; 8],
        };
        let text = body(action);
        let received = read_native(&text, Framing::Json, arrival).unwrap();
        let rules = RedactionRules::default();
        let prepared = received.finish(Enrichment {
            geo: &HashMap::new(),
            client: None,
            rules: &rules,
        });
        prepared.pending[0].unsealed.text.clone()
    };
    assert!(same_event(&stored, &pending("doc.share"), false));
    assert!(!same_event(&stored, &pending("doc.unshare"), false));
    // Another tenant's key is not found.
    let other = db
        .prepare(SELECT_IDEMPOTENT)
        .unwrap()
        .query_map(["globex", r#"["k1"]"#], |_| Ok(()))
        .unwrap()
        .count();
    assert_eq!(other, 0);
}

/// Verify's look-up of the targets index: each sealed target is one primary-key row of its tenant,
/// and the first one missing is named (in `seq` order); none is named while all are there.
#[test]
fn the_first_missing_target_row_is_found() {
    let db = database();
    let body = serde_json::json!([
        {"action": "doc.update", "occurred_at": 1_700_000_000_000_i64, "actor": {"id": "u1"},
         "targets": [{"type": "doc", "id": "d1"}, {"type": "folder", "id": "f1"}]},
        {"action": "doc.update", "occurred_at": 1_700_000_060_000_i64, "actor": {"id": "u1"},
         "targets": [{"type": "doc", "id": "d2"}]},
    ])
    .to_string();
    store(&db, "acme", &body);
    store(&db, "globex", &body);
    let sealed = serde_json::json!([
        [1, 1_700_000_000_000_i64, "doc", "d1"],
        [1, 1_700_000_000_000_i64, "folder", "f1"],
        [2, 1_700_000_060_000_i64, "doc", "d2"],
    ])
    .to_string();
    let first_missing = |tenant: &str| -> Option<(u64, String, String)> {
        db.query_row(
            crate::sql::SELECT_FIRST_MISSING_TARGET,
            [tenant, sealed.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .ok()
    };
    assert_eq!(first_missing("acme"), None);
    db.execute(
        "DELETE FROM event_targets WHERE tenant = 'acme' AND target_id IN ('f1', 'd2')",
        [],
    )
    .unwrap();
    assert_eq!(
        first_missing("acme"),
        Some((1, "folder".into(), "f1".into()))
    );
    assert_eq!(
        first_missing("globex"),
        None,
        "another tenant's rows are its own"
    );
    // A row moved to another event does not stand in for the one sealed.
    db.execute(
        "INSERT INTO event_targets (tenant, target_type, target_id, occurred_at, seq) \
         VALUES ('acme', 'folder', 'f1', 1700000000000, 2)",
        [],
    )
    .unwrap();
    assert_eq!(
        first_missing("acme"),
        Some((1, "folder".into(), "f1".into()))
    );
}
