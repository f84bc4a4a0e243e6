//! Tests of the Lowcoder adapter: the seed's event catalogue and field list verbatim, then the shapes
//! Lowcoder's own API and exports use.

use serde_json::json;

use super::*;
use crate::adapters::common::testing::valid;
use crate::event::{ActorType, Category, Outcome};

/// "Tracked Events" of seeds/004, verbatim.
const CATALOGUE: &str = r#"### Tracked Events

Lowcoder logs all critical operations, including authentication, app interactions, resource management, and system-level actions.

#### üîê User Sessions

* Sign in
* Logout

#### üß© App Operations

* View app
* Create new app
* Update app
* Delete app
* Move app to folder
* Move app to Trash
* Restore app

#### üìÅ Folder Operations

* Create new folder
* Update folder
* Delete folder

#### üìä Data Query Activity

* Execute data query

#### üë• User Group Management

* Create user group
* Update user group
* Delete user group
* Add group member
* Remove group member
* Update member role
* Leave user group

#### üõ†Ô∏è Platform/System

* Server startup

#### üåê Data Source Management

* Create data source
* Update data source
* Delete data source
* Grant permission
* Update permission
* Delete permission

#### üß± Library Queries

* Create library query
* Update library query
* Delete library query
* Publish library query"#;

fn labels() -> Vec<&'static str> {
    CATALOGUE
        .lines()
        .filter_map(|l| l.strip_prefix("* "))
        .collect()
}

fn one(record: Value) -> crate::event::Event {
    let out = adapt(&record.to_string()).unwrap();
    assert!(out.unreadable.is_empty(), "{:?}", out.unreadable);
    valid(&out.records[0].event, "lowcoder")
}

#[test]
fn every_event_of_the_seed_catalogue_has_an_action() {
    let labels = labels();
    assert_eq!(labels.len(), 31);
    for label in &labels {
        let e = one(json!({"eventId": "e", "eventType": label, "userId": "u1"}));
        assert!(
            !e.action.starts_with("lowcoder."),
            "{label} -> {}",
            e.action
        );
        assert_eq!(e.metadata["event_type"], json!(label));
    }
    let got = |label: &str| {
        let e = one(json!({"eventType": label, "userId": "u1"}));
        (e.action, e.category)
    };
    assert_eq!(got("Sign in"), ("user.sign_in".into(), Category::Auth));
    assert_eq!(got("Logout"), ("user.logout".into(), Category::Auth));
    assert_eq!(got("View app"), ("app.view".into(), Category::Read));
    assert_eq!(
        got("Move app to folder"),
        ("app.move".into(), Category::Update)
    );
    assert_eq!(
        got("Move app to Trash"),
        ("app.move_to_trash".into(), Category::Update)
    );
    assert_eq!(
        got("Execute data query"),
        ("query.execute".into(), Category::Execute)
    );
    assert_eq!(
        got("Add group member"),
        ("group.add_member".into(), Category::Permission)
    );
    assert_eq!(
        got("Leave user group"),
        ("group.leave".into(), Category::Permission)
    );
    assert_eq!(
        got("Server startup"),
        ("server.startup".into(), Category::System)
    );
    assert_eq!(
        got("Grant permission"),
        ("datasource.grant_permission".into(), Category::Permission)
    );
    assert_eq!(
        got("Delete permission"),
        ("datasource.delete_permission".into(), Category::Permission)
    );
    assert_eq!(
        got("Publish library query"),
        ("library_query.publish".into(), Category::Update)
    );
}

#[test]
fn the_seed_field_list_by_its_display_names() {
    let e = one(json!({
        "Event ID": "66f1c0de0001", "Event Time": "2024-09-23T18:04:11.120Z", "Event Type": "Update app",
        "User ID": "1834093829349376000", "Organization ID": "org-prod", "Application ID": "app-42",
        "Details": {"oldName": "Sales", "newName": "Sales v2"},
        "Geolocation": {"location": {"time_zone": "Europe/Berlin"}},
        "User Agent Data": {"name": "Chrome", "deviceClass": "Desktop", "osName": "Mac OS X"}
    }));
    assert_eq!(e.action, "app.update");
    assert_eq!(e.occurred_at, "2024-09-23T18:04:11.120Z");
    assert_eq!(e.actor.id, "1834093829349376000");
    assert_eq!(e.scope.organization.as_deref(), Some("org-prod"));
    assert_eq!(e.scope.app.as_deref(), Some("app-42"));
    let changes = e.changes.unwrap();
    assert_eq!(changes.before, Some(json!({"name": "Sales"})));
    assert_eq!(changes.after, Some(json!({"name": "Sales v2"})));
    let payload = e.payload.unwrap();
    assert_eq!(payload["user_agent_data"]["deviceClass"], json!("Desktop"));
    assert_eq!(
        payload["geolocation"]["location"]["time_zone"],
        json!("Europe/Berlin")
    );
    assert_eq!(e.idempotency_key.as_deref(), Some("lowcoder:66f1c0de0001"));
}

