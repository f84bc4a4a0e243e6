//! Tests of the Activity Logs adapter: the seed's webhook and CSV export verbatim, then the awkward cases.

use serde_json::json;

use super::*;
use crate::adapters::common::testing::valid;
use crate::event::{ActorType, Category, Outcome};

/// The webhook body of seeds/003, verbatim.
const SEED_WEBHOOK: &str = r#"{
"event": "notebook_executed",
"user": "alice@company.com",
"resource": "Q2 Sales Report",
"timestamp": "2024-06-12T14:30:22Z"
}"#;

/// The CSV export of seeds/003, verbatim.
const SEED_CSV: &str = "timestamp,user,action,resource,status,ip_address
2024-06-12 14:30:22,alice@company.com,created,sales_db,success,192.168.1.100
2024-06-12 14:35:10,bob@company.com,updated,sales_db,success,192.168.1.101";

fn csv_hint() -> Hint<'static> {
    Hint {
        content_type: "text/csv; charset=utf-8",
        file_name: None,
    }
}

#[test]
fn the_seed_webhook() {
    let out = adapt(
        SEED_WEBHOOK,
        Hint {
            content_type: "application/json",
            file_name: None,
        },
    )
    .unwrap();
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.records[0].line, 1);
    let e = valid(&out.records[0].event, "activity");
    assert_eq!(e.action, "notebook.execute");
    assert_eq!(e.category, Category::Execute);
    assert_eq!(e.occurred_at, "2024-06-12T14:30:22.000Z");
    assert_eq!(e.actor.kind, ActorType::User);
    assert_eq!(e.actor.id, "alice@company.com");
    assert_eq!(e.actor.email.as_deref(), Some("alice@company.com"));
    assert_eq!(e.targets.len(), 1);
    assert_eq!(e.targets[0].kind, "notebook");
    assert_eq!(e.targets[0].id, "Q2 Sales Report");
    assert_eq!(e.targets[0].name.as_deref(), Some("Q2 Sales Report"));
    assert_eq!(e.outcome, Outcome::Unknown);
    assert_eq!(e.source.name.as_deref(), Some("activity"));
    assert!(e.idempotency_key.unwrap().starts_with("activity#"));
    // Without a content type the JSON is recognised too, and gives the same key.
    assert_eq!(adapt(SEED_WEBHOOK, Hint::default()).unwrap(), out);
}

#[test]
fn the_seed_csv_export() {
    for hint in [csv_hint(), Hint::default()] {
        let out = adapt(SEED_CSV, hint).unwrap();
        assert!(
            out.unreadable.is_empty() && out.skipped.is_empty(),
            "{out:?}"
        );
        assert_eq!(
            out.records.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![2, 3]
        );
        let e = valid(&out.records[0].event, "activity");
        assert_eq!(e.action, "database.create");
        assert_eq!(e.category, Category::Create);
        assert_eq!(e.occurred_at, "2024-06-12T14:30:22.000Z");
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.actor.email.as_deref(), Some("alice@company.com"));
        assert_eq!(e.targets[0].kind, "database");
        assert_eq!(e.targets[0].id, "sales_db");
        assert_eq!(e.context.ip.as_deref(), Some("192.168.1.100"));
        let e = valid(&out.records[1].event, "activity");
        assert_eq!(e.action, "database.update");
        assert_eq!(e.actor.id, "bob@company.com");
        assert_eq!(e.occurred_at, "2024-06-12T14:35:10.000Z");
        assert_eq!(e.context.ip.as_deref(), Some("192.168.1.101"));
    }
}

