//! A reader bound to one environment, or a member bound to their own events ([`crate::sql::Reach`]),
//! sees only those events through every builder the read paths use: the list (and so the export and
//! actor pages), the counts of facets and histograms from the rollups and from the events, the
//! one-pass facets, single events, and resource histories. Natively, against the real migrations.

use evident_shared::query::{parse, Field};
use evident_shared::timestamp::MAX_MILLIS;
use rusqlite::{params_from_iter, Connection};
use serde_json::{json, Value};

use crate::counts::{combinations_sql, count_sql, Key, HOUR};
use crate::sql::{ListQuery, Reach, SqlValue, SELECT_EVENT, SELECT_RESOURCE_HISTORY};
use crate::sqlite_tests::{database, decoded, store, to_sql};

const T0: i64 = 1_700_000_000_000;
const EVENTS: i64 = 60;
const PROD: Reach<'static> = Reach {
    tenant: "acme",
    environment: Some("prod"),
    actor_email: None,
};
/// A member: the actor of the even-numbered events, all successes.
const MEMBER: Reach<'static> = Reach {
    tenant: "acme",
    environment: None,
    actor_email: Some("u0@acme.org"),
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
                "actor": {"id": format!("u{}", i % 2), "email": format!("u{}@acme.org", i % 2)},
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
        &query.to_sql(Reach::whole_tenant("acme")).unwrap().0,
        &query.to_sql(Reach::whole_tenant("acme")).unwrap().1,
    );
    assert_eq!(all.len() as i64, EVENTS);
    let (sql, params) = query.to_sql(PROD).unwrap();
    let mut stmt = db.prepare(&sql).unwrap();
    let bodies: Vec<String> = stmt
        .query_map(params_from_iter(params.iter().map(to_sql)), |r| r.get(2))
        .unwrap()
        .map(|body| decoded(&db, "acme", body.unwrap()))
        .collect();
    assert_eq!(bodies.len() as i64, EVENTS / 3);
    assert!(bodies
        .iter()
        .all(|b| environment(b).as_deref() == Some("prod")));
    // A search for another environment finds nothing rather than widening the reach.
    let other = ListQuery {
        filter: parse("env:staging").unwrap(),
        ..query.clone()
    };
    let (sql, params) = other.to_sql(PROD).unwrap();
    assert!(rows::<i64>(&db, &sql, &params).is_empty());
    // A member lists only their own events, whatever they search for.
    let (sql, params) = query.to_sql(MEMBER).unwrap();
    assert_eq!(rows::<i64>(&db, &sql, &params).len() as i64, EVENTS / 2);
    let others = ListQuery {
        filter: parse("actor:u1").unwrap(),
        ..query
    };
    let (sql, params) = others.to_sql(MEMBER).unwrap();
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
        let sql = count_sql(
            Reach::whole_tenant("acme"),
            &query,
            T0,
            range,
            &histogram,
            0,
        )
        .unwrap();
        assert_eq!(total(&db, sql, 2), EVENTS, "{q}");
    }
    // A member's counts come from their events only: the rollups are not kept by actor.
    for q in ["", "outcome:success,failure"] {
        let query = parse(q).unwrap();
        let facet = count_sql(MEMBER, &query, T0, range, &Key::Field(Field::Outcome), 100).unwrap();
        assert!(!facet.0.contains("event_counts"), "{}", facet.0);
        let mut stmt = db.prepare(&facet.0).unwrap();
        let values: Vec<(Option<String>, i64)> = stmt
            .query_map(params_from_iter(facet.1.iter().map(to_sql)), |r| {
                Ok((r.get(1)?, r.get(2)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(values, [(Some("success".to_string()), EVENTS / 2)], "{q}");
        let histogram = Key::Buckets {
            interval: HOUR,
            group: None,
        };
        let sql = count_sql(MEMBER, &query, T0, range, &histogram, 0).unwrap();
        assert!(!sql.0.contains("event_counts"), "{}", sql.0);
        assert_eq!(total(&db, sql, 2), EVENTS / 2, "{q}");
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
    let event = |id: &str, reach: Reach<'_>| -> usize {
        let mut params = vec![text(reach.tenant), text(id)];
        params.extend(reach.nullable_params());
        rows::<String>(&db, SELECT_EVENT, &params).len()
    };
    let mine = |body: &str| body.contains("u0@acme.org");
    for (id, env) in &ids {
        assert_eq!(event(id, Reach::whole_tenant("acme")), 1);
        assert_eq!(event(id, PROD), usize::from(env == "prod"), "{env}");
        let body: String = rows(
            &db,
            "SELECT body_json(body) FROM events WHERE id = ?1",
            &[text(id)],
        )
        .pop()
        .unwrap();
        assert_eq!(event(id, MEMBER), usize::from(mine(&body)));
        // Another tenant's reach never finds it.
        assert_eq!(event(id, Reach::whole_tenant("other")), 0);
    }
    let history = |reach: Reach<'_>| -> Vec<String> {
        let mut params = vec![
            text(reach.tenant),
            text("database"),
            text("d1"),
            SqlValue::Int(-1),
            SqlValue::Int(0),
            SqlValue::Int(500),
        ];
        params.extend(reach.nullable_params());
        let mut stmt = db.prepare(SELECT_RESOURCE_HISTORY).unwrap();
        stmt.query_map(params_from_iter(params.iter().map(to_sql)), |r| r.get(2))
            .unwrap()
            .map(|body| decoded(&db, "acme", body.unwrap()))
            .collect()
    };
    assert_eq!(history(Reach::whole_tenant("acme")).len() as i64, EVENTS);
    let prod = history(PROD);
    assert_eq!(prod.len() as i64, EVENTS / 3);
    assert!(prod
        .iter()
        .all(|b| environment(b).as_deref() == Some("prod")));
    let member = history(MEMBER);
    assert_eq!(member.len() as i64, EVENTS / 2);
    assert!(member.iter().all(|b| mine(b)));
    assert!(history(Reach::whole_tenant("other")).is_empty());
}

fn text(value: &str) -> SqlValue {
    SqlValue::Text(value.to_string())
}
