//! The search language compiled to SQL and run against the real migrations in SQLite: each query
//! selects exactly the events a person would expect, values typed into any field stay values, and
//! the main access paths use their indexes.

use rusqlite::{params_from_iter, Connection};
use serde_json::{json, Value};

use evident_shared::query::parse;

use crate::sql::{ListQuery, Reach};
use crate::sqlite_tests::{database, decoded, store, to_sql};

/// When the queries run: an hour after the newest event.
const NOW: i64 = 1_700_000_000_000 + 3_600_000;

/// 30 events, one a minute going back from `NOW - 1h`, whose fields cycle with different periods.
fn events() -> Vec<Value> {
    (0..30)
        .map(|i| {
            let action = ["notebook.update", "app.delete", "app.create"][i % 3];
            let mut e = json!({
                "action": action,
                "occurred_at": 1_700_000_000_000_i64 - (i as i64) * 60_000,
                "outcome": if i % 3 == 0 { "failure" } else { "success" },
                "severity": if i % 10 == 0 { "high" } else { "info" },
                "actor": {"id": format!("u{}", i % 5), "email": format!("user{}@corp.com", i % 5),
                          "type": if i % 7 == 0 { "service" } else { "user" }},
                "scope": {"environment": if i % 2 == 0 { "prod" } else { "dev" },
                          "workspace": format!("ws{}", i % 3), "project": "alpha"},
                "targets": [{"type": "notebook", "id": format!("nb{}", i % 4), "name": "Sales report"}],
                "context": {"ip": format!("10.0.{}.{}", i % 2, i), "session_id": format!("s{}", i % 6),
                            "request_id": format!("r{i}")},
                "duration_ms": i * 10,
                "metadata": {"cell": format!("c{}", i % 3), "attempt": i % 2,
                             "dry_run": i % 2 == 0, "ratio": if i % 3 == 0 { 1.0 } else { 0.5 },
                             "Cost Center": format!("cc{}", i % 2)},
                "source": {"name": if i % 2 == 0 { "livebook" } else { "airbyte" }},
            });
            if i % 4 == 0 {
                e["payload"] = json!({"code": format!("DF.from_csv!(\"/data/orders_{i}.csv\")")});
            }
            if i == 5 {
                e["description"] = json!("Exported the \"Q2\" sales report");
                e["context"]["ip"] = json!("2001:0DB8:0:0::5");
                e["metadata"]["kéy \"q\""] = json!("v");
                let targets = e["targets"].as_array_mut().unwrap();
                targets.push(json!({"type": "document", "id": "urn:li:doc:1"}));
            }
            e
        })
        .collect()
}

fn loaded() -> Connection {
    let db = database();
    store(&db, "acme", &Value::Array(events()).to_string());
    store(&db, "other", &Value::Array(events()).to_string());
    db
}

fn search(db: &Connection, q: &str) -> Vec<Value> {
    let query = ListQuery {
        filter: parse(q).unwrap_or_else(|e| panic!("{q}: {e}")),
        now: NOW,
        limit: 500,
        ..ListQuery::default()
    };
    let (sql, params) = query
        .to_sql(Reach::whole_tenant("acme"))
        .unwrap_or_else(|e| panic!("{q}: {e}"));
    let mut stmt = db.prepare(&sql).unwrap();
    let rows = stmt
        .query_map(params_from_iter(params.iter().map(to_sql)), |r| {
            r.get::<_, String>(2)
        })
        .unwrap();
    rows.map(|body| serde_json::from_str(&decoded(db, "acme", body.unwrap())).unwrap())
        .collect()
}

/// How many of the source events satisfy `keep`, the oracle for a query.
fn expected(keep: impl Fn(usize, &Value) -> bool) -> usize {
    events()
        .iter()
        .enumerate()
        .filter(|(i, e)| keep(*i, e))
        .count()
}

