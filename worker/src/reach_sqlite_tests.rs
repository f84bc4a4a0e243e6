//! A reader bound to one environment ([`crate::sql::Reach`]) sees only that environment's events
//! through every builder the read paths use: the list (and so the export and actor pages), the counts
//! of facets and histograms from the rollups and from the events, the one-pass facets, single
//! events, and resource histories. Natively, against the real migrations.

use evident_shared::query::{parse, Field};
use evident_shared::timestamp::MAX_MILLIS;
use rusqlite::{params_from_iter, Connection};
use serde_json::{json, Value};

use crate::counts::{combinations_sql, count_sql, Key, HOUR};
use crate::sql::{
    ListQuery, Reach, SqlValue, SELECT_EVENT, SELECT_EVENT_IN_ENVIRONMENT, SELECT_RESOURCE_HISTORY,
    SELECT_RESOURCE_HISTORY_IN_ENVIRONMENT,
};
use crate::sqlite_tests::{database, store, to_sql};

const T0: i64 = 1_700_000_000_000;
const EVENTS: i64 = 60;
const PROD: Reach<'static> = Reach {
    tenant: "acme",
    environment: Some("prod"),
};

/// 60 events over two days, a third each in prod, staging and no environment, all on one database.
fn loaded() -> Connection {
    let db = database();
    let events: Vec<Value> = (0..EVENTS)
        .map(|i| {
            let mut event = json!({
                "action": "db.query",
                "occurred_at": T0 - i * 47 * 60_000,
                "outcome": if i % 2 == 0 { "success" } else { "failure" },
                "actor": {"id": format!("u{}", i % 2)},
                "targets": [{"type": "database", "id": "d1"}],
            });
            match i % 3 {
                0 => event["scope"] = json!({"environment": "prod"}),
                1 => event["scope"] = json!({"environment": "staging"}),
                _ => {}
            }
            event
        })
        .collect();
    store(&db, "acme", &serde_json::to_string(&events).unwrap());
    db
}

fn rows<T: rusqlite::types::FromSql>(db: &Connection, sql: &str, params: &[SqlValue]) -> Vec<T> {
    let mut stmt = db.prepare(sql).unwrap();
    stmt.query_map(params_from_iter(params.iter().map(to_sql)), |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn environment(body: &str) -> Option<String> {
    let event: Value = serde_json::from_str(body).unwrap();
    event["scope"]["environment"].as_str().map(str::to_string)
}

#[test]
fn the_list_keeps_to_the_environment() {
    let db = loaded();
    let query = ListQuery {
        limit: 500,
        now: T0,
        ..ListQuery::default()
    };
    let all: Vec<i64> = rows(
        &db,
        &query.to_sql("acme").unwrap().0,
        &query.to_sql("acme").unwrap().1,
    );
    assert_eq!(all.len() as i64, EVENTS);
    let (sql, params) = query.to_sql(PROD).unwrap();
    let mut stmt = db.prepare(&sql).unwrap();
    let bodies: Vec<String> = stmt
        .query_map(params_from_iter(params.iter().map(to_sql)), |r| r.get(2))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(bodies.len() as i64, EVENTS / 3);
    assert!(bodies
        .iter()
        .all(|b| environment(b).as_deref() == Some("prod")));
    // A search for another environment finds nothing rather than widening the reach.
    let other = ListQuery {
        filter: parse("env:staging").unwrap(),
        ..query
    };
    let (sql, params) = other.to_sql(PROD).unwrap();
    assert!(rows::<i64>(&db, &sql, &params).is_empty());
}

/// Sums the `n` column of a counting query's rows.
fn total(db: &Connection, (sql, params): (String, Vec<SqlValue>), column: usize) -> i64 {
    let mut stmt = db.prepare(&sql).unwrap();
    stmt.query_map(params_from_iter(params.iter().map(to_sql)), |r| {
        r.get::<_, i64>(column)
    })
    .unwrap()
    .map(Result::unwrap)
    .sum()
}

#[test]
fn counts_keep_to_the_environment_from_rollups_and_from_events() {
    let db = loaded();
    // An odd range: whole days and hours from the rollups, partial hours from the events.
    let range = (T0 - 2 * 24 * HOUR - 17 * 60_000, T0 + 1);
    for q in ["", "outcome:success,failure", "actor:u0,u1"] {
        let query = parse(q).unwrap();
        let facet = count_sql(PROD, &query, T0, range, &Key::Field(Field::Env), 100).unwrap();
        let mut stmt = db.prepare(&facet.0).unwrap();
        let values: Vec<(Option<String>, i64)> = stmt
            .query_map(params_from_iter(facet.1.iter().map(to_sql)), |r| {
                Ok((r.get(1)?, r.get(2)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(values, [(Some("prod".to_string()), EVENTS / 3)], "{q}");
        let histogram = Key::Buckets {
            interval: HOUR,
            group: None,
        };
        let sql = count_sql(PROD, &query, T0, range, &histogram, 0).unwrap();
        assert_eq!(total(&db, sql, 2), EVENTS / 3, "{q}");
        let sql = count_sql("acme", &query, T0, range, &histogram, 0).unwrap();
        assert_eq!(total(&db, sql, 2), EVENTS, "{q}");
    }
    let sql = combinations_sql(PROD, &parse("").unwrap(), T0, (0, MAX_MILLIS)).unwrap();
    let environments: Vec<String> = rows(&db, &sql.0, &sql.1);
    assert!(!environments.is_empty() && environments.iter().all(|e| e == "prod"));
    assert_eq!(total(&db, sql, 5), EVENTS / 3);
}

#[test]
fn single_events_and_resource_histories_keep_to_the_environment() {
    let db = loaded();
    let ids: Vec<(String, String)> = {
        let mut stmt = db
            .prepare("SELECT id, coalesce(environment, '') FROM events")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    for (id, env) in &ids {
        let all: Vec<String> = rows(&db, SELECT_EVENT, &[text("acme"), text(id)]);
        assert_eq!(all.len(), 1);
        let params = [text("acme"), text(id), text("prod")];
        let bound: Vec<String> = rows(&db, SELECT_EVENT_IN_ENVIRONMENT, &params);
        assert_eq!(bound.len(), usize::from(env == "prod"), "{env}");
    }
    let history = |sql: &str, extra: Option<&str>| -> Vec<String> {
        let mut params = vec![
            text("acme"),
            text("database"),
            text("d1"),
            SqlValue::Int(-1),
            text(""),
            SqlValue::Int(500),
        ];
        params.extend(extra.map(text));
        let mut stmt = db.prepare(sql).unwrap();
        stmt.query_map(params_from_iter(params.iter().map(to_sql)), |r| r.get(2))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(history(SELECT_RESOURCE_HISTORY, None).len() as i64, EVENTS);
    let prod = history(SELECT_RESOURCE_HISTORY_IN_ENVIRONMENT, Some("prod"));
    assert_eq!(prod.len() as i64, EVENTS / 3);
    assert!(prod
        .iter()
        .all(|b| environment(b).as_deref() == Some("prod")));
}

fn text(value: &str) -> SqlValue {
    SqlValue::Text(value.to_string())
}
