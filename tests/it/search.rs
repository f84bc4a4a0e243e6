//! The query language, facets and histograms through a real `wrangler dev`: `q` on the list, top
//! values with counts, and counts over time, each checked against the events the test sent. This
//! module's events live in March 2019 and in project `srch`, apart from every other test's.

use evident_tests::server::Server;
use serde_json::{json, Value};

use crate::support::{encode, ingest, list_all, read};
use crate::Test;

pub const TESTS: &[Test] = &[
    (
        "search::q_selects_events_and_errors_point_at_the_term",
        q_selects_events_and_errors_point_at_the_term,
    ),
    (
        "search::facets_and_histograms_count_exactly",
        facets_and_histograms_count_exactly,
    ),
    (
        "search::resource_history_and_actor_timeline",
        resource_history_and_actor_timeline,
    ),
];

/// 3 days of events, one every 5 hours from 2019-03-01T02:00Z: 15 events.
fn send(server: &Server) -> Vec<Value> {
    let start = 1_551_405_600_000_i64; // 2019-03-01T02:00:00Z
    let events: Vec<Value> = (0..15)
        .map(|i| {
            let outcome = ["success", "failure", "denied"][i % 3];
            let action = ["pipeline.run", "connection.update"][i % 2];
            let env = if i % 4 == 0 { "dev" } else { "prod" };
            let mut e = json!({
                "action": action,
                "occurred_at": start + (i as i64) * 5 * 3_600_000,
                "outcome": outcome,
                "actor": {"id": format!("srch-u{}", i % 3), "email": format!("srch{}@corp.com", i % 3)},
                "scope": {"environment": env, "project": "srch"},
                "targets": [{"type": "connection", "id": format!("conn-{}", i % 2)}],
                "idempotency_key": format!("srch-{i}"),
            });
            if i % 5 == 0 {
                e["payload"] = json!({"code": "SELECT * FROM quarterly_revenue"});
            }
            if i % 3 == 0 {
                e["metadata"] = json!({"Cost Center": "R&D", "kéy": i});
            }
            e
        })
        .collect();
    let answer = ingest(server, &json!(events));
    assert!(matches!(answer.status, 200 | 201), "{}", answer.text);
    events
}

fn search(server: &Server, q: &str) -> Vec<Value> {
    list_all(server, &format!("q={}", encode(q)))
}

fn q_selects_events_and_errors_point_at_the_term(server: &Server) {
    let events = send(server);
    let count = |keep: &dyn Fn(&Value) -> bool| events.iter().filter(|e| keep(e)).count();
    for (q, want) in [
        ("project:srch", 15),
        (
            "project:srch outcome:failure,denied",
            count(&|e| e["outcome"] != "success"),
        ),
        (
            "project:srch -env:dev",
            count(&|e| e["scope"]["environment"] == "prod"),
        ),
        (
            "project:srch action:pipeline.*",
            count(&|e| e["action"] == "pipeline.run"),
        ),
        (
            "actor:srch1@corp.com",
            count(&|e| e["actor"]["id"] == "srch-u1"),
        ),
        ("project:srch target:connection:conn-1", 7),
        ("quarterly_revenue project:srch", 3),
        ("project:srch occurred:>=2019-03-02 occurred:<2019-03-03", 5),
        // Metadata keys with a space (quoted) or beyond ASCII.
        ("project:srch metadata.\"Cost Center\":\"R&D\"", 5),
        ("project:srch metadata.kéy:3,6", 2),
        ("project:srch -metadata.\"Cost Center\":\"R&D\"", 10),
        // A tab pasted into a phrase separates its words.
        ("project:srch \"quarterly_revenue\tselect\"", 0),
        ("project:srch \"select\tfrom\"", 3),
    ] {
        let got = search(server, q);
        assert_eq!(got.len(), want, "`{q}`");
    }
    let answer = read(
        server,
        &format!("/api/v1/events?q={}", encode("outcome:failure actr:x")),
    );
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(answer.error_code(), "invalid_query");
    let message = answer.error_message();
    assert!(
        message.contains("`actr`") && message.contains("16..20") && message.contains("actor"),
        "{message}"
    );
}