/// D1 binds at most 100 values to a query, local D1 far more: a search past that is refused on its
/// first page, counting the cursor and chain head its later pages bind, so no page of a list or an
/// export fails.
#[test]
fn searches_stay_within_the_values_d1_binds() {
    let query = |n: usize| {
        let values: Vec<String> = (0..n).map(|i| format!("e{i}")).collect();
        ListQuery {
            filter: parse(&format!("env:{}", values.join(","))).unwrap(),
            now: NOW,
            limit: 100,
            ..ListQuery::default()
        }
    };
    let acme = Reach::whole_tenant("acme");
    assert!(crate::store::every_page_fits(&query(90), acme).is_ok());
    // 98 values fit the first page (tenant, values, limit: 100) but not the next (its cursor).
    assert_eq!(query(98).to_sql(acme).unwrap().1.len(), 100);
    let refused = crate::store::every_page_fits(&query(98), acme).unwrap_err();
    assert_eq!(refused.status(), 400);
    assert!(
        refused.to_string().contains("D1 takes at most 100"),
        "{refused}"
    );
    // Nor 95: later pages bind the cursor (3) and the first page's chain head (1) too.
    assert!(crate::store::every_page_fits(&query(95), acme).is_err());
    assert!(crate::store::every_page_fits(&query(94), acme).is_ok());
    let later = ListQuery {
        cursor: Some(evident_shared::cursor::Cursor {
            occurred_at: 0,
            seq: 0,
            view: None,
        }),
        up_to_seq: Some(1),
        ..query(94)
    };
    assert_eq!(later.to_sql(acme).unwrap().1.len(), 100);
}

/// `field:""` means the field is empty: for targets, an event without any.
#[test]
fn an_empty_target_term_selects_events_without_targets() {
    let db = database();
    let events = json!([
        {"action": "user.sign_in", "actor": {"id": "u1"}},
        {"action": "app.delete", "actor": {"id": "u1"}, "targets": [{"type": "app", "id": "a1"}]},
        {"action": "user.sign_out", "actor": {"id": "u1"}},
    ]);
    store(&db, "acme", &events.to_string());
    for (q, count) in [
        ("target:\"\"", 2),
        ("target.id:\"\"", 2),
        ("target.type:\"\"", 2),
        ("-target:\"\"", 1),
        ("-target.id:\"\"", 1),
    ] {
        assert_eq!(search(&db, q).len(), count, "{q}");
    }
}

