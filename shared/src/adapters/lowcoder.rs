//! Lowcoder audit events (seeds/004): Event ID, Event Time, Event Type, User ID, Organization ID,
//! Application ID, Details, environment, geolocation and user agent data. Field names are read in
//! Lowcoder's camelCase (`eventId`, `eventTime`, `eventType`, `userId`, `orgId`, `appId`, `environmentId`,
//! `details`, `ipAddress`, `userAgent`, `geolocationData`, `userAgentData`), snake_case, and the seed's
//! display names (`Event ID`, `Event Time`, `Event Type`, `User ID`, ...); `user`,
//! `organization` and `application` may also be objects `{id, name, email}`. The body is a JSON array,
//! NDJSON, one event, or a wrapper `{"data": [...]}` as Lowcoder's API answers.
//!
//! `eventType` may be Lowcoder's constant (`APPLICATION_RECYCLED`) or the catalogue's label
//! (`Move app to Trash`). Mapping (category from the verb unless given):
//!
//! | Lowcoder | action | category |
//! |---|---|---|
//! | `USER_LOGIN` Sign in / `USER_LOGOUT` Logout | `user.sign_in` / `user.logout` | auth |
//! | `VIEW`, `APPLICATION_VIEW` View app | `app.view` | read |
//! | `APPLICATION_CREATE` / `_UPDATE` / `_DELETE` | `app.create` / `app.update` / `app.delete` | |
//! | `APPLICATION_MOVE` Move app to folder | `app.move` | update |
//! | `APPLICATION_RECYCLED` Move app to Trash / `APPLICATION_RESTORE` | `app.move_to_trash` / `app.restore` | update |
//! | `APPLICATION_PUBLISH` / `_VERSION_CHANGE` | `app.publish` / `app.change_version` | update |
//! | `APPLICATION_SHARING_CHANGE` / `_PERMISSION_CHANGE` | `app.change_sharing` / `app.change_permission` | permission |
//! | `FOLDER_CREATE` / `_UPDATE` / `_DELETE` | `folder.<verb>` | |
//! | `QUERY_EXECUTION` Execute data query | `query.execute` | execute |
//! | `GROUP_CREATE` / `_UPDATE` / `_DELETE` | `group.<verb>` | |
//! | `GROUP_MEMBER_ADD` / `_REMOVE` / `_ROLE_UPDATE` / `_LEAVE` | `group.add_member` / `group.remove_member` / `group.update_member_role` / `group.leave` | permission |
//! | `SERVER_START_UP` Server startup / `SERVER_INFO` | `server.startup` / `server.view_info` | system / read |
//! | `DATA_SOURCE_CREATE` / `_UPDATE` / `_DELETE` | `datasource.<verb>` | |
//! | `DATA_SOURCE_PERMISSION_GRANT` / `_UPDATE` / `_DELETE` | `datasource.grant_permission` / `datasource.update_permission` / `datasource.delete_permission` | permission |
//! | `LIBRARY_QUERY_CREATE` / `_UPDATE` / `_DELETE` / `_PUBLISH` | `library_query.<verb>` | |
//! | `API_CALL_EVENT` | `api.call` | other |
//! | anything else | `lowcoder.<snake_case type>` | other |
//!
//! Other fields: `userId` (+ `userName`, `userEmail`) -> actor `user` (none: `system` `lowcoder` for server
//! events, else `anonymous`); `orgId` -> `scope.organization` and `scope.workspace` (Lowcoder's UI calls an
//! organization a workspace); `appId` -> `scope.app` and a target `app`; `folderId` -> `scope.folder`;
//! `environmentId` -> `scope.environment`; ids in `details` (`groupId`, `datasourceId`, `libraryQueryId`,
//! `queryId`, `folderId`, `memberId`, with their names) -> targets; `oldX`/`newX` pairs and
//! `before`/`after` in `details` -> `changes`; `details`, `geolocationData`, `userAgentData` -> `payload`;
//! `ipAddress` (kept in `metadata.ip_address` when it is no IP), `userAgent` -> `context`;
//! `eventTime` -> `occurred_at`; `eventId` -> `idempotency_key`
//! `lowcoder:<id>`; `outcome` = `success` (Lowcoder records an operation after it succeeded); the raw
//! type -> `metadata.event_type`.

