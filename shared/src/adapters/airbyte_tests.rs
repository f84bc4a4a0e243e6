//! Tests of the Airbyte adapter, beside it because the seed file and the awkward cases are long.

use serde_json::json;

use super::*;
use crate::adapters::common::testing::valid;
use crate::adapters::{adapt as adapt_any, Format};
use crate::event::{ActorType, Category, Outcome};

/// The sample file of seeds/001, verbatim (as documented, without the object's outer braces).
const SEED: &str = r##""events": [
    {
      "timestamp": 1737070174216,
      "message": "Logging audit entry: AuditLogEntry(id=4841f1d8-7fa0-416f-8991-4ca521cbb383, timestamp=1737070174212, user=User(userId=bdfe1362-e3e6-4a7b-9db5-a724f6ece6f2, email=alex@example.com, ipAddress=192.168.50.253, userAgent=Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36), actionName=updatePermission, summary={\"targetUser\":{\"id\":\"424f2c4f-18a7-4bcc-a71a-e84894eadaa7\",\"email\":null},\"targetScope\":{\"type\":\"organization\",\"id\":\"00000000-0000-0000-0000-000000000000\"},\"previousRole\":\"organization_member\",\"newRole\":\"organization_editor\"}, success=true, errorMessage=null)",
      "level": "INFO",
      "logSource": "platform",
      "caller": {
        "className": "io.airbyte.audit.logging.AuditLoggingInterceptor",
        "methodName": "logAuditInfo$io_airbyte_airbyte_audit_logging",
        "lineNumber": 135,
        "threadName": "io-executor-thread-10"
      },
      "throwable": null
    }
]"##;

const SEED_NAME: &str =
    "20250116233934_airbyte-server-7d9f_4841f1d8-7fa0-416f-8991-4ca521cbb383.json";

fn one(body: &str) -> crate::event::Event {
    let out = adapt(body, Hint::default()).unwrap();
    assert_eq!(out.records.len(), 1, "{out:?}");
    valid(&out.records[0].event, "airbyte")
}

/// A log event whose message is `Logging audit entry: ` + `entry`, as one NDJSON line.
fn line(entry: &str) -> String {
    json!({"timestamp": 1737070174216_i64, "message": format!("Logging audit entry: {entry}"), "level": "INFO"})
        .to_string()
}

#[test]
fn the_seed_sample_becomes_a_permission_change() {
    let hint = Hint {
        content_type: "application/json",
        file_name: Some(SEED_NAME),
    };
    let out = adapt(SEED, hint).unwrap();
    assert!(
        out.skipped.is_empty() && out.unreadable.is_empty(),
        "{out:?}"
    );
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.records[0].line, 2);
    let e = valid(&out.records[0].event, "airbyte");
    assert_eq!(e.action, "permission.update");
    assert_eq!(e.category, Category::Permission);
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.error, None);
    assert_eq!(e.occurred_at, "2025-01-16T23:29:34.212Z");
    assert_eq!(e.actor.kind, ActorType::User);
    assert_eq!(e.actor.id, "bdfe1362-e3e6-4a7b-9db5-a724f6ece6f2");
    assert_eq!(e.actor.email.as_deref(), Some("alex@example.com"));
    assert_eq!(e.context.ip.as_deref(), Some("192.168.50.253"));
    assert_eq!(
        e.context.user_agent.as_deref(),
        Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
    );
    let targets: Vec<(&str, &str)> = e
        .targets
        .iter()
        .map(|t| (t.kind.as_str(), t.id.as_str()))
        .collect();
    assert_eq!(
        targets,
        vec![
            ("organization", "00000000-0000-0000-0000-000000000000"),
            ("user", "424f2c4f-18a7-4bcc-a71a-e84894eadaa7"),
        ]
    );
    assert_eq!(
        e.scope.organization.as_deref(),
        Some("00000000-0000-0000-0000-000000000000")
    );
    let changes = e.changes.unwrap();
    assert_eq!(changes.before, Some(json!({"role": "organization_member"})));
    assert_eq!(changes.after, Some(json!({"role": "organization_editor"})));
    assert_eq!(changes.changed_fields, vec!["/role"]);
    assert_eq!(
        e.payload.unwrap()["summary"]["targetUser"],
        json!({"id": "424f2c4f-18a7-4bcc-a71a-e84894eadaa7", "email": null})
    );
    assert_eq!(
        e.idempotency_key.as_deref(),
        Some("airbyte:4841f1d8-7fa0-416f-8991-4ca521cbb383")
    );
    assert_eq!(e.source.name.as_deref(), Some("airbyte"));
    assert_eq!(e.metadata["log_level"], json!("INFO"));
    assert_eq!(e.metadata["log_source"], json!("platform"));
    assert_eq!(
        e.metadata["logger"],
        json!("io.airbyte.audit.logging.AuditLoggingInterceptor")
    );
    assert_eq!(e.metadata["file_time"], json!("2025-01-16T23:39:34.000Z"));
    assert_eq!(e.metadata["file_host"], json!("airbyte-server-7d9f"));
    assert_eq!(
        e.metadata["file_id"],
        json!("4841f1d8-7fa0-416f-8991-4ca521cbb383")
    );
}