#[test]
fn each_field_selects_exactly_its_events() {
    let db = loaded();
    let cases: Vec<(&str, usize)> = vec![
        ("", 30),
        ("actor:u1", expected(|i, _| i % 5 == 1)),
        ("actor:user2@corp.com", expected(|i, _| i % 5 == 2)),
        // E-mails are stored lowercased, and asked for in any case.
        ("actor:User2@CORP.com", expected(|i, _| i % 5 == 2)),
        ("actor.id:u3,u4", expected(|i, _| i % 5 >= 3)),
        ("actor.type:service", expected(|i, _| i % 7 == 0)),
        ("action:app.*", expected(|i, _| i % 3 != 0)),
        ("action:APP.DELETE", expected(|i, _| i % 3 == 1)),
        ("category:delete", expected(|i, _| i % 3 == 1)),
        ("outcome:failure", expected(|i, _| i % 3 == 0)),
        ("outcome:failure,denied", expected(|i, _| i % 3 == 0)),
        ("severity:high", expected(|i, _| i % 10 == 0)),
        ("-env:dev", expected(|i, _| i % 2 == 0)),
        (
            "env:prod outcome:failure",
            expected(|i, _| i % 2 == 0 && i % 3 == 0),
        ),
        ("workspace:ws1", expected(|i, _| i % 3 == 1)),
        ("project:alpha", 30),
        ("project:beta", 0),
        ("org:\"\"", 30),
        ("-org:\"\"", 0),
        ("target:nb2", expected(|i, _| i % 4 == 2)),
        ("target:notebook:nb2", expected(|i, _| i % 4 == 2)),
        // An id with colons of its own matches whole, as well as type:id.
        ("target:\"urn:li:doc:1\"", 1),
        ("target:document:urn:li:doc:1", 1),
        ("target:urn:li:doc:1", 1),
        // A prefix too: ids of that type starting so, or ids starting with the whole text.
        ("target:notebook:nb*", 30),
        ("target:notebook:nb1*", expected(|i, _| i % 4 == 1)),
        ("target:document:urn*", 1),
        ("target:urn:li:*", 1),
        ("target:nosuchtype:nb*", 0),
        ("target.type:notebook", 30),
        ("target.id:nb0,nb1", expected(|i, _| i % 4 <= 1)),
        ("-target.id:nb0", expected(|i, _| i % 4 != 0)),
        ("ip:10.0.1.*", expected(|i, _| i % 2 == 1 && i != 5)),
        ("ip:10.0.0.4", 1),
        // IPv6 however written: as stored, with zeros, uncompressed, in capitals.
        ("ip:2001:db8::5", 1),
        ("ip:2001:0db8::0005", 1),
        ("ip:2001:DB8:0:0:0:0:0:5", 1),
        ("ip:2001:db8::*", 1),
        ("session:s5", expected(|i, _| i % 6 == 5)),
        ("request:r7", 1),
        ("source:livebook", expected(|i, _| i % 2 == 0)),
        ("metadata.cell:c2", expected(|i, _| i % 3 == 2)),
        ("metadata.attempt:1", expected(|i, _| i % 2 == 1)),
        ("metadata.cell:c*", 30),
        // Any key ingest takes: with a space or a quote (written in quotes), beyond ASCII.
        ("metadata.\"Cost Center\":cc1", expected(|i, _| i % 2 == 1)),
        ("-metadata.\"Cost Center\":cc1", expected(|i, _| i % 2 == 0)),
        ("metadata.\"kéy \\\"q\\\"\":v", 1),
        ("metadata.\"kéy \\\"q\\\"\":\"\"", 29),
        ("metadata.\"Cost\":cc1", 0),
        // Booleans by their words, and a whole number sent as `1.0` as the API shows it, `1`.
        ("metadata.dry_run:true", expected(|i, _| i % 2 == 0)),
        ("metadata.dry_run:false", expected(|i, _| i % 2 == 1)),
        ("metadata.dry_run:1", 0),
        ("metadata.ratio:1", expected(|i, _| i % 3 == 0)),
        ("metadata.ratio:0.5", expected(|i, _| i % 3 != 0)),
        ("duration:>=200ms", expected(|i, _| i * 10 >= 200)),
        ("duration:<1s", 30),
        ("occurred:>=-50m", 0),
        ("occurred:>-70m", expected(|i, _| i < 10)),
        ("occurred:<2023-01-01", 0),
        ("occurred:>=2023-11-14T22:00:00Z", expected(|i, _| i < 14)),
        // Every event happened on 2023-11-14 (UTC): a date alone is the whole day.
        ("occurred:<=2023-11-14", 30),
        ("occurred:>=2023-11-14", 30),
        ("occurred:>2023-11-14", 0),
        ("occurred:<2023-11-14", 0),
        ("occurred:>2023-11-13", 30),
        ("occurred:<=2023-11-14T22:00", expected(|i, _| i >= 14)),
        ("orders_8", 1),
        ("from_csv", expected(|i, _| i % 4 == 0)),
        ("-from_csv", expected(|i, _| i % 4 != 0)),
        ("\"sales report\"", 30),
        // A control character (a pasted tab or line break; a NUL) separates words as a space does.
        ("\"sales\treport\"", 30),
        ("\"sales\nreport\"", 30),
        ("\"sales\u{0}report\"", 30),
        ("\"Q2\" exported", 1),
        // A bare word ending in `*` is a prefix; quoted, the `*` is literal (and no word holds it).
        ("export*", 1),
        ("-expor*", 29),
        ("sale*", 30),
        ("from_cs*", expected(|i, _| i % 4 == 0)),
        ("\"export*\"", 0),
        (
            "from_csv env:prod",
            expected(|i, _| i % 4 == 0 && i % 2 == 0),
        ),
        ("user3@corp.com", expected(|i, _| i % 5 == 3)),
    ];
    for (q, want) in cases {
        let got = search(&db, q);
        assert_eq!(got.len(), want, "`{q}`");
        assert!(
            got.iter().all(|e| e["tenant"] == "acme"),
            "`{q}` left its tenant"
        );
    }
}

