//! Airbyte's audit files (seeds/001): `{"events": [{timestamp, message, level, logSource, caller, ...}]}`
//! where `message` is `Logging audit entry: AuditLogEntry(id=..., timestamp=..., user=User(userId=...,
//! email=..., ipAddress=..., userAgent=...), actionName=..., summary={json}, success=..., errorMessage=...)`.
//!
//! The seed's sample shows the file's content without its outer braces (`"events": [...]`); that is
//! accepted too, as are a bare array of log events and NDJSON (one log event per line). The
//! `AuditLogEntry` text is read by [`super::tostring`], which copes with user agents holding commas and
//! parentheses and summaries holding nested JSON. Only `AuditLogEntry`'s own fields (`id`, `timestamp`,
//! `user`, `actionName`, `summary`, `success`, `errorMessage`) end a value: an error message holding
//! `, permissionId=abc` keeps it.
//!
//! Mapping:
//! - `actionName` (camelCase, verb first) -> `resource.verb`: `updatePermission` -> `permission.update`,
//!   `createConnection` -> `connection.create`, `deleteUserFromWorkspace` -> `user_from_workspace.delete`;
//!   a name whose first word is no verb Evident knows but whose last word is (`permissionUpdate`) is read
//!   verb last; a single word `x` becomes `airbyte.x`. Permission actions are thus category `permission`.
//! - `id` -> `idempotency_key` `airbyte:<id>`; `timestamp` (epoch ms) -> `occurred_at`, else the log event's;
//! - `user` -> actor `{type: user, id: userId, email}` (no user: `{type: anonymous, id: anonymous}`);
//!   `ipAddress` -> `context.ip` (kept in `metadata.ip_address` when it is no IP), `userAgent` -> `context.user_agent`;
//! - `summary` -> `payload.summary` (JSON; text that is no JSON goes to `payload.summary_text`); its
//!   `target*` objects (`targetUser`, `targetScope`) -> `targets` (`{type: user|<scope type>, id, name: email}`);
//!   `targetScope` of type organization or workspace -> `scope.organization`/`scope.workspace`;
//!   `previousRole`/`newRole` -> `changes.before.role`/`changes.after.role`;
//! - `success` -> outcome `success`/`failure`; `errorMessage` -> `error.message`;
//! - log event `level`, `logSource`, `caller.className` -> `metadata.log_level`, `log_source`, `logger`;
//!   `caller.methodName`, `lineNumber`, `threadName` -> `metadata.caller_method`, `caller_line`, `thread`;
//!   its `timestamp`, when the entry has its own -> `metadata.log_time`; a `throwable` and any other
//!   field, and what metadata cannot hold -> `payload.log_event`;
//! - the file name `<yyyyMMddHHmmss>_<hostname>_<uuid>[.json]` (from the hint) -> `metadata.file_time`
//!   (RFC 3339, read as UTC), `file_host`, `file_id`; any other name -> `metadata.file_name`.
//!
//! Log events whose message holds no `AuditLogEntry(` are skipped; entries that do not parse are unreadable.

use serde_json::{Map, Value};

use super::common::{
    self, actor, field, json_records, normalize_time, set, set_obj, source, target, Meta,
};
use super::tostring::{parse_record, KnownFields, Kt, Record};
use super::{AdaptError, Adapted, Hint};
use crate::category::derive_category;
use crate::event::Category;

const MARKER: &str = "AuditLogEntry(";
/// `AuditLogEntry`'s fields: a `, name=` in a value with any other name is part of the value
/// (`errorMessage=Failed to update permission, permissionId=abc`).
const ENTRY_FIELDS: KnownFields<'static> = &[(
    "AuditLogEntry",
    &[
        "id",
        "timestamp",
        "user",
        "actionName",
        "summary",
        "success",
        "errorMessage",
    ],
)];
const EXPECTED: &str = "an Airbyte audit file is a JSON object `{\"events\": [...]}`";