use serde_json::{Map, Value};

use super::common::{
    self, actor, field, json_records, maybe_json, normalize_time, raw_field, set, set_obj, source,
    target, DerivedKeys, Meta,
};
use super::{AdaptError, Adapted};

const EXPECTED: &str =
    "Lowcoder audit events are a JSON array of events, NDJSON, one event, or {\"data\": [...]}";

/// (constant, catalogue label, action, category when the verb does not say it).
pub(super) const EVENT_TYPES: &[(&str, &str, &str, Option<&str>)] = &[
    ("USER_LOGIN", "Sign in", "user.sign_in", None),
    ("USER_LOGOUT", "Logout", "user.logout", None),
    ("VIEW", "", "app.view", None),
    ("APPLICATION_VIEW", "View app", "app.view", None),
    ("APPLICATION_CREATE", "Create new app", "app.create", None),
    ("APPLICATION_UPDATE", "Update app", "app.update", None),
    ("APPLICATION_DELETE", "Delete app", "app.delete", None),
    ("APPLICATION_MOVE", "Move app to folder", "app.move", None),
    (
        "APPLICATION_RECYCLED",
        "Move app to Trash",
        "app.move_to_trash",
        None,
    ),
    ("APPLICATION_RESTORE", "Restore app", "app.restore", None),
    ("APPLICATION_PUBLISH", "", "app.publish", None),
    ("APPLICATION_VERSION_CHANGE", "", "app.change_version", None),
    (
        "APPLICATION_SHARING_CHANGE",
        "",
        "app.change_sharing",
        Some("permission"),
    ),
    (
        "APPLICATION_PERMISSION_CHANGE",
        "",
        "app.change_permission",
        Some("permission"),
    ),
    ("FOLDER_CREATE", "Create new folder", "folder.create", None),
    ("FOLDER_UPDATE", "Update folder", "folder.update", None),
    ("FOLDER_DELETE", "Delete folder", "folder.delete", None),
    (
        "QUERY_EXECUTION",
        "Execute data query",
        "query.execute",
        None,
    ),
    ("GROUP_CREATE", "Create user group", "group.create", None),
    ("GROUP_UPDATE", "Update user group", "group.update", None),
    ("GROUP_DELETE", "Delete user group", "group.delete", None),
    (
        "GROUP_MEMBER_ADD",
        "Add group member",
        "group.add_member",
        Some("permission"),
    ),
    (
        "GROUP_MEMBER_REMOVE",
        "Remove group member",
        "group.remove_member",
        Some("permission"),
    ),
    (
        "GROUP_MEMBER_ROLE_UPDATE",
        "Update member role",
        "group.update_member_role",
        Some("permission"),
    ),
    (
        "GROUP_MEMBER_LEAVE",
        "Leave user group",
        "group.leave",
        Some("permission"),
    ),
    ("SERVER_START_UP", "Server startup", "server.startup", None),
    ("SERVER_INFO", "", "server.view_info", None),
    (
        "DATA_SOURCE_CREATE",
        "Create data source",
        "datasource.create",
        None,
    ),
    (
        "DATA_SOURCE_UPDATE",
        "Update data source",
        "datasource.update",
        None,
    ),
    (
        "DATA_SOURCE_DELETE",
        "Delete data source",
        "datasource.delete",
        None,
    ),
    (
        "DATA_SOURCE_PERMISSION_GRANT",
        "Grant permission",
        "datasource.grant_permission",
        None,
    ),
    (
        "DATA_SOURCE_PERMISSION_UPDATE",
        "Update permission",
        "datasource.update_permission",
        Some("permission"),
    ),
    (
        "DATA_SOURCE_PERMISSION_DELETE",
        "Delete permission",
        "datasource.delete_permission",
        Some("permission"),
    ),
    (
        "LIBRARY_QUERY_CREATE",
        "Create library query",
        "library_query.create",
        None,
    ),
    (
        "LIBRARY_QUERY_UPDATE",
        "Update library query",
        "library_query.update",
        None,
    ),
    (
        "LIBRARY_QUERY_DELETE",
        "Delete library query",
        "library_query.delete",
        None,
    ),
    (
        "LIBRARY_QUERY_PUBLISH",
        "Publish library query",
        "library_query.publish",
        None,
    ),
    ("API_CALL_EVENT", "", "api.call", None),
];