#[test]
fn typed_values_never_become_sql() {
    let db = loaded();
    let attacks = [
        "x' OR '1'='1",
        "x\\\" OR 1=1 --",
        "'); DROP TABLE events; --",
        "\" OR \"\"=\"",
        "%",
        "_",
        "*",
        "NEAR(a b)",
        "a OR b",
        "col:val",
    ];
    let fields = [
        "actor",
        "actor.id",
        "action",
        "target",
        "target.type",
        "target.id",
        "env",
        "org",
        "workspace",
        "project",
        "app",
        "ip",
        "country",
        "session",
        "request",
        "source",
        "metadata.cell",
    ];
    for attack in attacks {
        let quoted = format!("\"{}\"", attack.replace('\\', "\\\\").replace('"', "\\\""));
        // The fields with a fixed list of values take none of it: it never reaches SQL there.
        for field in ["actor.type", "category", "outcome", "severity"] {
            assert!(
                parse(&format!("{field}:{quoted}")).is_err(),
                "{field}:{quoted}"
            );
        }
        for field in fields {
            let q = format!("{field}:{quoted}");
            // Every field takes the attack as a value (which must stay one): a parser that refused
            // some would shrink what this test checks, so that fails it too.
            let parsed = parse(&q).unwrap_or_else(|e| panic!("`{q}` does not parse: {e}"));
            let query = ListQuery {
                filter: parsed,
                now: NOW,
                ..ListQuery::default()
            };
            let (sql, _) = query.to_sql(Reach::whole_tenant("acme")).unwrap();
            if attack.len() > 2 {
                assert!(!sql.contains(attack), "`{q}` reached the SQL: {sql}");
            }
            assert_eq!(search(&db, &q).len(), 0, "`{q}` matched events");
        }
        // As free text every attack is one literal phrase.
        if attack.chars().any(char::is_alphanumeric) {
            assert_eq!(search(&db, &quoted).len(), 0, "text {quoted}");
        }
    }
    let count: i64 = db
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 60, "the tables are intact");
}

/// Text of punctuation beyond ASCII, which the parser lets through (it leaves Unicode's letter tables
/// out of the dashboard), is refused here at its span.
#[test]
fn text_without_letters_or_digits_beyond_ascii_is_an_error_at_its_span() {
    let query = ListQuery {
        filter: parse("env:prod \"…→\"").unwrap(),
        ..ListQuery::default()
    };
    let err = query.to_sql(Reach::whole_tenant("acme")).unwrap_err();
    assert_eq!((err.span.start, err.span.end), (9, 17));
    assert!(err.message.contains("no letters or digits"), "{err}");
    // Letters of any script are words.
    assert!(parse("\"données\" 東京").is_ok());
}

fn plan_of(db: &Connection, q: &str) -> String {
    let query = ListQuery {
        filter: parse(q).unwrap(),
        now: NOW,
        ..ListQuery::default()
    };
    let (sql, params) = query.to_sql(Reach::whole_tenant("acme")).unwrap();
    let mut stmt = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = stmt
        .query_map(params_from_iter(params.iter().map(to_sql)), |r| {
            r.get::<_, String>(3)
        })
        .unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
}

#[test]
fn selective_fields_and_free_text_use_their_indexes() {
    let db = loaded();
    for (q, index) in [
        ("", "events_by_time"),
        ("actor:u1", "events_by_actor_id"),
        ("actor:user1@corp.com", "events_by_actor_email"),
        ("action:app.*", "events_by_action"),
        ("session:s1", "events_by_session"),
        ("request:r1", "events_by_request"),
        ("sales", "events_fts VIRTUAL TABLE INDEX"),
        ("target:nb1", "event_targets"),
        ("target:notebook:nb1", "event_targets"),
    ] {
        let plan = plan_of(&db, q);
        assert!(plan.contains(index), "`{q}` does not use {index}:\n{plan}");
        assert!(
            !plan.contains("SCAN event_targets"),
            "`{q}` scans every target:\n{plan}"
        );
        assert!(
            !plan.contains("SCAN events\n") && !plan.ends_with("SCAN events"),
            "`{q}` scans every event:\n{plan}"
        );
    }
}