#[test]
fn csv_with_quoted_fields_keeps_real_line_numbers() {
    let body = "timestamp,user,action,resource,status,ip_address\r\n\
\"2024-06-12 14:30:22\",\"Smith, Alice <alice@company.com>\",\"Executed query\",\"Top 10 \"\"Customers\"\", by revenue\",Success,192.168.1.100\r\n\
2024-06-12 14:31:00,carol@company.com,updated,\"orders\ntable (line two)\",failed,10.0.0.7\r\n\
2024-06-12 14:32:00,svc-etl,Triggered pipeline,Daily ETL,In Progress,not-an-ip\r\n\
2024-06-12 14:33:00,dave@company.com,deleted,too,many,columns,here\r\n\
2024-06-12 14:34:00,api_key_123,exported,Q2 report,denied,\r\n\
yesterday,erin@company.com,viewed,sales_db,success,192.168.1.9\r\n";
    let out = adapt(body, csv_hint()).unwrap();
    let lines: Vec<usize> = out.records.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 3, 5, 7]);
    let e = valid(&out.records[0].event, "activity");
    assert_eq!(e.action, "query.execute");
    assert_eq!(e.actor.id, "Smith, Alice <alice@company.com>");
    assert_eq!(e.actor.email, None);
    assert_eq!(e.targets[0].id, "Top 10 \"Customers\", by revenue");
    let e = valid(&out.records[1].event, "activity");
    assert_eq!(e.action, "table.update");
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.targets[0].id, "orders\ntable (line two)");
    let e = valid(&out.records[2].event, "activity");
    assert_eq!(e.action, "pipeline.trigger");
    assert_eq!(e.outcome, Outcome::InProgress);
    assert_eq!(e.actor.kind, ActorType::Service);
    assert_eq!(e.metadata["ip_address"], json!("not-an-ip"));
    assert!(e.context.ip.is_none());
    let e = valid(&out.records[3].event, "activity");
    assert_eq!(e.action, "report.export");
    assert_eq!(e.category, Category::Export);
    assert_eq!(e.outcome, Outcome::Denied);
    assert_eq!(e.actor.kind, ActorType::ApiKey);
    let problems: Vec<(usize, &str)> = out
        .unreadable
        .iter()
        .map(|p| (p.line, p.reason.as_str()))
        .collect();
    assert_eq!(
        problems,
        vec![
            (
                6,
                "expected 6 columns (timestamp,user,action,resource,status,ip_address), found 7"
            ),
            (
                8,
                "`timestamp`: `yesterday` is not a timestamp like `2024-06-12T14:30:22Z`"
            ),
        ]
    );
}

#[test]
fn csv_columns_by_name_and_without_header() {
    let body = "ip_address,Action,User,Timestamp,Region\n10.1.1.1,shared,alice@company.com,2024-06-12T14:30:22Z,eu\n";
    let out = adapt(body, Hint::default()).unwrap();
    let e = valid(&out.records[0].event, "activity");
    assert_eq!(e.action, "resource.share");
    assert_eq!(e.category, Category::Permission);
    assert_eq!(e.context.ip.as_deref(), Some("10.1.1.1"));
    assert_eq!(e.metadata["region"], json!("eu"));
    let long = format!(
        "timestamp,user,action,{}\n2024-06-12 14:30:22,a@b.c,viewed,x\n",
        "c".repeat(41)
    );
    let e = valid(
        &adapt(&long, csv_hint()).unwrap().records[0].event,
        "activity",
    );
    assert_eq!(e.payload.unwrap()["c".repeat(41)], json!("x"));
    assert!(e.targets.is_empty());
    let headerless = SEED_CSV.lines().skip(1).collect::<Vec<_>>().join("\n");
    let out = adapt(&headerless, Hint::default()).unwrap();
    assert_eq!(out.records.len(), 2);
    assert_eq!(out.records[0].line, 1);
    let err = adapt("when,who\n1,2\n", csv_hint()).unwrap_err();
    assert!(
        matches!(err, AdaptError::WrongShape { line: 1, .. }),
        "{err:?}"
    );
    let err = adapt("timestamp,user,resource\n", csv_hint()).unwrap_err();
    assert!(err.to_string().contains("no `action` column"), "{err}");
}

#[test]
fn identical_rows_are_both_kept_and_resends_dedupe() {
    let row = "2024-06-12 14:30:22,alice@company.com,viewed,sales_db,success,192.168.1.100";
    let body = format!("{}\n{row}\n{row}\n", CSV_COLUMNS.join(","));
    let out = adapt(&body, csv_hint()).unwrap();
    let keys: Vec<&str> = out
        .records
        .iter()
        .map(|r| r.event["idempotency_key"].as_str().unwrap())
        .collect();
    assert_eq!(keys[1], format!("{}-2", keys[0]));
    assert_eq!(adapt(&body, csv_hint()).unwrap(), out);
}