fn facets_and_histograms_count_exactly(server: &Server) {
    let events = send(server);
    let march = "from=2019-03-01T00:00:00Z&to=2019-03-08T00:00:00Z";
    let tally = |field: &dyn Fn(&Value) -> String| {
        let mut counts = std::collections::BTreeMap::new();
        for e in &events {
            *counts.entry(field(e)).or_insert(0_i64) += 1;
        }
        counts
    };
    let outcomes = tally(&|e| e["outcome"].as_str().unwrap().to_string());

    // Only this module's events fall in March 2019: the rollups answer, exactly.
    let answer = read(server, &format!("/api/v1/facets?field=outcome,env&{march}"));
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["from_rollups"], true);
    let facet = |json: &Value, name: &str| -> std::collections::BTreeMap<String, i64> {
        json["facets"][name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["value"].as_str().unwrap().to_string(),
                    v["count"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(facet(&answer.json, "outcome"), outcomes);
    assert_eq!(facet(&answer.json, "env")["dev"], 4);
    assert!(answer.json.get("sampled").is_none(), "{}", answer.text);
    // Counted from the rollups and from a sample in one answer: it names the sampled one.
    let mixed = read(
        server,
        &format!("/api/v1/facets?field=outcome,env,actor&{march}"),
    );
    assert_eq!(mixed.status, 200, "{}", mixed.text);
    assert_eq!(mixed.json["sample"], 10_000);
    assert_eq!(mixed.json["sampled"], serde_json::json!(["actor"]));
    assert_eq!(facet(&mixed.json, "outcome"), outcomes);
    // Resource types: the events with a target of each type, over the newest matching events (each
    // of these events has one target).
    let types = read(server, &format!("/api/v1/facets?field=target.type&{march}"));
    assert_eq!(types.status, 200, "{}", types.text);
    assert_eq!(types.json["sampled"], serde_json::json!(["target.type"]));
    let target_types = tally(&|e| e["targets"][0]["type"].as_str().unwrap().to_string());
    assert_eq!(facet(&types.json, "target.type"), target_types);
    // A filter the rollups do not hold counts events instead, with the same result.
    let answer = read(
        server,
        &format!("/api/v1/facets?field=outcome&q=project:srch&{march}"),
    );
    assert_eq!(answer.json["from_rollups"], false);
    assert_eq!(facet(&answer.json, "outcome"), outcomes);

    let per_day = |json: &Value| -> Vec<i64> {
        json["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["total"].as_i64().unwrap())
            .collect()
    };
    let answer = read(
        server,
        &format!("/api/v1/histogram?interval=1d&group=outcome&{march}"),
    );
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["interval_ms"], 86_400_000);
    assert_eq!(answer.json["from_rollups"], true);
    let days = |keep: &dyn Fn(&Value) -> bool| -> Vec<i64> {
        let mut days = vec![0; 7];
        for e in events.iter().filter(|e| keep(e)) {
            let ms = e["occurred_at"].as_i64().unwrap();
            days[((ms - 1_551_398_400_000) / 86_400_000) as usize] += 1;
        }
        days
    };
    assert_eq!(per_day(&answer.json), days(&|_| true));
    assert_eq!(per_day(&answer.json), [5, 5, 4, 1, 0, 0, 0]);
    let first = &answer.json["buckets"][0];
    assert_eq!(first["start"], "2019-03-01T00:00:00.000Z");
    assert_eq!(first["counts"]["success"], 2);
    let answer = read(
        server,
        &format!(
            "/api/v1/histogram?interval=1d&q={}&{march}",
            encode("project:srch -outcome:denied")
        ),
    );
    assert_eq!(answer.json["from_rollups"], false);
    assert_eq!(per_day(&answer.json), days(&|e| e["outcome"] != "denied"));
    // An automatic interval over a week is 1 or 3 hours; the total stays 15.
    let answer = read(server, &format!("/api/v1/histogram?{march}"));
    assert_eq!(per_day(&answer.json).iter().sum::<i64>(), 15);

    for (path, needle) in [
        (
            "/api/v1/histogram?interval=1m&from=2019-01-01T00:00:00Z&to=2019-03-01T00:00:00Z",
            "limit is 1000",
        ),
        ("/api/v1/histogram?interval=fortnight", "`interval`"),
        ("/api/v1/histogram?group=description", "`group`"),
        ("/api/v1/facets?field=colour", "`field`"),
        ("/api/v1/facets", "`field`"),
        ("/api/v1/facets?field=outcome&colour=red", "`colour`"),
    ] {
        let answer = read(server, path);
        assert_eq!(answer.status, 400, "{path}: {}", answer.text);
        assert!(
            answer.error_message().contains(needle),
            "{path}: {}",
            answer.error_message()
        );
    }
}

fn resource_history_and_actor_timeline(server: &Server) {
    // Three changes to one report, by two people, sent newest first; and an unrelated event.
    let change = |i: i64, who: &str, before: &str, after: &str| {
        json!({
            "action": "report.update", "occurred_at": 1_551_700_000_000_i64 + i * 60_000,
            "actor": {"id": who, "email": format!("{who}@corp.com")},
            "targets": [{"type": "report", "id": "Q2 sales/EMEA"}],
            "changes": {"before": {"title": before}, "after": {"title": after}},
            "idempotency_key": format!("hist-{i}"),
        })
    };
    let batch = json!([
        change(3, "hist-bob", "Q2", "Q2 final"),
        change(2, "hist-ann", "Draft", "Q2"),
        change(1, "hist-ann", "", "Draft"),
        {"action": "report.view", "occurred_at": 1_551_700_000_000_i64, "actor": {"id": "hist-ann"},
         "targets": [{"type": "report", "id": "other"}], "idempotency_key": "hist-view"},
    ]);
    let answer = ingest(server, &batch);
    assert!(matches!(answer.status, 200 | 201), "{}", answer.text);

    let path = format!(
        "/api/v1/resources/report/{}?limit=2",
        encode("Q2 sales/EMEA")
    );
    let first = read(server, &path);
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json["id"], "Q2 sales/EMEA");
    let cursor = first.json["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_string();
    let second = read(server, &format!("{path}&cursor={cursor}"));
    assert_eq!(second.json["next_cursor"], Value::Null);
    let history: Vec<&Value> = first.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second.json["events"].as_array().unwrap())
        .collect();
    let titles: Vec<(&str, &str)> = history
        .iter()
        .map(|e| {
            (
                e["actor"]["id"].as_str().unwrap(),
                e["changes"]["after"]["title"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        titles,
        [
            ("hist-ann", "Draft"),
            ("hist-ann", "Q2"),
            ("hist-bob", "Q2 final")
        ],
        "oldest first, who changed what"
    );
    assert_eq!(history[2]["changes"]["changed_fields"], json!(["/title"]));

    let timeline = read(server, "/api/v1/actors/hist-ann");
    assert_eq!(timeline.status, 200, "{}", timeline.text);
    let actions: Vec<&str> = timeline.json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["report.update", "report.update", "report.view"],
        "newest first"
    );
    assert_eq!(
        timeline.json["top_actions"],
        json!([{"value": "report.update", "count": 2}, {"value": "report.view", "count": 1}])
    );
    let by_email = read(
        server,
        &format!("/api/v1/actors/{}", encode("hist-bob@corp.com")),
    );
    assert_eq!(by_email.json["events"].as_array().unwrap().len(), 1);
    // Each page says the search it ran, for the dashboard's search link and export: by e-mail, by
    // an id that has an `@` but is no one's e-mail, by id; and each finds what the page showed.
    let service = json!({"action": "report.view", "occurred_at": 1_551_700_000_000_i64,
                         "actor": {"id": "hist-svc@ci"}, "idempotency_key": "hist-svc"});
    assert!(matches!(ingest(server, &service).status, 200 | 201));
    for (actor, search, shown) in [
        ("hist-bob@corp.com", "actor:hist-bob@corp.com", 1),
        ("hist-svc@ci", "actor.id:hist-svc@ci", 1),
        ("hist-ann", "actor:hist-ann", 3),
    ] {
        let page = read(server, &format!("/api/v1/actors/{}", encode(actor)));
        assert_eq!(page.json["search"], search, "{actor}");
        assert_eq!(
            page.json["events"].as_array().unwrap().len(),
            shown,
            "{actor}"
        );
        let found = list_all(server, &format!("q={}&limit=500", encode(search)));
        assert_eq!(found.len(), shown, "{search}");
    }
    let nobody = read(server, "/api/v1/resources/report/nothing-here");
    assert_eq!(nobody.json["events"], json!([]));
    assert_eq!(read(server, "/api/v1/actors/hist-ann?limit=0").status, 400);
}