#[test]
fn the_file_itself_with_braces_and_other_names() {
    let body = format!("{{{SEED}}}");
    let hint = Hint {
        content_type: "application/json",
        file_name: Some("/audit-logging/notes.json"),
    };
    let out = adapt_any(Format::Airbyte, &body, hint).unwrap();
    let e = valid(&out.records[0].event, "airbyte");
    assert_eq!(e.action, "permission.update");
    assert_eq!(e.metadata["file_name"], json!("notes.json"));
    assert!(!e.metadata.contains_key("file_time"));
    assert_eq!(
        file_metadata("20251399000000_host_4841f1d8-7fa0-416f-8991-4ca521cbb383"),
        vec![(
            "file_name",
            "20251399000000_host_4841f1d8-7fa0-416f-8991-4ca521cbb383".to_string()
        )]
    );
    assert_eq!(
        file_metadata("20250116233934_pod_a.b_4841F1D8-7FA0-416F-8991-4CA521CBB383.json.gz")[1],
        ("file_host", "pod_a.b".to_string())
    );
}

#[test]
fn user_agents_with_commas_and_parentheses_and_nested_summaries() {
    let entry = r#"AuditLogEntry(id=e2, timestamp=1737070174212, user=User(userId=u-9, email=bo@corp.example, ipAddress=2001:DB8::1, userAgent=Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko, a=b) Edg/131.0 (x), curl/8.4.0), actionName=createConnection, summary={"connection":{"name":"pg → s3, (nightly)","config":{"streams":[{"name":"users)","sync":"full, refresh"}]}},"note":"ends with )"}, success=false, errorMessage=Forbidden (403): user, workspace mismatch)"#;
    let e = one(&line(entry));
    assert_eq!(e.action, "connection.create");
    assert_eq!(e.category, Category::Create);
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(
        e.error.unwrap().message,
        "Forbidden (403): user, workspace mismatch"
    );
    assert_eq!(e.context.ip.as_deref(), Some("2001:db8::1"));
    assert_eq!(
        e.context.user_agent.as_deref(),
        Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko, a=b) Edg/131.0 (x), curl/8.4.0")
    );
    assert_eq!(
        e.payload.unwrap()["summary"]["connection"]["config"]["streams"][0],
        json!({"name": "users)", "sync": "full, refresh"})
    );
    assert!(e.changes.is_none());
}

#[test]
fn nulls_missing_users_and_action_names() {
    let e = one(&line("AuditLogEntry(id=e3, timestamp=1737070174212, user=null, actionName=permissionDelete, summary={}, success=true, errorMessage=null)"));
    assert_eq!(e.actor.kind, ActorType::Anonymous);
    assert_eq!(e.action, "permission.delete");
    assert!(e.context.ip.is_none());
    let e = one(&line("AuditLogEntry(id=e4, timestamp=1737070174212, user=User(userId=null, email=null, ipAddress=unknown, userAgent=null), actionName=deleteUserFromWorkspace, summary=null, success=true, errorMessage=null)"));
    assert_eq!(e.action, "user_from_workspace.delete");
    assert_eq!(e.actor.kind, ActorType::Anonymous);
    assert_eq!(e.metadata["ip_address"], json!("unknown"));
    assert_eq!(action_of("login"), "airbyte.login");
}

#[test]
fn other_log_events_are_skipped_and_broken_entries_unreadable() {
    let body = [
        json!({"timestamp": 1, "message": "Starting audit interceptor", "level": "INFO"}).to_string(),
        line("AuditLogEntry(id=e5, timestamp=1737070174212, user=User(userId=u1"),
        "{\"timestamp\": 2, \"message\": ".to_string(),
        line("AuditLogEntry(id=e6, timestamp=soon, actionName=updatePermission)"),
        line("AuditLogEntry(id=e7, timestamp=1737070174212, actionName=updatePermission, success=true)"),
        json!({"level": "INFO"}).to_string(),
    ]
    .join("\n");
    let out = adapt(&body, Hint::default()).unwrap();
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.records[0].line, 5);
    assert_eq!(out.records[0].event["idempotency_key"], json!("airbyte:e7"));
    let skipped: Vec<(usize, &str)> = out
        .skipped
        .iter()
        .map(|p| (p.line, p.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (1, "not an audit entry: `Starting audit interceptor`"),
            (6, "log event without a `message`")
        ]
    );
    let unreadable: Vec<usize> = out.unreadable.iter().map(|p| p.line).collect();
    assert_eq!(unreadable, vec![2, 3, 4]);
    assert!(
        out.unreadable[0]
            .reason
            .starts_with("AuditLogEntry text does not parse at character"),
        "{:?}",
        out.unreadable[0]
    );
    assert!(
        out.unreadable[0].reason.contains("`userId=`"),
        "{:?}",
        out.unreadable[0]
    );
    assert!(
        out.unreadable[1].reason.contains("EOF"),
        "{:?}",
        out.unreadable[1]
    );
    assert!(
        out.unreadable[2].reason.contains("`soon`"),
        "{:?}",
        out.unreadable[2]
    );
}