#[test]
fn webhook_arrays_ndjson_and_extras() {
    let body = json!([
        {"event": "query_executed", "user": {"id": "u_7", "email": "ann@company.com", "name": "Ann"},
         "resource": "Top 10 Customers", "resource_id": "q_10", "timestamp": 1718202622000_i64,
         "status": "Success", "duration": "1.2 seconds", "details": "Rows returned: 10",
         "ip_address": "192.168.1.100", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
         "session_id": "s1", "rows": 10, "params": {"limit": 10}, "id": "evt_1"},
        {"event": "notebook.updated", "user": "alice@company.com", "resource": "Report",
         "before": {"status": "draft"}, "after": "{\"status\": \"published\"}", "duration_ms": 245},
        {"user": "x@y.z"},
        ["not", "an", "object"]
    ])
    .to_string();
    let out = adapt(&body, Hint::default()).unwrap();
    assert_eq!(out.records.len(), 2);
    let e = valid(&out.records[0].event, "activity");
    assert_eq!(e.action, "query.execute");
    assert_eq!(e.actor.id, "u_7");
    assert_eq!(e.actor.name.as_deref(), Some("Ann"));
    assert_eq!(e.targets[0].id, "q_10");
    assert_eq!(e.targets[0].name.as_deref(), Some("Top 10 Customers"));
    assert_eq!(e.occurred_at, "2024-06-12T14:30:22.000Z");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.duration_ms, Some(1200));
    assert_eq!(e.description.as_deref(), Some("Rows returned: 10"));
    assert_eq!(e.context.ip.as_deref(), Some("192.168.1.100"));
    assert_eq!(
        e.context.user_agent.as_deref(),
        Some("Mozilla/5.0 (X11; Linux x86_64)")
    );
    assert_eq!(e.context.session_id.as_deref(), Some("s1"));
    assert_eq!(e.metadata["rows"], json!(10));
    assert_eq!(e.payload, Some(json!({"params": {"limit": 10}})));
    assert_eq!(e.idempotency_key.as_deref(), Some("activity:evt_1"));
    let e = valid(&out.records[1].event, "activity");
    assert_eq!(e.action, "notebook.update");
    assert_eq!(e.duration_ms, Some(245));
    assert_eq!(e.changes.unwrap().changed_fields, vec!["/status"]);
    let problems: Vec<&str> = out.unreadable.iter().map(|p| p.reason.as_str()).collect();
    assert_eq!(
        problems,
        vec![
            "activity has no `event`",
            "an activity must be a JSON object"
        ]
    );

    let nd = format!(
        "{}\n{{\"event\": \"user_logged_in\", \"user\": \"bob@company.com\"\n",
        SEED_WEBHOOK.replace('\n', "")
    );
    let out = adapt(&nd, Hint::default()).unwrap();
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.unreadable[0].line, 2);
    assert!(
        out.unreadable[0].reason.contains("EOF"),
        "{:?}",
        out.unreadable
    );
    let e = valid(
        &adapt(
            "{\"event\": \"user_logged_in\", \"user\": \"bob@company.com\"}",
            Hint::default(),
        )
        .unwrap()
        .records[0]
            .event,
        "activity",
    );
    assert_eq!(e.action, "user.sign_in");
    assert_eq!(e.category, Category::Auth);
}