#[test]
fn lowcoders_api_page_with_constants() {
    let body = r#"{"code": 1, "message": "", "success": true, "total": 3, "data": [
  {"eventId": "a1", "eventType": "APPLICATION_RECYCLED", "eventTime": 1727114651120, "environmentId": "env-staging",
   "orgId": "org1", "userId": "u1", "userName": "Raheel", "appId": "app1", "folderId": "f1",
   "details": "{\"applicationName\": \"Orders\", \"folderId\": \"f1\", \"folderName\": \"Ops\"}",
   "ipAddress": "203.0.113.9", "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"},
  {"eventId": "a2", "eventType": "SERVER_START_UP", "eventTime": "2024-09-23T18:00:00Z", "environmentId": "env-staging"},
  {"eventId": "a3", "eventType": "DATA_SOURCE_PERMISSION_GRANT", "userId": "u1", "orgId": "org1",
   "details": {"datasourceId": "ds9", "datasourceName": "Postgres prod", "groupId": "g2", "groupName": "analysts",
               "before": null, "after": {"role": "viewer"}}},
  {"eventType": "SOMETHING_NEW", "user": {"id": "u5", "name": "Ana", "email": "ana@corp.example"}},
  {"userId": "u6"},
  {"eventId": "a4", "eventType": "VIEW", "userId": "u6", "eventTime": "not a time"}
]}"#;
    let out = adapt(body).unwrap();
    assert_eq!(
        out.records.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![2, 6, 7, 10]
    );
    let e = valid(&out.records[0].event, "lowcoder");
    assert_eq!(e.action, "app.move_to_trash");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.occurred_at, "2024-09-23T18:04:11.120Z");
    assert_eq!(e.actor.name.as_deref(), Some("Raheel"));
    assert_eq!(e.scope.environment.as_deref(), Some("env-staging"));
    assert_eq!(e.scope.workspace.as_deref(), Some("org1"));
    assert_eq!(e.scope.folder.as_deref(), Some("f1"));
    let targets: Vec<(&str, &str, Option<&str>)> = e
        .targets
        .iter()
        .map(|t| (t.kind.as_str(), t.id.as_str(), t.name.as_deref()))
        .collect();
    assert_eq!(
        targets,
        vec![
            ("app", "app1", Some("Orders")),
            ("folder", "f1", Some("Ops"))
        ]
    );
    assert_eq!(e.context.ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(e.payload.unwrap()["details"]["folderName"], json!("Ops"));
    let e = valid(&out.records[1].event, "lowcoder");
    assert_eq!(e.action, "server.startup");
    assert_eq!(e.actor.kind, ActorType::System);
    assert_eq!(e.actor.id, "lowcoder");
    let e = valid(&out.records[2].event, "lowcoder");
    assert_eq!(e.action, "datasource.grant_permission");
    assert_eq!(
        e.targets
            .iter()
            .map(|t| t.kind.as_str())
            .collect::<Vec<_>>(),
        vec!["group", "datasource"]
    );
    assert_eq!(e.changes.unwrap().after, Some(json!({"role": "viewer"})));
    let e = valid(&out.records[3].event, "lowcoder");
    assert_eq!(e.action, "lowcoder.something_new");
    assert_eq!(e.category, Category::Other);
    assert_eq!(e.actor.email.as_deref(), Some("ana@corp.example"));
    assert!(e.idempotency_key.unwrap().starts_with("lowcoder#"));
    let problems: Vec<(usize, &str)> = out
        .unreadable
        .iter()
        .map(|p| (p.line, p.reason.as_str()))
        .collect();
    assert_eq!(
        problems,
        vec![
            (11, "event has no `eventType`"),
            (
                12,
                "`eventTime`: `not a time` is not a timestamp like `2024-06-12T14:30:22Z`"
            ),
        ]
    );
}

#[test]
fn camel_case_constants_and_ndjson() {
    assert_eq!(
        action_of("applicationPermissionChange"),
        ("app.change_permission".into(), Some("permission"))
    );
    let body =
        "{\"eventType\": \"USER_LOGIN\", \"userId\": \"u1\", \"eventId\": \"x\"}\nnot json\n";
    let out = adapt(body).unwrap();
    assert_eq!(out.records.len(), 1);
    assert_eq!(out.unreadable[0].line, 2);
    assert!(
        out.unreadable[0]
            .reason
            .starts_with("malformed JSON at column 2: expected ident"),
        "{:?}",
        out.unreadable
    );
}