pub(super) fn adapt(body: &str, hint: Hint<'_>) -> Result<Adapted, AdaptError> {
    let items = if body.trim_start().starts_with("\"events\"") {
        // The documented sample: the object's content without its braces. Wrapping keeps line numbers;
        // columns on the first line move by one, which errors undo.
        json_records(&format!("{{{body}}}"), &["events"], &["message"], EXPECTED).map_err(|e| {
            match e {
                AdaptError::Malformed {
                    line: 1,
                    column,
                    reason,
                } => AdaptError::Malformed {
                    line: 1,
                    column: column.saturating_sub(1).max(1),
                    reason,
                },
                other => other,
            }
        })?
    } else {
        json_records(body, &["events"], &["message"], EXPECTED)?
    };
    let file = hint.file_name.map(file_metadata).unwrap_or_default();
    let mut out = Adapted::default();
    for (line, item) in items {
        let log = match item {
            Ok(Value::Object(log)) => log,
            Ok(_) => {
                out.unreadable(line, "a log event must be a JSON object");
                continue;
            }
            Err(reason) => {
                out.unreadable(line, reason);
                continue;
            }
        };
        let Some(message) = log.get("message").and_then(Value::as_str) else {
            out.skip(line, "log event without a `message`");
            continue;
        };
        let Some(at) = message.find(MARKER) else {
            let start: String = message.chars().take(80).collect();
            out.skip(line, format!("not an audit entry: `{start}`"));
            continue;
        };
        let entry = match parse_record(&message[at..], ENTRY_FIELDS) {
            Ok(entry) => entry,
            Err(e) => {
                let column = message[..at].chars().count() + e.column;
                out.unreadable(
                    line,
                    format!(
                        "AuditLogEntry text does not parse at character {column} of `message`: expected {}",
                        e.expected
                    ),
                );
                continue;
            }
        };
        match event(&entry, &log, &file) {
            Ok(ev) => out.record(line, ev),
            Err(reason) => out.unreadable(line, reason),
        }
    }
    Ok(out)
}