#[test]
fn the_seeds_action_words() {
    let cases = [
        ("Created", None, "create"),
        ("Updated", None, "update"),
        ("Deleted", None, "delete"),
        ("Viewed", None, "view"),
        ("Executed", None, "execute"),
        ("Cancelled", None, "cancel"),
        ("Shared", None, "share"),
        ("Revoked", None, "revoke"),
        ("Promoted", None, "promote"),
        ("Created notebook", Some("notebook"), "create"),
        ("Added cell", Some("cell"), "add"),
        ("Inserted", None, "insert"),
        ("Imported data", Some("data"), "import"),
        ("Triggered pipeline", Some("pipeline"), "trigger"),
        ("Disabled pipeline", Some("pipeline"), "disable"),
        ("query_executed", Some("query"), "execute"),
        ("notebook.create", Some("notebook"), "create"),
        ("pipeline_frobnicated", Some("pipeline"), "frobnicated"),
    ];
    for (text, resource, verb) in cases {
        let got = split_action(text);
        assert_eq!(
            (got.0.as_deref(), got.1.as_str()),
            (resource, verb),
            "{text}"
        );
    }
    assert_eq!(kind_of("Q2 Sales Report").as_deref(), Some("report"));
    assert_eq!(kind_of("orders table").as_deref(), Some("table"));
    assert_eq!(kind_of("Daily ETL"), None);
}

#[test]
fn text_that_is_neither_json_nor_csv_is_refused() {
    let err = adapt("\nhello there\n", Hint::default()).unwrap_err();
    assert_eq!(
        err,
        AdaptError::WrongShape {
            line: 2,
            expected: EXPECTED.into()
        }
    );
}

/// A quote left open takes every line after it into one cell: the row is reported with what
/// happened, not read with the rest of the file as its IP address.
#[test]
fn csv_with_a_quote_left_open_reports_its_row() {
    let body = format!(
        "{SEED_CSV}\n2024-06-12 14:40:00,carol@company.com,deleted,sales_db,success,\"192.168.1.102\n\
         2024-06-12 14:41:00,dave@company.com,created,orders,success,10.0.0.1\n\
         2024-06-12 14:42:00,erin@company.com,created,orders,success,10.0.0.2\n"
    );
    let out = adapt(&body, csv_hint()).unwrap();
    assert_eq!(out.records.len(), 2, "the seed's two rows: {out:?}");
    assert_eq!(out.unreadable.len(), 1, "{out:?}");
    assert_eq!(out.unreadable[0].line, 4);
    assert!(
        out.unreadable[0]
            .reason
            .contains("never closed, so the 3 line(s)"),
        "{out:?}"
    );
    // A stray quote inside a cell, with nothing taken, is read as before.
    let stray = format!(
        "{SEED_CSV}\n2024-06-12 14:40:00,carol@company.com,said 5\" tall,x,success,10.0.0.3\n"
    );
    assert_eq!(adapt(&stray, csv_hint()).unwrap().records.len(), 3);
}

/// Mapped fields sent as objects are not dropped: a resource object is the target, details as an
/// object go to the payload.
#[test]
fn webhook_fields_sent_as_objects_are_kept() {
    let body = r#"{"event": "report.viewed", "user": "ann@example.com", "timestamp": "2024-06-12T14:30:22Z",
        "resource": {"type": "Report", "id": "r1", "name": "Q2"},
        "details": {"page": 3, "filters": ["region"]}}"#;
    let out = adapt(body, Hint::default()).unwrap();
    assert_eq!(out.records.len(), 1, "{out:?}");
    let e = valid(&out.records[0].event, "activity");
    assert_eq!(e.targets.len(), 1);
    assert_eq!(
        (
            e.targets[0].kind.as_str(),
            e.targets[0].id.as_str(),
            e.targets[0].name.as_deref()
        ),
        ("report", "r1", Some("Q2"))
    );
    assert_eq!(
        e.payload.unwrap()["details"],
        json!({"page": 3, "filters": ["region"]})
    );
}

/// An action already written `resource.verb` is kept as sent, even when the resource's name is
/// itself a verb (`query`, `run`, `tag`, `view`).
#[test]
fn dotted_actions_keep_their_resource_and_verb() {
    for (text, resource, verb) in [
        ("query.execute", "query", "execute"),
        ("run.cancel", "run", "cancel"),
        ("tag.delete", "tag", "delete"),
        ("view.create", "view", "create"),
        ("prompt.set_label", "prompt", "set_label"),
        ("query.executed", "query", "execute"),
    ] {
        let got = split_action(text);
        assert_eq!(
            (got.0.as_deref(), got.1.as_str()),
            (Some(resource), verb),
            "{text}"
        );
    }
    let out = adapt(
        r#"{"event":"query.execute","user":"ann@example.com","timestamp":"2024-06-12T14:30:22Z"}"#,
        Hint::default(),
    )
    .unwrap();
    let e = valid(&out.records[0].event, "activity");
    assert_eq!(e.action, "query.execute");
    assert_eq!(e.category, Category::Execute);
}

