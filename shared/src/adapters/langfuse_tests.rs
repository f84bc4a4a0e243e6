//! Tests of the Langfuse adapter. seeds/002 holds no record, only the table of audited resources and
//! actions: every row of it, verbatim, goes through the adapter; the records themselves follow the
//! fields the seed lists (and Langfuse's `audit_logs` table).

use serde_json::json;

use super::*;
use crate::adapters::common::testing::valid;
use crate::event::{ActorType, Category, Outcome};

/// "Auditable Resources" of seeds/002, verbatim (the page glues each resource to its first action).
const TABLE: &str = "Annotation Queuecreate, delete, update\n\
Annotation Queue Itemcomplete, create, delete\n\
API Keycreate, delete, update\n\
Batch Actioncreate, delete\n\
Batch Exportcreate\n\
Blob Storage Integrationupdate\n\
Commentcreate, delete\n\
Datasetcreate, delete, update\n\
Dataset Itemcreate, delete, update\n\
Dataset Rundelete\n\
Evaluation Templatecreate\n\
Jobcreate, delete, update\n\
LLM API Keycreate, delete\n\
Membershipcreate, delete\n\
Membership Invitationcreate, delete\n\
Modelcreate, delete, update\n\
Organizationcreate, delete, update\n\
Organization Membershipcreate, delete, update\n\
PostHog Integrationdelete, update\n\
Projectcreate, delete, transfer, update\n\
Project Membershipcreate, delete, update\n\
Promptcreate, delete, promote, setLabel, update, updateTags\n\
Prompt Protected Labelcreate\n\
Scorecreate, delete, update\n\
Score Configcreate, update\n\
Sessionbookmark, publish\n\
Stripe Checkout Sessioncreate\n\
Tracebookmark, delete, publish, updateTags";

const VERBS: &[&str] = &[
    "create",
    "delete",
    "update",
    "complete",
    "transfer",
    "bookmark",
    "publish",
    "promote",
    "setLabel",
    "updateTags",
];

/// (resource display name, action) for every cell of the table.
fn table() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for row in TABLE.lines() {
        let mut actions = row.split(", ");
        let head = actions.next().unwrap();
        let first = VERBS
            .iter()
            .filter(|v| head.ends_with(*v))
            .max_by_key(|v| v.len())
            .unwrap();
        let resource = &head[..head.len() - first.len()];
        out.push((resource.to_string(), first.to_string()));
        out.extend(actions.map(|a| (resource.to_string(), a.to_string())));
    }
    out
}

fn record(resource_type: &str, action: &str) -> Value {
    json!({
        "id": format!("al_{resource_type}_{action}"), "createdAt": "2025-03-04T10:11:12.345Z",
        "type": "USER", "userId": "user_1", "orgId": "org_1", "userOrgRole": "OWNER",
        "projectId": "proj_1", "userProjectRole": "ADMIN",
        "resourceType": resource_type, "resourceId": "res_1", "action": action
    })
}

#[test]
fn every_resource_and_action_of_the_seed_table_maps() {
    let cells = table();
    assert_eq!(cells.len(), 69);
    let body = Value::Array(cells.iter().map(|(r, a)| record(r, a)).collect()).to_string();
    let out = adapt(&body).unwrap();
    assert!(out.unreadable.is_empty(), "{:?}", out.unreadable);
    let actions: Vec<String> = out
        .records
        .iter()
        .map(|r| valid(&r.event, "langfuse").action)
        .collect();
    for want in [
        "annotation_queue.create",
        "annotation_queue_item.complete",
        "api_key.update",
        "llm_api_key.delete",
        "blob_storage_integration.update",
        "project.transfer",
        "prompt.set_label",
        "prompt.update_tags",
        "prompt.promote",
        "session.bookmark",
        "trace.publish",
        "organization_membership.update",
        "stripe_checkout_session.create",
    ] {
        assert!(
            actions.iter().any(|a| a == want),
            "{want} not in {actions:?}"
        );
    }
    let category = |r: &str, a: &str| {
        valid(
            &adapt(&record(r, a).to_string()).unwrap().records[0].event,
            "langfuse",
        )
        .category
    };
    assert_eq!(category("Prompt", "setLabel"), Category::Update);
    assert_eq!(category("Trace", "bookmark"), Category::Update);
    assert_eq!(category("Project", "transfer"), Category::Update);
    assert_eq!(category("Dataset Run", "delete"), Category::Delete);
    assert_eq!(
        category("projectMembership", "create"),
        Category::Permission
    );
    assert_eq!(
        category("Membership Invitation", "delete"),
        Category::Permission
    );
}

/// seeds/002's "Sessionbookmark, publish": a Langfuse session groups traces, and bookmarking or
/// publishing it is an update like the trace's own, not a sign-in.
#[test]
fn session_bookmark_and_publish_are_updates_not_sign_ins() {
    for action in ["bookmark", "publish"] {
        let e = valid(
            &adapt(&record("Session", action).to_string())
                .unwrap()
                .records[0]
                .event,
            "langfuse",
        );
        assert_eq!(e.action, format!("session.{action}"));
        assert_eq!(e.category, Category::Update, "session.{action}");
    }
}

