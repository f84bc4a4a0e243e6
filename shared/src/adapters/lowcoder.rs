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
//! `eventTime` or `createTime` (RFC 3339 or epoch milliseconds) -> `occurred_at`; `eventId` ->
//! `idempotency_key` `lowcoder:<id>`; `outcome` = `success` (Lowcoder records an operation after it
//! succeeded); the raw type -> `metadata.event_type`. Nothing is dropped: other scalar fields (`orgName`,
//! `deploymentId`) -> `metadata` as named, or `payload` where metadata cannot hold them (blank or
//! over-40-character names, texts over 500 characters, past 50 keys); other objects and arrays ->
//! `payload`; what a `user`, `organization` or `application` object holds besides what is read of it
//! (an organization's `name`) -> `payload.<object>`.

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

/// Names each field is read by, in order of preference.
const EVENT_TYPE: &[&str] = &["eventType", "event_type", "type", "Event Type"];
const EVENT_TIME: &[&str] = &[
    "eventTime",
    "event_time",
    "createTime",
    "create_time",
    "time",
    "timestamp",
    "createdAt",
    "created_at",
    "Event Time",
];
const USER_ID: &[&str] = &["userId", "user_id", "User ID"];
const USER_NAME: &[&str] = &["userName", "user_name"];
const USER_EMAIL: &[&str] = &["userEmail", "user_email", "email"];
const DETAILS: &[&str] = &["details", "detail", "Details"];
const ORG_ID: &[&str] = &["orgId", "org_id", "organizationId", "Organization ID"];
const APP_ID: &[&str] = &["appId", "app_id", "applicationId", "Application ID"];
const APP_NAME: &[&str] = &["appName", "applicationName"];
const FOLDER_ID: &[&str] = &["folderId", "folder_id"];
const ENVIRONMENT: &[&str] = &["environmentId", "environment_id", "environment", "env"];
const IP_ADDRESS: &[&str] = &["ipAddress", "ip_address", "ip", "clientIp"];
const USER_AGENT: &[&str] = &["userAgent", "user_agent"];
const GEOLOCATION: &[&str] = &[
    "geolocationData",
    "geolocation",
    "geoLocation",
    "geo",
    "Geolocation",
];
const USER_AGENT_DATA: &[&str] = &["userAgentData", "user_agent_data", "User Agent Data"];
const VERSION: &[&str] = &["deploymentVersion", "version"];
const EVENT_ID: &[&str] = &["eventId", "event_id", "id", "Event ID"];
/// Objects read as entities `{id, name, email}`; what of them is not read goes to `payload`.
const ENTITIES: &[&str] = &["user", "organization", "application"];

/// Every field read as text: sent as an object or array instead, it is kept in `payload`, not dropped.
const TEXT_FIELDS: &[&[&str]] = &[
    EVENT_TYPE,
    USER_ID,
    USER_NAME,
    USER_EMAIL,
    ORG_ID,
    APP_ID,
    APP_NAME,
    FOLDER_ID,
    ENVIRONMENT,
    IP_ADDRESS,
    USER_AGENT,
    VERSION,
    EVENT_ID,
];

/// The keys this adapter read a field from: of each field's names, the one [`field`] or
/// [`raw_field`] takes (the first present), and the entity objects. Another name of the same field
/// sent beside it (`createTime` beside `eventTime`, `id` beside `eventId`) was not read, and is kept
/// in `metadata` or `payload` like any field this adapter does not know.
fn read_keys(r: &Map<String, Value>) -> Vec<&'static str> {
    let mut read = ENTITIES.to_vec();
    for names in TEXT_FIELDS {
        read.extend(names.iter().find(|k| common::text(r.get(**k)).is_some()));
    }
    for names in [EVENT_TIME, DETAILS, GEOLOCATION, USER_AGENT_DATA] {
        read.extend(names.iter().find(|k| r.contains_key(**k)));
    }
    read
}