/// Sign-in words count only as whole words: `log_ingestion` holds `log_in` but is no sign-in.
#[test]
fn sign_in_words_match_whole_words_only() {
    for (text, action) in [
        ("log_ingestion_started", "log_ingestion.start"),
        ("design_input_updated", "design_input.update"),
        ("user_logged_in", "user.sign_in"),
        ("Logged in", "user.sign_in"),
        ("admin_signed_out", "admin.sign_out"),
    ] {
        let (resource, verb) = split_action(text);
        assert_eq!(
            format!("{}.{verb}", resource.unwrap_or_default()),
            action,
            "{text}"
        );
    }
    let out = adapt(
        r#"{"event":"log_ingestion_started","user":"system"}"#,
        Hint::default(),
    )
    .unwrap();
    let e = valid(&out.records[0].event, "activity");
    assert_eq!(e.action, "log_ingestion.start");
    assert_eq!(e.category, Category::Execute);
}

/// A quote opens a quoted cell only at the start of a cell, as in CSV (and the csv reader): a
/// stray quote inside an unquoted cell is a literal character and leaves no quote open.
#[test]
fn a_stray_quote_inside_a_cell_opens_nothing() {
    let body = format!(
        "{SEED_CSV}\n2024-06-12 14:40:00,carol@company.com,said 5\" tall,x,success,10.0.0.3\n\
         2024-06-12 14:41:00,dave@company.com,updated,\"orders\ntable\",success,10.0.0.4\n"
    );
    let out = adapt(&body, csv_hint()).unwrap();
    assert!(
        out.unreadable.is_empty() && out.skipped.is_empty(),
        "{out:?}"
    );
    assert_eq!(
        out.records.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![2, 3, 4, 5]
    );
    let e = valid(&out.records[3].event, "activity");
    assert_eq!(e.action, "table.update");
    assert_eq!(e.targets[0].id, "orders\ntable");
    assert!(!quote_left_open(&body));
    assert!(quote_left_open("a,\"b\nc"));
    assert!(!quote_left_open("a,\"b \"\"quoted\"\" c\",d"));
    // After a quoted cell closes, the rest of the cell is literal, quotes too.
    assert!(!quote_left_open("a,\"b\" x \"c\nd"));
}

/// A row of nothing but empty cells is no activity; it is reported as skipped, with its line.
#[test]
fn blank_csv_rows_are_reported_as_skipped() {
    let mut lines: Vec<&str> = SEED_CSV.lines().collect();
    lines.insert(2, ",,,,,");
    let out = adapt(&lines.join("\n"), csv_hint()).unwrap();
    assert_eq!(
        out.records.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![2, 4]
    );
    assert!(out.unreadable.is_empty(), "{out:?}");
    assert_eq!(
        out.skipped,
        vec![crate::adapters::Problem {
            line: 3,
            reason: "a CSV row of empty cells".into()
        }]
    );
}