/// An address that is no IP is kept in metadata, not dropped.
#[test]
fn an_address_that_is_no_ip_is_kept() {
    let body = r#"[{"eventType": "APPLICATION_VIEW", "userId": "u1", "eventTime": "2024-06-12T14:30:22Z", "ipAddress": "/10.0.0.1:5432"},
                   {"eventType": "APPLICATION_VIEW", "userId": "u1", "eventTime": "2024-06-12T14:30:22Z", "ipAddress": "10.0.0.1"}]"#;
    let out = adapt(body).unwrap();
    assert_eq!(out.records.len(), 2, "{out:?}");
    let kept = valid(&out.records[0].event, "lowcoder");
    assert_eq!(kept.context.ip, None);
    assert_eq!(kept.metadata["ip_address"], "/10.0.0.1:5432");
    let read = valid(&out.records[1].event, "lowcoder");
    assert_eq!(read.context.ip.as_deref(), Some("10.0.0.1"));
    assert!(!read.metadata.contains_key("ip_address"));
}

/// `createTime` is the event's time, RFC 3339 or epoch milliseconds, and fields no mapping reads are
/// kept: scalars in metadata while it can hold them, the rest in the payload.
#[test]
fn a_second_name_of_a_field_is_kept_not_dropped() {
    let e = one(json!({
        "eventType": "APPLICATION_VIEW", "type": "folder", "userId": "u1",
        "eventTime": "2024-06-12T14:30:22Z", "createTime": "2023-01-01T00:00:00Z",
        "eventId": "e1", "id": "7"
    }));
    assert_eq!(
        e.occurred_at, "2024-06-12T14:30:22.000Z",
        "the first name is read"
    );
    assert_eq!(e.metadata["type"], json!("folder"));
    assert_eq!(e.metadata["createTime"], json!("2023-01-01T00:00:00Z"));
    assert_eq!(e.metadata["id"], json!("7"));
    assert!(
        !e.metadata.contains_key("eventTime"),
        "what was read is not kept twice"
    );
    assert!(!e.metadata.contains_key("eventId"));
}

#[test]
fn create_time_and_unmapped_fields_are_kept() {
    let e = one(
        json!({"eventType": "APPLICATION_VIEW", "userId": "u1", "createTime": "2024-06-12T14:30:22Z"}),
    );
    assert_eq!(e.occurred_at, "2024-06-12T14:30:22.000Z");
    let e = one(
        json!({"eventType": "APPLICATION_VIEW", "userId": "u1", "createTime": 1718202622000_i64}),
    );
    assert_eq!(e.occurred_at, "2024-06-12T14:30:22.000Z");

    let mut record = json!({
        "eventType": "APPLICATION_VIEW", "userId": "u1", "createTime": "2024-06-12T14:30:22Z",
        "orgName": "Acme", "deploymentId": "dep-7", "orgId": "o1",
        "organization": {"id": "o1", "name": "Acme Corp", "plan": "enterprise"},
        "user": {"id": "u1", "name": "Ann", "role": "admin"},
        "tags": ["prod"], "appId": {"id": "a1"}, "note": "", " ": "blank name",
        "a_field_name_longer_than_forty_characters_x": "kept"
    });
    let e = one(record.clone());
    assert_eq!(e.metadata["orgName"], json!("Acme"));
    assert_eq!(e.metadata["deploymentId"], json!("dep-7"));
    assert_eq!(e.actor.name.as_deref(), Some("Ann"));
    assert_eq!(e.scope.organization.as_deref(), Some("o1"));
    let payload = e.payload.unwrap();
    assert_eq!(
        payload["organization"],
        json!({"name": "Acme Corp", "plan": "enterprise"})
    );
    assert_eq!(payload["user"], json!({"role": "admin"}));
    assert_eq!(payload["tags"], json!(["prod"]));
    assert_eq!(payload["appId"], json!({"id": "a1"}));
    assert_eq!(payload["note"], json!(""));
    assert_eq!(payload[" "], json!("blank name"));
    assert_eq!(
        payload["a_field_name_longer_than_forty_characters_x"],
        json!("kept")
    );

    // Past metadata's 50 keys, the rest go to the payload: the event still passes validation.
    for i in 0..60 {
        record[format!("extra{i}")] = json!(i);
    }
    let e = one(record);
    assert_eq!(e.metadata.len(), 50);
    assert_eq!(e.metadata["event_type"], json!("APPLICATION_VIEW"));
    let payload = e.payload.unwrap();
    let kept = (0..60)
        .map(|i| format!("extra{i}"))
        .filter(|key| e.metadata.contains_key(key) || payload.get(key).is_some())
        .count();
    assert_eq!(kept, 60);
    for key in ["orgName", "deploymentId"] {
        assert!(
            e.metadata.contains_key(key) || payload.get(key).is_some(),
            "{key}"
        );
    }
}