#[test]
fn a_body_that_is_not_json_is_refused_with_its_position() {
    let err = adapt("{\"events\": [\n  {\"message\": oops}\n]}", Hint::default()).unwrap_err();
    assert_eq!(
        err,
        AdaptError::Malformed {
            line: 2,
            column: 15,
            reason: "expected value".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "malformed JSON at line 2, column 15: expected value"
    );
    let err = adapt("\"events\": [x]", Hint::default()).unwrap_err();
    assert!(
        matches!(
            err,
            AdaptError::Malformed {
                line: 1,
                column: 12,
                ..
            }
        ),
        "{err:?}"
    );
    let err = adapt("\"just a string\"", Hint::default()).unwrap_err();
    assert!(
        matches!(err, AdaptError::WrongShape { line: 1, .. }),
        "{err:?}"
    );
}

/// A user agent written to look like the fields after it would end `User(...)` early and put in
/// its own action and outcome. The entry is reported as unreadable, with its line, rather than read
/// as an action that was not the one logged.
#[test]
fn a_user_agent_cannot_rewrite_the_entry() {
    let agent = "X), actionName=listWorkspaces, summary={}, success=false, errorMessage=null)";
    let entry = format!(
        "AuditLogEntry(id=1, timestamp=1737070174212, user=User(userId=u1, email=a@example.com, \
         ipAddress=10.0.0.1, userAgent={agent}), actionName=updatePermission, summary={{}}, \
         success=true, errorMessage=null)"
    );
    let body = [line("AuditLogEntry(id=0, timestamp=1737070174212, user=User(userId=u0), actionName=listWorkspaces, summary={}, success=true, errorMessage=null)"), line(&entry)].join("\n");
    let out = adapt(&body, Hint::default()).unwrap();
    assert_eq!(out.records.len(), 1, "{out:?}");
    assert_eq!(out.unreadable.len(), 1, "{out:?}");
    assert_eq!(out.unreadable[0].line, 2);
    assert!(
        out.unreadable[0].reason.contains("reads as fields"),
        "{out:?}"
    );
}

/// `AuditLogEntry` has known fields: an error message holding `, permissionId=abc` keeps it rather
/// than losing it to a field no one reads.
#[test]
fn an_error_message_holding_a_comma_and_a_name_is_kept_whole() {
    let e = one(&line("AuditLogEntry(id=e8, timestamp=1737070174212, user=User(userId=u1), actionName=updatePermission, summary={}, success=false, errorMessage=Failed to update permission, permissionId=abc)"));
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(
        e.error.unwrap().message,
        "Failed to update permission, permissionId=abc"
    );
}

/// The log event around the entry is kept: its own time (the entry's is `occurred_at`), the caller's
/// method, line and thread, and a throwable; its time is `occurred_at` only for an entry without one.
#[test]
fn the_log_event_around_the_entry_is_kept() {
    let e = valid(
        &adapt(SEED, Hint::default()).unwrap().records[0].event,
        "airbyte",
    );
    assert_eq!(e.occurred_at, "2025-01-16T23:29:34.212Z");
    assert_eq!(e.metadata["log_time"], json!("2025-01-16T23:29:34.216Z"));
    assert_eq!(
        e.metadata["caller_method"],
        json!("logAuditInfo$io_airbyte_airbyte_audit_logging")
    );
    assert_eq!(e.metadata["caller_line"], json!(135));
    assert_eq!(e.metadata["thread"], json!("io-executor-thread-10"));
    assert!(e.payload.unwrap().get("log_event").is_none());

    let long_method = "m".repeat(600);
    let body = json!({
        "timestamp": 1737070174216_i64,
        "message": "Logging audit entry: AuditLogEntry(id=e9, user=User(userId=u1), actionName=updatePermission, summary={}, success=false, errorMessage=boom)",
        "level": "ERROR",
        "caller": {"className": "io.airbyte.X", "methodName": long_method, "lineNumber": 7},
        "throwable": {"message": "boom", "stackTrace": ["at X.y(X.kt:7)"]},
        "mdc": {"job_id": "42"}
    })
    .to_string();
    let e = one(&body);
    assert_eq!(e.occurred_at, "2025-01-16T23:29:34.216Z");
    assert!(!e.metadata.contains_key("log_time"));
    assert_eq!(e.metadata["logger"], json!("io.airbyte.X"));
    assert_eq!(e.metadata["caller_line"], json!(7));
    assert_eq!(
        e.payload.unwrap()["log_event"],
        json!({
            "caller": {"methodName": long_method},
            "throwable": {"message": "boom", "stackTrace": ["at X.y(X.kt:7)"]},
            "mdc": {"job_id": "42"}
        })
    );
}