/// A webhook field whose partner is absent or sent too is kept: `resource_id` alone is a target of the
/// action's resource, `resource_type` alone and a duration that does not read are metadata, and of
/// `event`/`action` or `ip_address`/`ip` sent together the one not mapped is metadata when it differs.
#[test]
fn webhook_fields_without_or_beside_their_partner_are_kept() {
    let read = |record: serde_json::Value| {
        let out = adapt(&record.to_string(), Hint::default()).unwrap();
        assert_eq!(out.records.len(), 1, "{out:?}");
        valid(&out.records[0].event, "activity")
    };
    let e = read(json!({"event": "report_exported", "user": "a@b.c", "resource_id": "r_9"}));
    assert_eq!(e.action, "report.export");
    let targets: Vec<(&str, &str)> = e
        .targets
        .iter()
        .map(|t| (t.kind.as_str(), t.id.as_str()))
        .collect();
    assert_eq!(targets, [("report", "r_9")]);

    let e = read(
        json!({"event": "exported", "user": "a@b.c", "resource_id": "r_9",
                        "resource_type": "Saved Query"}),
    );
    assert_eq!(
        (e.targets[0].kind.as_str(), e.targets[0].id.as_str()),
        ("saved_query", "r_9")
    );

    let e = read(
        json!({"event": "report_exported", "user": "a@b.c", "resource_type": "pdf",
                        "duration": "about a week"}),
    );
    assert!(e.targets.is_empty());
    assert_eq!(e.metadata["resource_type"], json!("pdf"));
    assert_eq!(e.metadata["duration"], json!("about a week"));
    assert_eq!(e.duration_ms, None);
    // A duration past what validation keeps (2^53 - 1 ms) is kept as sent, not refused with the event.
    let e =
        read(json!({"event": "report_exported", "user": "a@b.c", "duration": "3000000000 hours"}));
    assert_eq!(e.metadata["duration"], json!("3000000000 hours"));
    assert_eq!(e.duration_ms, None);

    let e = read(
        json!({"event": "report_viewed", "action": "report.opened", "user": "a@b.c",
                        "ip_address": "10.0.0.1", "ip": "10.0.0.2", "duration": "2 hours",
                        "resource": {"id": "r1", "type": "report"}, "resource_id": "r2"}),
    );
    assert_eq!(e.action, "report.view");
    assert_eq!(e.metadata["action"], json!("report.opened"));
    assert_eq!(e.context.ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(e.metadata["ip"], json!("10.0.0.2"));
    assert_eq!(e.duration_ms, Some(7_200_000));
    assert_eq!(e.targets[0].id, "r1");
    assert_eq!(e.metadata["resource_id"], json!("r2"));

    // The same value twice is said once; a duration that reads wins over one that does not.
    let e = read(json!({"event": "login", "action": "login", "user": "a@b.c",
                        "ip_address": "10.0.0.1", "ip": "10.0.0.1",
                        "duration_ms": "soon", "duration": "2s"}));
    assert!(!e.metadata.contains_key("action") && !e.metadata.contains_key("ip"));
    assert_eq!(e.duration_ms, Some(2000));
    assert_eq!(e.metadata["duration_ms"], json!("soon"));
}

/// A user sent as a list, or as an object without id or e-mail, is not made anonymous and lost: the
/// first of a list is the actor, a name alone is the id, and what the actor does not hold is kept.
#[test]
fn webhook_users_as_lists_or_names_are_kept() {
    let read = |user: serde_json::Value| {
        let record = json!({"event": "report_viewed", "user": user});
        let out = adapt(&record.to_string(), Hint::default()).unwrap();
        valid(&out.records[0].event, "activity")
    };
    let e = read(json!(["ann@x.io", "bob@x.io"]));
    assert_eq!(e.actor.id, "ann@x.io");
    assert_eq!(e.payload.unwrap()["user"], json!(["ann@x.io", "bob@x.io"]));

    let e = read(json!({"name": "Ann", "type": "user"}));
    assert_eq!(e.actor.kind, ActorType::User);
    assert_eq!(
        (e.actor.id.as_str(), e.actor.name.as_deref()),
        ("Ann", Some("Ann"))
    );
    assert!(e.payload.is_none());

    let e = read(json!({"role": "admin", "team": "ops"}));
    assert_eq!(e.actor.kind, ActorType::Anonymous);
    assert_eq!(
        e.payload.unwrap()["user"],
        json!({"role": "admin", "team": "ops"})
    );

    let e = read(json!({"id": "u1", "email": "not-mail", "type": "robot"}));
    assert_eq!(e.actor.id, "u1");
    assert_eq!(
        e.payload.unwrap()["user"],
        json!({"id": "u1", "email": "not-mail", "type": "robot"})
    );
}