/// (id key in `details`, name key, target type).
const DETAIL_TARGETS: &[(&str, &str, &str)] = &[
    ("folderId", "folderName", "folder"),
    ("groupId", "groupName", "group"),
    ("datasourceId", "datasourceName", "datasource"),
    ("libraryQueryId", "libraryQueryName", "library_query"),
    ("queryId", "queryName", "query"),
    ("memberId", "memberName", "user"),
    ("targetUserId", "targetUserName", "user"),
];

pub(super) fn adapt(body: &str) -> Result<Adapted, AdaptError> {
    let mut out = Adapted::default();
    let mut keys = DerivedKeys::default();
    for (line, item) in json_records(
        body,
        &["data", "events", "auditLogs"],
        &["eventType", "event_type", "type", "Event Type"],
        EXPECTED,
    )? {
        match item {
            Ok(Value::Object(record)) => match event(&record, &mut keys) {
                Ok(ev) => out.record(line, ev),
                Err(reason) => out.unreadable(line, reason),
            },
            Ok(_) => out.unreadable(line, "a Lowcoder audit event must be a JSON object"),
            Err(reason) => out.unreadable(line, reason),
        }
    }
    Ok(out)
}

/// The action and explicit category for an event type, constant or label.
pub(super) fn action_of(kind: &str) -> (String, Option<&'static str>) {
    let constant = common::snake(kind).to_ascii_uppercase();
    let label = kind.split_whitespace().collect::<Vec<_>>().join(" ");
    EVENT_TYPES
        .iter()
        .find(|(c, l, _, _)| *c == constant || (!l.is_empty() && l.eq_ignore_ascii_case(&label)))
        .map(|(_, _, action, category)| (action.to_string(), *category))
        .unwrap_or_else(|| (common::action("lowcoder", kind), None))
}

fn event(r: &Map<String, Value>, keys: &mut DerivedKeys) -> Result<Map<String, Value>, String> {
    let kind = field(r, &["eventType", "event_type", "type", "Event Type"])
        .ok_or("event has no `eventType`")?;
    let mut ev = Map::new();
    let (action, category) = action_of(&kind);
    ev.insert("action".into(), action.into());
    if let Some(category) = category {
        ev.insert("category".into(), category.into());
    }
    ev.insert("outcome".into(), "success".into());
    if let Some(t) = raw_field(
        r,
        &[
            "eventTime",
            "event_time",
            "time",
            "timestamp",
            "createdAt",
            "Event Time",
        ],
    ) {
        let at = normalize_time(t).map_err(|e| format!("`eventTime`: {e}"))?;
        ev.insert("occurred_at".into(), at.into());
    }

    let (user_id, user_name, user_mail) = entity(r, &["userId", "user_id", "User ID"], "user");
    let user_name = user_name.or_else(|| field(r, &["userName", "user_name"]));
    let user_mail = user_mail.or_else(|| field(r, &["userEmail", "user_email", "email"]));
    let who = match user_id.or_else(|| user_mail.clone()) {
        Some(id) => actor("user", &id, user_name, user_mail),
        None if kind.to_ascii_uppercase().starts_with("SERVER") => {
            actor("system", "lowcoder", None, None)
        }
        None => actor("anonymous", "anonymous", None, None),
    };
    ev.insert("actor".into(), who);

    let details = raw_field(r, &["details", "detail", "Details"]).map(maybe_json);
    let empty = Map::new();
    let d = details
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let (org, _, _) = entity(
        r,
        &["orgId", "org_id", "organizationId", "Organization ID"],
        "organization",
    );
    let (app, app_name, _) = entity(
        r,
        &["appId", "app_id", "applicationId", "Application ID"],
        "application",
    );
    let app_name = app_name
        .or_else(|| field(r, &["appName", "applicationName"]))
        .or_else(|| field(d, &["applicationName", "appName"]));
    let mut scope = Map::new();
    set(&mut scope, "organization", org.clone());
    set(&mut scope, "workspace", org);
    set(&mut scope, "app", app.clone());
    set(&mut scope, "folder", field(r, &["folderId", "folder_id"]));
    set(
        &mut scope,
        "environment",
        field(
            r,
            &["environmentId", "environment_id", "environment", "env"],
        ),
    );
    set_obj(&mut ev, "scope", scope);

    let mut targets = Vec::new();
    if let Some(app) = &app {
        targets.push(target("app", app, app_name));
    }
    for (id_key, name_key, kind) in DETAIL_TARGETS {
        if let Some(id) = field(d, &[id_key]) {
            targets.push(target(kind, &id, field(d, &[name_key])));
        }
    }
    if !targets.is_empty() {
        ev.insert("targets".into(), Value::Array(targets));
    }
    set_obj(&mut ev, "changes", changes(d));

    let mut context = Map::new();
    // An address that is no IP (`/10.0.0.1:5432`) is kept in metadata, as the other adapters do.
    let address = field(r, &["ipAddress", "ip_address", "ip", "clientIp"]);
    let unparsed_address = match address.as_deref().map(|a| (a, common::ip(a))) {
        Some((_, Some(ip))) => {
            context.insert("ip".into(), ip.into());
            None
        }
        Some((text, None)) => Some(text.to_string()),
        None => None,
    };
    set(
        &mut context,
        "user_agent",
        field(r, &["userAgent", "user_agent"]),
    );
    set_obj(&mut ev, "context", context);

    let mut payload = Map::new();
    if let Some(details) = details {
        payload.insert("details".into(), details);
    }
    for (keys_in, key_out) in [
        (
            &[
                "geolocationData",
                "geolocation",
                "geoLocation",
                "geo",
                "Geolocation",
            ][..],
            "geolocation",
        ),
        (
            &["userAgentData", "user_agent_data", "User Agent Data"][..],
            "user_agent_data",
        ),
    ] {
        if let Some(v) = raw_field(r, keys_in) {
            payload.insert(key_out.into(), maybe_json(v));
        }
    }
    set_obj(&mut ev, "payload", payload);

    let mut meta = Meta::default();
    meta.put("event_type", kind);
    meta.put_opt("ip_address", unparsed_address);
    meta.into_event(&mut ev);
    ev.insert(
        "source".into(),
        source("lowcoder", field(r, &["deploymentVersion", "version"])),
    );
    let key = match field(r, &["eventId", "event_id", "id", "Event ID"]) {
        Some(id) => format!("lowcoder:{id}"),
        None => keys.key("lowcoder", &Value::Object(r.clone()).to_string()),
    };
    ev.insert("idempotency_key".into(), key.into());
    Ok(ev)
}