mod counting {
    use super::*;
    use crate::counts::{
        combinations_sql, count_sql, facet_sql, marginal, sampled, Combination, Key, DAY, HOUR,
        ROLLUP_FIELDS,
    };
    use evident_shared::query::Field;

    /// Events spread over ten days, every 37 minutes, so hours and days are partly filled.
    fn spread(db: &Connection) {
        let start = 1_717_200_000_000_i64 - 10 * DAY;
        let events: Vec<Value> = (0..390)
            .map(|i| {
                let action = ["app.create", "app.delete", "notebook.update"][i % 3];
                let outcome = ["success", "failure", "denied", "success"][i % 4];
                json!({
                    "action": action,
                    "occurred_at": start + (i as i64) * 37 * 60_000,
                    "outcome": outcome,
                    "actor": {"id": format!("u{}", i % 7)},
                    "scope": {"environment": if i % 5 == 0 { "dev" } else { "prod" }},
                    "description": if i % 9 == 0 { "rotated keys" } else { "routine" },
                    // Events with no target, one, or two of different types.
                    "targets": match i % 4 {
                        0 => json!([]),
                        1 => json!([{"type": "database", "id": "db1"}]),
                        2 => json!([{"type": "pipeline", "id": "p1"}, {"type": "database", "id": "db2"}]),
                        _ => json!([{"type": "pipeline", "id": format!("p{i}")}]),
                    },
                })
            })
            .collect();
        store(db, "acme", &Value::Array(events.clone()).to_string());
        store(db, "other", &Value::Array(events).to_string());
    }