#[test]
fn a_user_update_with_before_and_after_as_json_strings() {
    let body = json!({
        "id": "cm7x1", "createdAt": "2025-03-04T10:11:12.345Z", "updatedAt": "2025-03-04T10:11:12.345Z",
        "type": "USER", "userId": "cluser9", "orgId": "clorg1", "userOrgRole": "ADMIN",
        "projectId": "clproj1", "userProjectRole": "MEMBER",
        "resourceType": "prompt", "resourceId": "clprompt7", "action": "update",
        "before": "{\"name\":\"qa\",\"labels\":[\"staging\"],\"config\":{\"temperature\":0.2}}",
        "after": "{\"name\":\"qa\",\"labels\":[\"staging\",\"production\"],\"config\":{\"temperature\":0.7}}"
    })
    .to_string();
    let out = adapt(&body).unwrap();
    assert_eq!(out.records[0].line, 1);
    let e = valid(&out.records[0].event, "langfuse");
    assert_eq!(e.action, "prompt.update");
    assert_eq!(e.category, Category::Update);
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.occurred_at, "2025-03-04T10:11:12.345Z");
    assert_eq!(e.actor.kind, ActorType::User);
    assert_eq!(e.actor.id, "cluser9");
    assert_eq!(e.actor.roles, vec!["org:ADMIN", "project:MEMBER"]);
    assert_eq!(e.targets[0].kind, "prompt");
    assert_eq!(e.targets[0].id, "clprompt7");
    assert_eq!(e.scope.organization.as_deref(), Some("clorg1"));
    assert_eq!(e.scope.project.as_deref(), Some("clproj1"));
    let changes = e.changes.unwrap();
    assert_eq!(changes.before.unwrap()["config"]["temperature"], json!(0.2));
    assert_eq!(
        changes.after.unwrap()["labels"],
        json!(["staging", "production"])
    );
    assert_eq!(
        changes.changed_fields,
        vec!["/config/temperature", "/labels/1"]
    );
    assert_eq!(e.metadata["resource_type"], json!("prompt"));
    assert_eq!(e.metadata["user_org_role"], json!("ADMIN"));
    assert_eq!(e.idempotency_key.as_deref(), Some("langfuse:cm7x1"));
    assert_eq!(e.source.name.as_deref(), Some("langfuse"));
}

#[test]
fn api_keys_json_values_snake_case_columns_and_ndjson() {
    let body = [
        json!({"id": "a1", "createdAt": "2025-03-04T10:11:12Z", "type": "API_KEY", "apiKeyId": "pk-lf-1",
               "orgId": "o1", "projectId": "p1", "resourceType": "llmApiKey", "resourceId": "k1",
               "action": "create", "after": {"provider": "openai", "displaySecretKey": "...abcd"}}).to_string(),
        json!({"id": "a2", "created_at": "2025-03-04 10:11:13.5", "type": "USER", "user_id": "u2",
               "org_id": "o1", "user_org_role": "OWNER", "resource_type": "orgMembership", "resource_id": "m1",
               "action": "update", "before": "{\"role\":\"MEMBER\"}", "after": "{\"role\":\"ADMIN\"}"}).to_string(),
        json!({"id": "a3", "resourceType": "score", "action": "delete", "userId": "u3", "before": "not json"}).to_string(),
    ]
    .join("\n");
    let out = adapt(&body).unwrap();
    assert_eq!(out.records.len(), 3);
    let e = valid(&out.records[0].event, "langfuse");
    assert_eq!(e.actor.kind, ActorType::ApiKey);
    assert_eq!(e.actor.id, "pk-lf-1");
    assert_eq!(e.action, "llm_api_key.create");
    assert_eq!(
        e.changes.unwrap().after.unwrap()["provider"],
        json!("openai")
    );
    let e = valid(&out.records[1].event, "langfuse");
    assert_eq!(out.records[1].line, 2);
    assert_eq!(e.occurred_at, "2025-03-04T10:11:13.500Z");
    assert_eq!(e.action, "org_membership.update");
    assert_eq!(e.category, Category::Permission);
    assert_eq!(e.changes.unwrap().changed_fields, vec!["/role"]);
    let e = valid(&out.records[2].event, "langfuse");
    assert_eq!(e.changes.unwrap().before, Some(json!("not json")));
}

#[test]
fn unreadable_records_say_which_and_why() {
    let body = "[\n  {\"resourceType\": \"prompt\", \"userId\": \"u\"},\n  {\"resourceType\": \"prompt\", \"action\": \"create\"},\n  {\"resourceType\": \"prompt\", \"action\": \"create\", \"type\": \"API_KEY\", \"userId\": \"u\"},\n  {\"resourceType\": \"prompt\", \"action\": \"create\", \"userId\": \"u\", \"createdAt\": \"last week\"},\n  7\n]";
    let out = adapt(body).unwrap();
    assert!(out.records.is_empty());
    let got: Vec<(usize, &str)> = out
        .unreadable
        .iter()
        .map(|p| (p.line, p.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, "record has no `action`"),
            (3, "record has neither `userId` nor `apiKeyId`"),
            (4, "record of type API_KEY has no `apiKeyId`"),
            (
                5,
                "`createdAt`: `last week` is not a timestamp like `2024-06-12T14:30:22Z`"
            ),
            (6, "an audit log record must be a JSON object"),
        ]
    );
    let err = adapt("[{\"action\": \"create\"},\n{]").unwrap_err();
    assert!(
        matches!(
            err,
            AdaptError::Malformed {
                line: 2,
                column: 2,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn api_pages_are_unwrapped() {
    let body = "{\"data\": [\n  {\"id\": \"x\", \"resourceType\": \"trace\", \"action\": \"bookmark\", \"userId\": \"u\"}\n], \"meta\": {\"page\": 1}}";
    let out = adapt(body).unwrap();
    assert_eq!(out.records[0].line, 2);
    assert_eq!(
        valid(&out.records[0].event, "langfuse").action,
        "trace.bookmark"
    );
}
