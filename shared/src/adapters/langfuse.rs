//! Langfuse audit log records (seeds/002), as its audit log table, API or an export holds them: `id`,
//! `createdAt`, `type` (`USER` or `API_KEY`), `userId`, `apiKeyId`, `orgId`, `userOrgRole`, `projectId`,
//! `userProjectRole`, `resourceType`, `resourceId`, `action`, `before`, `after`. The database's snake_case
//! column names (`resource_type`, `created_at`, ...) are read as well. The body is a JSON array, NDJSON,
//! one record, or a wrapper `{"data": [...]}` as Langfuse's API pages return.
//!
//! Mapping:
//! - `action` = `<resourceType>.<action>`, both in snake case: `prompt` + `setLabel` -> `prompt.set_label`,
//!   `annotationQueueItem` + `complete` -> `annotation_queue_item.complete`, `apiKey` + `create` ->
//!   `api_key.create` (display names such as `Annotation Queue Item` give the same). The category follows
//!   from the verb, except that every action on a membership (`orgMembership`, `projectMembership`,
//!   `membership`, `membershipInvitation`) is category `permission`: it grants or changes access.
//! - `type` `USER` -> actor `{type: user, id: userId}`; `API_KEY` -> `{type: api_key, id: apiKeyId}`; with no
//!   `type`, whichever id is present. Roles at the time -> `actor.roles` as `org:<userOrgRole>` and
//!   `project:<userProjectRole>`, and `metadata.user_org_role` / `user_project_role` for filtering.
//! - `resourceType`/`resourceId` -> `targets[0]` (`type` in snake case); `orgId` -> `scope.organization`,
//!   `projectId` -> `scope.project`.
//! - `before`/`after` -> `changes.before`/`changes.after`, parsed when they are JSON strings (as Langfuse
//!   stores them); a string that is not JSON is kept as the string.
//! - `createdAt` -> `occurred_at`; `id` -> `idempotency_key` `langfuse:<id>`; `outcome` = `success`, since
//!   Langfuse records an action once it is done.

use serde_json::{Map, Value};

use super::common::{
    self, actor, field, json_records, maybe_json, normalize_time, raw_field, set_obj, source,
    target, Meta,
};
use super::{AdaptError, Adapted};

const EXPECTED: &str =
    "Langfuse audit logs are a JSON array of records, NDJSON, one record, or {\"data\": [...]}";

pub(super) fn adapt(body: &str) -> Result<Adapted, AdaptError> {
    let mut out = Adapted::default();
    for (line, item) in json_records(
        body,
        &["data", "auditLogs", "records"],
        &["action", "resourceType", "resource_type"],
        EXPECTED,
    )? {
        match item {
            Ok(Value::Object(record)) => match event(&record) {
                Ok(ev) => out.record(line, ev),
                Err(reason) => out.unreadable(line, reason),
            },
            Ok(_) => out.unreadable(line, "an audit log record must be a JSON object"),
            Err(reason) => out.unreadable(line, reason),
        }
    }
    Ok(out)
}

fn event(r: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let resource_type =
        field(r, &["resourceType", "resource_type"]).ok_or("record has no `resourceType`")?;
    let verb = field(r, &["action"]).ok_or("record has no `action`")?;
    let mut ev = Map::new();
    let resource = common::snake(&resource_type);
    ev.insert("action".into(), common::action(&resource, &verb).into());
    if resource.contains("membership") {
        ev.insert("category".into(), "permission".into());
    }
    ev.insert("outcome".into(), "success".into());
    if let Some(at) = raw_field(r, &["createdAt", "created_at"]) {
        let at = normalize_time(at).map_err(|e| format!("`createdAt`: {e}"))?;
        ev.insert("occurred_at".into(), at.into());
    }

    let user_id = field(r, &["userId", "user_id"]);
    let key_id = field(r, &["apiKeyId", "api_key_id"]);
    let org_role = field(r, &["userOrgRole", "user_org_role"]);
    let project_role = field(r, &["userProjectRole", "user_project_role"]);
    let kind = field(r, &["type"]).map(|t| t.to_ascii_uppercase());
    let (kind, id) = match (kind.as_deref(), &user_id, &key_id) {
        (Some("API_KEY"), _, Some(key)) => ("api_key", key.clone()),
        (Some("API_KEY"), _, None) => return Err("record of type API_KEY has no `apiKeyId`".into()),
        (Some("USER"), Some(user), _) => ("user", user.clone()),
        (Some("USER"), None, _) => return Err("record of type USER has no `userId`".into()),
        (_, Some(user), _) => ("user", user.clone()),
        (_, None, Some(key)) => ("api_key", key.clone()),
        (_, None, None) => return Err("record has neither `userId` nor `apiKeyId`".into()),
    };
    let mut who = actor(kind, &id, None, None);
    let roles: Vec<Value> = [("org", &org_role), ("project", &project_role)]
        .into_iter()
        .filter_map(|(scope, role)| role.as_ref().map(|r| Value::from(format!("{scope}:{r}"))))
        .collect();
    if !roles.is_empty() {
        who["roles"] = Value::Array(roles);
    }
    ev.insert("actor".into(), who);

    if let Some(resource_id) = field(r, &["resourceId", "resource_id"]) {
        ev.insert(
            "targets".into(),
            Value::Array(vec![target(&resource, &resource_id, None)]),
        );
    }
    let mut scope = Map::new();
    common::set(&mut scope, "organization", field(r, &["orgId", "org_id"]));
    common::set(
        &mut scope,
        "project",
        field(r, &["projectId", "project_id"]),
    );
    set_obj(&mut ev, "scope", scope);

    let mut changes = Map::new();
    for side in ["before", "after"] {
        if let Some(value) = r.get(side).map(maybe_json).filter(|v| !v.is_null()) {
            changes.insert(side.into(), value);
        }
    }
    set_obj(&mut ev, "changes", changes);

    let mut meta = Meta::default();
    meta.put("resource_type", resource_type);
    meta.put_opt("user_org_role", org_role);
    meta.put_opt("user_project_role", project_role);
    if kind == "user" {
        meta.put_opt("api_key_id", key_id);
    }
    meta.into_event(&mut ev);
    ev.insert("source".into(), source("langfuse", None));
    if let Some(id) = field(r, &["id"]) {
        ev.insert("idempotency_key".into(), format!("langfuse:{id}").into());
    }
    Ok(ev)
}

#[cfg(test)]
#[path = "langfuse_tests.rs"]
mod tests;
