//! The ceiling for ingestion: sealed rows inserted straight into an SQLite file with the project's
//! migrations (same schema, same indexes) and the worker's own statements (events, search text,
//! targets, rollups, chain head), one transaction per
//! request as D1's `batch()` does, durable on commit (WAL, `synchronous=FULL`).

use std::path::Path;
use std::time::{Duration, Instant};

use evident_worker::seal::Plan;
use evident_worker::sql::{plan_statements, SqlValue, INSERT_EVENTS};
use rusqlite::Connection;

/// Inserts every plan (one transaction each) into a fresh database under `dir`; returns the time taken
/// and the number of events stored.
pub fn run(dir: &Path, plans: &[Plan]) -> (Duration, usize) {
    let file = dir.join("ceiling.sqlite");
    let _ = std::fs::remove_file(&file);
    let mut db = Connection::open(&file).expect("open SQLite");
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        .expect("pragmas");
    for migration in migrations() {
        db.execute_batch(&migration).expect("migration");
    }
    let started = Instant::now();
    let mut events = 0;
    for plan in plans {
        let tx = db.transaction().expect("transaction");
        for (sql, params) in plan_statements("bench", plan) {
            let params = params.iter().map(|value| match value {
                SqlValue::Text(text) => rusqlite::types::Value::Text(text.clone()),
                SqlValue::Int(n) => rusqlite::types::Value::Integer(*n),
                SqlValue::Null => rusqlite::types::Value::Null,
            });
            let changed = tx
                .execute(sql, rusqlite::params_from_iter(params))
                .expect("insert");
            if sql == INSERT_EVENTS {
                events += changed;
            }
        }
        tx.commit().expect("commit");
    }
    (started.elapsed(), events)
}

/// The project's migrations, in order.
fn migrations() -> Vec<String> {
    let dir = crate::server::repo_root().join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("migrations")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| std::fs::read_to_string(f).expect("read migration"))
        .collect()
}