fn event(
    entry: &Record,
    log: &Map<String, Value>,
    file: &[(&'static str, String)],
) -> Result<Map<String, Value>, String> {
    let mut ev = Map::new();
    let name = entry
        .text("actionName")
        .ok_or("AuditLogEntry has no `actionName`")?;
    ev.insert("action".into(), action_of(&name).into());
    let log_time = log.get("timestamp").filter(|t| !t.is_null());
    let entry_time = entry.text("timestamp");
    let time = match &entry_time {
        Some(t) => Some(match t.parse::<i64>() {
            Ok(ms) => normalize_time(&Value::from(ms)),
            Err(_) => common::normalize_time_text(t),
        }),
        None => log_time.map(normalize_time),
    };
    if let Some(time) = time {
        let time = time.map_err(|e| format!("AuditLogEntry `timestamp`: {e}"))?;
        ev.insert("occurred_at".into(), time.into());
    }
    match entry.text("success").as_deref() {
        Some("true") => ev.insert("outcome".into(), "success".into()),
        Some("false") => ev.insert("outcome".into(), "failure".into()),
        _ => None,
    };
    if let Some(message) = entry.text("errorMessage") {
        ev.insert("error".into(), serde_json::json!({ "message": message }));
    }

    let mut meta = Meta::default();
    let mut context = Map::new();
    let user = match entry.get("user") {
        Some(Kt::Record(user)) => Some(user),
        _ => None,
    };
    let mail = user.and_then(|u| u.text("email"));
    let id = user.and_then(|u| u.text("userId")).or_else(|| mail.clone());
    ev.insert(
        "actor".into(),
        match id {
            Some(id) => actor("user", &id, None, mail),
            None => actor("anonymous", "anonymous", None, None),
        },
    );
    if let Some(user) = user {
        if let Some(addr) = user.text("ipAddress") {
            match common::ip(&addr) {
                Some(ip) => set(&mut context, "ip", Some(ip)),
                None => {
                    meta.put("ip_address", addr);
                }
            }
        }
        if let Some(agent) = user.text("userAgent").filter(|a| a.chars().count() <= 1024) {
            context.insert("user_agent".into(), agent.into());
        }
    }
    set_obj(&mut ev, "context", context);

    let mut payload = Map::new();
    match entry.get("summary") {
        Some(Kt::Json(summary)) => {
            summary_fields(summary, &mut ev);
            payload.insert("summary".into(), summary.clone());
        }
        Some(Kt::Text(text)) if !text.trim().is_empty() => {
            payload.insert("summary_text".into(), text.clone().into());
        }
        _ => {}
    }
    if let Some(agent) = user
        .and_then(|u| u.text("userAgent"))
        .filter(|a| a.chars().count() > 1024)
    {
        payload.insert("user_agent".into(), agent.into());
    }

    // The log event around the entry: its time (when the entry has its own), caller and throwable
    // are kept, short scalars in metadata, the rest in `payload.log_event`.
    let mut log_event = Map::new();
    let mut keep = |meta: &mut Meta, meta_key: &str, log_key: &str, value: &Value| {
        if !meta.put(meta_key, value.clone()) {
            log_event.insert(log_key.to_string(), value.clone());
        }
    };
    if let (Some(_), Some(t)) = (&entry_time, log_time) {
        let at = normalize_time(t).map_or_else(|_| t.clone(), Value::from);
        keep(&mut meta, "log_time", "timestamp", &at);
    }
    for (key, meta_key) in [("level", "log_level"), ("logSource", "log_source")] {
        if let Some(value) = log.get(key).filter(|v| !v.is_null()) {
            keep(&mut meta, meta_key, key, value);
        }
    }
    match log.get("caller") {
        Some(Value::Object(caller)) => {
            let mut rest = Map::new();
            for (key, value) in caller.iter().filter(|(_, v)| !v.is_null()) {
                let meta_key = match key.as_str() {
                    "className" => "logger".to_string(),
                    "methodName" => "caller_method".to_string(),
                    "lineNumber" => "caller_line".to_string(),
                    "threadName" => "thread".to_string(),
                    other => format!("caller_{}", common::snake(other)),
                };
                if !meta.put(&meta_key, value.clone()) {
                    rest.insert(key.clone(), value.clone());
                }
            }
            set_obj(&mut log_event, "caller", rest);
        }
        Some(Value::Null) | None => {}
        Some(other) => keep(&mut meta, "caller", "caller", other),
    }
    for (key, value) in log.iter().filter(|(k, v)| {
        !v.is_null()
            && !matches!(
                k.as_str(),
                "message" | "timestamp" | "level" | "logSource" | "caller"
            )
    }) {
        log_event.insert(key.clone(), value.clone());
    }
    set_obj(&mut payload, "log_event", log_event);
    set_obj(&mut ev, "payload", payload);

    for (key, value) in file {
        meta.put(key, value.clone());
    }
    meta.into_event(&mut ev);
    ev.insert("source".into(), source("airbyte", None));
    if let Some(id) = entry.text("id") {
        ev.insert("idempotency_key".into(), format!("airbyte:{id}").into());
    }
    Ok(ev)
}

/// `updatePermission` -> `permission.update`; see the module docs.
fn action_of(name: &str) -> String {
    let snake = common::snake(name);
    let words: Vec<&str> = snake.split('_').collect();
    let is_verb = |w: &str| derive_category(&format!("x.{w}")) != Category::Other;
    match words.as_slice() {
        [] | [""] => "airbyte.unknown".into(),
        [one] => format!("airbyte.{one}"),
        [first, rest @ ..] if is_verb(first) || !is_verb(words[words.len() - 1]) => {
            format!("{}.{first}", rest.join("_"))
        }
        [init @ .., last] => format!("{}.{last}", init.join("_")),
    }
}

/// Targets, scope and role changes from the summary JSON.
fn summary_fields(summary: &Value, ev: &mut Map<String, Value>) {
    let Some(map) = summary.as_object() else {
        return;
    };
    let mut targets = Vec::new();
    let mut scope = Map::new();
    for (key, value) in map {
        let (Some(kind), Some(obj)) = (key.strip_prefix("target"), value.as_object()) else {
            continue;
        };
        let Some(id) = field(obj, &["id"]) else {
            continue;
        };
        let kind = field(obj, &["type"]).unwrap_or_else(|| common::snake(kind));
        let kind = if kind.is_empty() {
            "resource".into()
        } else {
            kind
        };
        if key == "targetScope" && matches!(kind.as_str(), "organization" | "workspace") {
            scope.insert(kind.clone(), id.clone().into());
        }
        targets.push(target(&kind, &id, field(obj, &["name", "email"])));
    }
    if !targets.is_empty() {
        ev.insert("targets".into(), Value::Array(targets));
    }
    set_obj(ev, "scope", scope);
    let before = field(map, &["previousRole"]);
    let after = field(map, &["newRole"]);
    if before.is_some() || after.is_some() {
        let mut changes = Map::new();
        if let Some(role) = before {
            changes.insert("before".into(), serde_json::json!({ "role": role }));
        }
        if let Some(role) = after {
            changes.insert("after".into(), serde_json::json!({ "role": role }));
        }
        ev.insert("changes".into(), Value::Object(changes));
    }
}

/// Metadata from a file name following `<yyyyMMddHHmmss>_<hostname>_<uuid>`, with any directory and
/// extension; a name that does not follow it is kept whole as `file_name`.
fn file_metadata(name: &str) -> Vec<(&'static str, String)> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut stem = base;
    for ext in [".gz", ".json", ".ndjson", ".jsonl", ".log", ".txt"] {
        stem = stem.strip_suffix(ext).unwrap_or(stem);
    }
    let parsed = (|| {
        let (stamp, rest) = stem.split_once('_')?;
        let (host, id) = rest.rsplit_once('_')?;
        if stamp.len() != 14 || !stamp.bytes().all(|b| b.is_ascii_digit()) || host.is_empty() {
            return None;
        }
        let uuid = uuid::Uuid::parse_str(id).ok()?;
        let time = common::normalize_time_text(&format!(
            "{}-{}-{}T{}:{}:{}Z",
            &stamp[0..4],
            &stamp[4..6],
            &stamp[6..8],
            &stamp[8..10],
            &stamp[10..12],
            &stamp[12..14]
        ))
        .ok()?;
        Some(vec![
            ("file_time", time),
            ("file_host", host.to_string()),
            ("file_id", uuid.hyphenated().to_string()),
        ])
    })();
    parsed.unwrap_or_else(|| vec![("file_name", base.to_string())])
}

#[cfg(test)]
#[path = "airbyte_tests.rs"]
mod tests;