fn event(r: &Map<String, Value>, keys: &mut DerivedKeys) -> Result<Map<String, Value>, String> {
    let kind = field(r, EVENT_TYPE).ok_or("event has no `eventType`")?;
    let mut ev = Map::new();
    let (action, category) = action_of(&kind);
    ev.insert("action".into(), action.into());
    if let Some(category) = category {
        ev.insert("category".into(), category.into());
    }
    ev.insert("outcome".into(), "success".into());
    if let Some(t) = raw_field(r, EVENT_TIME) {
        let at = normalize_time(t).map_err(|e| format!("`eventTime`: {e}"))?;
        ev.insert("occurred_at".into(), at.into());
    }

    let user = entity(r, USER_ID, "user", &["name", "email"]);
    let user_name = user.name.or_else(|| field(r, USER_NAME));
    let user_mail = user.email.or_else(|| field(r, USER_EMAIL));
    let who = match user.id.or_else(|| user_mail.clone()) {
        Some(id) => actor("user", &id, user_name, user_mail),
        None if kind.to_ascii_uppercase().starts_with("SERVER") => {
            actor("system", "lowcoder", None, None)
        }
        None => actor("anonymous", "anonymous", None, None),
    };
    ev.insert("actor".into(), who);

    let details = raw_field(r, DETAILS).map(maybe_json);
    let empty = Map::new();
    let d = details
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let org = entity(r, ORG_ID, "organization", &[]);
    let app = entity(r, APP_ID, "application", &["name"]);
    let app_name = app
        .name
        .or_else(|| field(r, APP_NAME))
        .or_else(|| field(d, &["applicationName", "appName"]));
    let mut scope = Map::new();
    set(&mut scope, "organization", org.id.clone());
    set(&mut scope, "workspace", org.id);
    set(&mut scope, "app", app.id.clone());
    set(&mut scope, "folder", field(r, FOLDER_ID));
    set(&mut scope, "environment", field(r, ENVIRONMENT));
    set_obj(&mut ev, "scope", scope);

    let mut targets = Vec::new();
    if let Some(app) = &app.id {
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
    let address = field(r, IP_ADDRESS);
    let unparsed_address = match address.as_deref().map(|a| (a, common::ip(a))) {
        Some((_, Some(ip))) => {
            context.insert("ip".into(), ip.into());
            None
        }
        Some((text, None)) => Some(text.to_string()),
        None => None,
    };
    set(&mut context, "user_agent", field(r, USER_AGENT));
    set_obj(&mut ev, "context", context);

    let mut payload = Map::new();
    if let Some(details) = details {
        payload.insert("details".into(), details);
    }
    for (keys_in, key_out) in [
        (GEOLOCATION, "geolocation"),
        (USER_AGENT_DATA, "user_agent_data"),
    ] {
        if let Some(v) = raw_field(r, keys_in) {
            payload.insert(key_out.into(), maybe_json(v));
        }
    }

    let mut meta = Meta::default();
    meta.put("event_type", kind);
    meta.put_opt("ip_address", unparsed_address);
    // Nothing is dropped: fields not mapped above go to metadata when it can hold them (flat, short,
    // at most 50 keys), else to the payload, as the Activity adapter keeps a webhook's extras.
    let read = read_keys(r);
    for (key, value) in r.iter().filter(|(k, _)| !read.contains(&k.as_str())) {
        let in_meta =
            !matches!(value, Value::Object(_) | Value::Array(_)) && meta.put(key, value.clone());
        if !in_meta {
            payload.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    for (key, value) in r.iter().filter(|(k, v)| {
        TEXT_FIELDS.iter().any(|names| names.contains(&k.as_str()))
            && matches!(v, Value::Object(_) | Value::Array(_))
    }) {
        payload.entry(key.clone()).or_insert_with(|| value.clone());
    }
    for (key, unread) in [
        ("user", user.unread),
        ("organization", org.unread),
        ("application", app.unread),
    ] {
        if let Some(unread) = unread {
            payload.entry(key).or_insert(unread);
        }
    }
    set_obj(&mut ev, "payload", payload);
    meta.into_event(&mut ev);
    ev.insert("source".into(), source("lowcoder", field(r, VERSION)));
    let key = match field(r, EVENT_ID) {
        Some(id) => format!("lowcoder:{id}"),
        None => keys.key("lowcoder", &Value::Object(r.clone()).to_string()),
    };
    ev.insert("idempotency_key".into(), key.into());
    Ok(ev)
}

/// An entity given as id fields or as an object under `object_key`.
struct Entity {
    id: Option<String>,
    name: Option<String>,
    email: Option<String>,
    /// What the object holds besides its `id` and the `reads` fields, or the value under
    /// `object_key` when it was not read at all.
    unread: Option<Value>,
}

/// Reads the entity under `object_key` (an object `{id, ...}`, or a string id when no `id_keys` field
/// is present) or from `id_keys`; of the object's other fields only `reads` (`name`, `email`) are read.
fn entity(r: &Map<String, Value>, id_keys: &[&str], object_key: &str, reads: &[&str]) -> Entity {
    let read = |o: &Map<String, Value>, key: &str| {
        reads.contains(&key).then(|| field(o, &[key])).flatten()
    };
    match r.get(object_key) {
        Some(Value::Object(o)) => {
            let unread: Map<String, Value> = o
                .iter()
                .filter(|(k, _)| *k != "id" && !reads.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Entity {
                id: field(o, &["id"]).or_else(|| field(r, id_keys)),
                name: read(o, "name"),
                email: read(o, "email"),
                unread: (!unread.is_empty()).then_some(Value::Object(unread)),
            }
        }
        Some(v @ Value::String(_)) if field(r, id_keys).is_none() => Entity {
            id: common::text(Some(v)),
            name: None,
            email: None,
            unread: None,
        },
        other => Entity {
            id: field(r, id_keys),
            name: None,
            email: None,
            unread: other.filter(|v| !v.is_null()).cloned(),
        },
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