/// (id, name, e-mail) of an entity given as an id field or as an object under `object_key`.
fn entity(
    r: &Map<String, Value>,
    id_keys: &[&str],
    object_key: &str,
) -> (Option<String>, Option<String>, Option<String>) {
    match r.get(object_key) {
        Some(Value::Object(o)) => (
            field(o, &["id"]).or_else(|| field(r, id_keys)),
            field(o, &["name"]),
            field(o, &["email"]),
        ),
        Some(v @ Value::String(_)) if field(r, id_keys).is_none() => {
            (common::text(Some(v)), None, None)
        }
        _ => (field(r, id_keys), None, None),
    }
}

/// `before`/`after` from `details`: its own `before`/`after`, and each `oldX`/`newX` pair as `x`.
fn changes(details: &Map<String, Value>) -> Map<String, Value> {
    let mut before = Map::new();
    let mut after = Map::new();
    for (key, value) in details {
        let Some(name) = key.strip_prefix("old") else {
            continue;
        };
        let Some(new) = details.get(&format!("new{name}")) else {
            continue;
        };
        let mut chars = name.chars();
        let Some(first) = chars.next() else {
            continue;
        };
        let name = format!("{}{}", first.to_ascii_lowercase(), chars.as_str());
        before.insert(name.clone(), value.clone());
        after.insert(name, new.clone());
    }
    let mut out = Map::new();
    match details.get("before").filter(|v| !v.is_null()) {
        Some(v) => out.insert("before".into(), maybe_json(v)),
        None if !before.is_empty() => out.insert("before".into(), Value::Object(before)),
        None => None,
    };
    match details.get("after").filter(|v| !v.is_null()) {
        Some(v) => out.insert("after".into(), maybe_json(v)),
        None if !after.is_empty() => out.insert("after".into(), Value::Object(after)),
        None => None,
    };
    out
}

#[cfg(test)]
#[path = "lowcoder_tests.rs"]
mod tests;