    fn run(
        db: &Connection,
        sql: &str,
        params: &[crate::sql::SqlValue],
    ) -> Vec<(i64, Option<String>, i64)> {
        let mut stmt = db.prepare(sql).unwrap();
        let rows = stmt
            .query_map(params_from_iter(params.iter().map(to_sql)), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        let mut rows: Vec<_> = rows.map(Result::unwrap).collect();
        rows.sort();
        rows
    }

    /// The same counts straight from the events, as the oracle.
    fn oracle(
        db: &Connection,
        from: i64,
        to: i64,
        interval: i64,
        column: &str,
        filter: &str,
    ) -> Vec<(i64, Option<String>, i64)> {
        let sql = format!(
            "SELECT occurred_at - (occurred_at % {interval}), {column}, count(*) FROM events \
             WHERE tenant = 'acme' AND occurred_at >= {from} AND occurred_at < {to} {filter} GROUP BY 1, 2"
        );
        run(db, &sql, &[])
    }

    #[test]
    fn rollups_and_events_give_the_same_counts_for_any_range() {
        let db = database();
        spread(&db);
        let t = 1_717_200_000_000_i64;
        let ranges = [
            (t - 10 * DAY, t + DAY),
            (
                t - 9 * DAY + 3 * HOUR + 17 * 60_000,
                t - 2 * DAY - 5 * 60_000,
            ),
            (t - 5 * DAY, t - 5 * DAY + 50 * 60_000),
            (t - 3 * DAY - 1, t - DAY + 1),
        ];
        for (from, to) in ranges {
            for (interval, q, filter) in [
                (DAY, "", ""),
                (HOUR, "", ""),
                (6 * HOUR, "env:prod", "AND environment = 'prod'"),
                (15 * 60_000, "", ""),
                (DAY, "-outcome:denied", "AND outcome != 'denied'"),
                (DAY, "rotated", "AND body_json(body) LIKE '%rotated%'"),
                (HOUR, "actor:u3", "AND actor_id = 'u3'"),
            ] {
                let key = Key::Buckets {
                    interval,
                    group: Some(Field::Outcome),
                };
                let (sql, params) = count_sql(
                    Reach::whole_tenant("acme"),
                    &parse(q).unwrap(),
                    NOW,
                    (from, to),
                    &key,
                    100,
                )
                .unwrap();
                assert_eq!(
                    run(&db, &sql, &params),
                    oracle(&db, from, to, interval, "outcome", filter),
                    "`{q}` every {interval} ms over {from}..{to}"
                );
            }
            let key = Key::Field(Field::Action);
            let (sql, params) = count_sql(
                Reach::whole_tenant("acme"),
                &parse("").unwrap(),
                NOW,
                (from, to),
                &key,
                100,
            )
            .unwrap();
            let facets: Vec<_> = run(&db, &sql, &params);
            let want: Vec<_> = oracle(&db, from, to, i64::MAX, "action", "")
                .into_iter()
                .map(|(_, v, n)| (0, v, n))
                .collect();
            assert_eq!(facets, want, "facets over {from}..{to}");
        }
    }

    #[test]
    fn facets_the_rollups_cannot_answer_count_the_newest_sample() {
        let db = database();
        spread(&db);
        let t = 1_717_200_000_000_i64;
        let range = (t - 10 * DAY, t + DAY);
        // Oracle: the actors of the newest `sample` matching events.
        let newest = |sample: usize, filter: &str| -> Vec<(i64, Option<String>, i64)> {
            let sql = format!(
                "SELECT 0, actor_id, count(*) FROM (SELECT actor_id FROM events WHERE tenant = 'acme' \
                 AND occurred_at >= {} AND occurred_at < {} {filter} \
                 ORDER BY occurred_at DESC, seq DESC LIMIT {sample}) GROUP BY 2",
                range.0, range.1
            );
            run(&db, &sql, &[])
        };
        for (q, filter) in [("", ""), ("env:prod", "AND environment = 'prod'")] {
            let query = parse(q).unwrap();
            assert!(sampled(Reach::whole_tenant("t"), &query, &Field::Actor));
            for sample in [5, 50, 10_000] {
                let (sql, params) = facet_sql(
                    Reach::whole_tenant("acme"),
                    &query,
                    NOW,
                    range,
                    &Field::Actor,
                    100,
                    sample,
                )
                .unwrap();
                assert_eq!(
                    run(&db, &sql, &params),
                    newest(sample as usize, filter),
                    "`{q}`, sample {sample}"
                );
            }
            let all: i64 = newest(10_000, filter).iter().map(|r| r.2).sum();
            assert!(all > 50, "the data is larger than the smaller samples");
        }
        // All of time: no time condition at all (it would lead D1's planner to the time index).
        let (sql, params) = facet_sql(
            Reach::whole_tenant("acme"),
            &parse("actor:u3").unwrap(),
            NOW,
            (0, evident_shared::timestamp::MAX_MILLIS),
            &Field::Action,
            100,
            10_000,
        )
        .unwrap();
        assert!(!sql.contains("occurred_at >="), "{sql}");
        let want = run(
            &db,
            "SELECT 0, action, count(*) FROM events WHERE tenant = 'acme' AND actor_id = 'u3' GROUP BY 2",
            &[],
        );
        let mut got = run(&db, &sql, &params);
        got.sort();
        assert_eq!(got, want);
        // Rollup fields are never sampled: the same as count_sql, exact.
        let query = parse("env:prod").unwrap();
        assert!(!sampled(Reach::whole_tenant("t"), &query, &Field::Outcome));
        let (sql, params) = facet_sql(
            Reach::whole_tenant("acme"),
            &query,
            NOW,
            range,
            &Field::Outcome,
            100,
            5,
        )
        .unwrap();
        let key = Key::Field(Field::Outcome);
        let (exact, exact_params) =
            count_sql(Reach::whole_tenant("acme"), &query, NOW, range, &key, 100).unwrap();
        assert_eq!(run(&db, &sql, &params), run(&db, &exact, &exact_params));
    }

    #[test]
    fn resource_types_count_the_events_with_a_target_of_each_type_over_the_newest_sample() {
        let db = database();
        spread(&db);
        let t = 1_717_200_000_000_i64;
        let range = (t - 10 * DAY, t + DAY);
        let query = parse("outcome:failure").unwrap();
        assert!(sampled(
            Reach::whole_tenant("acme"),
            &query,
            &Field::TargetType
        ));
        for sample in [7, 10_000] {
            let (sql, params) = facet_sql(
                Reach::whole_tenant("acme"),
                &query,
                NOW,
                range,
                &Field::TargetType,
                100,
                sample,
            )
            .unwrap();
            // Oracle: of the newest `sample` matching events, how many have a target of each type.
            let oracle = format!(
                "SELECT 0, t.value ->> '$.type', count(DISTINCT e.rowid) FROM (SELECT rowid, \
                 body_json(body) AS body FROM events WHERE tenant = 'acme' AND outcome = 'failure' \
                 AND occurred_at >= {} AND occurred_at < {} ORDER BY occurred_at DESC, seq DESC \
                 LIMIT {sample}) AS e, json_each(e.body, '$.targets') AS t GROUP BY 2",
                range.0, range.1
            );
            assert_eq!(
                run(&db, &sql, &params),
                run(&db, &oracle, &[]),
                "sample {sample}"
            );
        }
        // Every event: those with a pipeline and a database count under both, once each, and
        // those with no target under neither.
        let (sql, params) = facet_sql(
            Reach::whole_tenant("acme"),
            &parse("").unwrap(),
            NOW,
            range,
            &Field::TargetType,
            100,
            10_000,
        )
        .unwrap();
        let counts: Vec<(Option<String>, i64)> = run(&db, &sql, &params)
            .into_iter()
            .map(|r| (r.1, r.2))
            .collect();
        assert_eq!(
            counts,
            [
                (Some("database".into()), 98 + 97),
                (Some("pipeline".into()), 97 + 97)
            ]
        );
        // A histogram grouped by resource type counts the same events, by bucket.
        let key = Key::Buckets {
            interval: DAY,
            group: Some(Field::TargetType),
        };
        let (sql, params) = count_sql(
            Reach::whole_tenant("acme"),
            &parse("").unwrap(),
            NOW,
            range,
            &key,
            100,
        )
        .unwrap();
        let mut totals = std::collections::BTreeMap::new();
        for (_, value, n) in run(&db, &sql, &params) {
            *totals.entry(value).or_insert(0) += n;
        }
        assert_eq!(totals[&Some("database".to_string())], 98 + 97);
        assert_eq!(totals[&Some("pipeline".to_string())], 97 + 97);
    }

    #[test]
    fn one_pass_over_the_rollups_gives_every_facet_as_count_sql_does() {
        let db = database();
        spread(&db);
        let t = 1_717_200_000_000_i64;
        for (from, to) in [
            (t - 10 * DAY, t + DAY),
            (
                t - 9 * DAY + 3 * HOUR + 17 * 60_000,
                t - 2 * DAY - 5 * 60_000,
            ),
            (t - 5 * DAY, t - 5 * DAY + 50 * 60_000),
            (t, t + 1),
        ] {
            for q in ["", "env:prod", "-outcome:denied action:app.*"] {
                let query = parse(q).unwrap();
                let (sql, params) =
                    combinations_sql(Reach::whole_tenant("acme"), &query, NOW, (from, to)).unwrap();
                let mut stmt = db.prepare(&sql).unwrap();
                let rows: Vec<Combination> = stmt
                    .query_map(params_from_iter(params.iter().map(to_sql)), |r| {
                        Ok(Combination {
                            environment: r.get(0)?,
                            workspace: r.get(1)?,
                            action: r.get(2)?,
                            category: r.get(3)?,
                            outcome: r.get(4)?,
                            n: r.get(5)?,
                        })
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                for field in ROLLUP_FIELDS {
                    for limit in [3, 100] {
                        let key = Key::Field(field.clone());
                        let (sql, params) = count_sql(
                            Reach::whole_tenant("acme"),
                            &query,
                            NOW,
                            (from, to),
                            &key,
                            limit,
                        )
                        .unwrap();
                        let mut stmt = db.prepare(&sql).unwrap();
                        let want: Vec<(Option<String>, i64)> = stmt
                            .query_map(params_from_iter(params.iter().map(to_sql)), |r| {
                                Ok((r.get(1)?, r.get(2)?))
                            })
                            .unwrap()
                            .map(Result::unwrap)
                            .collect();
                        assert_eq!(
                            marginal(&rows, &field, limit),
                            want,
                            "{field:?} for `{q}` over {from}..{to}, limit {limit}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn long_ranges_read_the_rollups_not_the_events() {
        let db = database();
        spread(&db);
        let t = 1_717_200_000_000_i64;
        let key = Key::Buckets {
            interval: DAY,
            group: Some(Field::Outcome),
        };
        let (sql, params) = count_sql(
            Reach::whole_tenant("acme"),
            &parse("env:prod").unwrap(),
            NOW,
            (t - 90 * DAY, t),
            &key,
            100,
        )
        .unwrap();
        let mut stmt = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params_from_iter(params.iter().map(to_sql)), |r| r.get(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let plan = plan.join("\n");
        assert!(plan.contains("SEARCH event_counts"), "{plan}");
        assert!(!plan.contains("SCAN events"), "{plan}");
    }
}

#[test]
fn a_resource_history_reads_its_targets_in_order() {
    let db = loaded();
    let sql = format!("EXPLAIN QUERY PLAN {}", crate::sql::SELECT_RESOURCE_HISTORY);
    let mut stmt = db.prepare(&sql).unwrap();
    let plan: Vec<String> = stmt
        .query_map(
            rusqlite::params![
                "acme",
                "notebook",
                "nb1",
                -1,
                0,
                50,
                None::<String>,
                None::<String>
            ],
            |r| r.get(3),
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let plan = plan.join("\n");
    // The key of event_targets serves (id, type) in time order, with no sort.
    assert!(
        plan.contains(
            "SEARCH t USING PRIMARY KEY (tenant=? AND target_id=? AND target_type=? AND occurred_at>?)"
        ),
        "{plan}"
    );
    assert!(
        plan.contains("SEARCH e USING INDEX events_by_seq"),
        "{plan}"
    );
    assert!(!plan.contains("TEMP B-TREE"), "no sort: {plan}");
    let mut stmt = db.prepare(crate::sql::SELECT_RESOURCE_HISTORY).unwrap();
    let times: Vec<i64> = stmt
        .query_map(
            rusqlite::params![
                "acme",
                "notebook",
                "nb1",
                -1,
                0,
                50,
                None::<String>,
                None::<String>
            ],
            |r| r.get(0),
        )
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(times.len(), expected(|i, _| i % 4 == 1));
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
}

#[test]
fn an_export_snapshot_keeps_to_events_sealed_before_it_began() {
    let db = loaded();
    // Each tenant's 30 events hold seq 1..=30; a snapshot at 12 keeps the first 12 sealed, whatever
    // their time, and keyset pages through them without gaps or repeats.
    let mut query = ListQuery {
        up_to_seq: Some(12),
        now: NOW,
        limit: 5,
        ..ListQuery::default()
    };
    let mut seqs = Vec::new();
    loop {
        let (sql, params) = query.to_sql(Reach::whole_tenant("acme")).unwrap();
        let mut stmt = db.prepare(&sql).unwrap();
        let rows: Vec<(i64, u64, String)> = stmt
            .query_map(params_from_iter(params.iter().map(to_sql)), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let more = rows.len() > 5;
        for (_, _, body) in rows.iter().take(5) {
            let event: Value = serde_json::from_str(&decoded(&db, "acme", body.clone())).unwrap();
            seqs.push(event["seq"].as_u64().unwrap());
        }
        if !more {
            break;
        }
        let (occurred_at, seq, _) = &rows[4];
        query.cursor = Some(evident_shared::cursor::Cursor {
            occurred_at: *occurred_at,
            seq: *seq,
            view: None,
        });
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=12).collect::<Vec<u64>>());
}
