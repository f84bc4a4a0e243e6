//! The generic "Activity Logs" product (seeds/003): its webhook shape `{event, user, resource, timestamp}`
//! (one object, a JSON array, or NDJSON) and its CSV export `timestamp,user,action,resource,status,ip_address`.
//!
//! CSV is chosen by a `text/csv` content type or, failing that, by a first line that is the export's header
//! (columns are found by name, so reordered or extra columns work) or a row of six fields starting with a
//! time (an export without header). Quoted fields may hold commas, quotes and newlines; `line` is the line
//! on which a row starts.
//!
//! Mapping (both shapes):
//! - The action words, whether `notebook_executed`, `created`, `Created notebook` or `notebook.create`,
//!   become `resource.verb` with the verb in the present tense: `notebook_executed` -> `notebook.execute`,
//!   `Granted` -> `<resource>.grant`. When the words name no resource, the resource's name is searched for a
//!   known kind (`sales_db` -> `database`, `Q2 Sales Report` -> `report`, `orders table` -> `table`), else it
//!   is `resource`: `created` on `sales_db` -> `database.create`.
//! - `user` -> actor: an e-mail is a `user` with that e-mail; `api_key...`/`key_...`/`sk_...` an `api_key`;
//!   `service:...`/`svc-...` a `service`; `system` the `system`; an object `{id, email, name, type}` as given
//!   (its id the first of those three sent, so a user known by name is known by it, as a bare name is);
//!   a list, its first user. A user the actor does not hold whole (a list, other keys) is kept in `payload.user`.
//! - `resource` -> `targets[0]` `{type: <kind>, id: <resource>, name: <resource>}` (the product names
//!   resources by their display name), unless `resource_id` is given; `resource_id` alone is a target of
//!   `resource_type`, else the action's resource (`report_exported` -> `report`). A `resource_id` or
//!   `resource_type` the target does not use is kept in metadata.
//! - `timestamp` -> `occurred_at` (`2024-06-12 14:30:22` is read as UTC, as the product shows it).
//! - `status` -> `outcome`: success/succeeded/ok, failed/failure/error, in progress/running, pending,
//!   denied/forbidden; anything else stays `unknown` with the text in `metadata.status`.
//! - `ip_address` -> `context.ip`; webhook extras: `user_agent`, `session_id`, `request_id` -> `context`,
//!   `duration` (`245ms`, `1.2 seconds`, `2 hours`, or ms) -> `duration_ms`, `details` -> `description`,
//!   `before`/`after` -> `changes`, other scalars -> `metadata`, other objects -> `payload`.
//! - Of fields naming one thing (`event`/`action`, `ip_address`/`ip`, `duration_ms`/`duration`), the first
//!   readable one is mapped; the other, when it says something else, and a duration that does not read,
//!   are kept in metadata under their own names (the payload when too long), never dropped.
//! - `id` -> `idempotency_key` `activity:<id>`; without one, `activity#<hash of the record>`.

use serde_json::{Map, Value};

use super::common::{
    self, actor, field, json_records, normalize_time, normalize_time_text, raw_field, set, set_obj,
    source, target, DerivedKeys, Lines, Meta,
};
use super::{AdaptError, Adapted, Hint};
use crate::category::derive_category;
use crate::event::Category;

/// The export's columns, in the export's order.
pub(super) const CSV_COLUMNS: [&str; 6] = [
    "timestamp",
    "user",
    "action",
    "resource",
    "status",
    "ip_address",
];
const EXPECTED: &str = "Activity Logs webhooks are JSON objects `{event, user, resource, timestamp}` (one, an array, or NDJSON); exports are CSV with the header `timestamp,user,action,resource,status,ip_address`";

/// The fields of one activity, whichever shape it came in.
#[derive(Default)]
struct Activity<'a> {
    timestamp: Option<Value>,
    user: Option<&'a Value>,
    user_text: Option<String>,
    action: String,
    resource: Option<String>,
    status: Option<String>,
    ip: Option<String>,
}

pub(super) fn adapt(body: &str, hint: Hint<'_>) -> Result<Adapted, AdaptError> {
    let mime = hint.content_type.split(';').next().unwrap_or("").trim();
    let first = body.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let json_like = first.trim_start().starts_with(['{', '[']);
    if mime.eq_ignore_ascii_case("text/csv") || (!json_like && looks_like_csv(first)) {
        return csv(body);
    }
    if !json_like && !mime.to_ascii_lowercase().contains("json") {
        return Err(AdaptError::WrongShape {
            line: 1 + body.lines().take_while(|l| l.trim().is_empty()).count(),
            expected: EXPECTED.into(),
        });
    }
    let mut out = Adapted::default();
    let mut keys = DerivedKeys::default();
    for (line, item) in json_records(body, &["events", "data"], &["event", "action"], EXPECTED)? {
        match item {
            Ok(Value::Object(map)) => match webhook(&map, &mut keys) {
                Ok(ev) => out.record(line, ev),
                Err(reason) => out.unreadable(line, reason),
            },
            Ok(_) => out.unreadable(line, "an activity must be a JSON object"),
            Err(reason) => out.unreadable(line, reason),
        }
    }
    Ok(out)
}

fn looks_like_csv(first: &str) -> bool {
    let lower = first.to_ascii_lowercase();
    let cells: Vec<&str> = lower
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    let header = cells.contains(&"timestamp") && cells.contains(&"action");
    header || (cells.len() == 6 && normalize_time_text(cells[0]).is_ok())
}

fn csv(body: &str) -> Result<Adapted, AdaptError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut out = Adapted::default();
    let mut keys = DerivedKeys::default();
    let mut columns: Option<Vec<String>> = None;
    let mut lines = Lines::new(body);
    // A quote left open takes every line after it into one cell of the last row (csv reads to the end
    // of the file without an error).
    let quote_left_open = quote_left_open(body);
    let mut records = reader.records().peekable();
    while let Some(result) = records.next() {
        let row = match result {
            Ok(row) => row,
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| lines.at(start_of(body, p.byte())));
                out.unreadable(line, format!("unreadable CSV row: {e}"));
                continue;
            }
        };
        // The byte offset, not csv's own line count, which lags behind after `\r\n` line ends.
        let line = row
            .position()
            .map_or(0, |p| lines.at(start_of(body, p.byte())));
        if row.iter().all(|cell| cell.trim().is_empty()) {
            out.skip(line, "a CSV row of empty cells");
            continue;
        }
        if let Some(taken) = row.iter().map(|cell| cell.matches('\n').count()).max() {
            if quote_left_open && taken > 0 && records.peek().is_none() {
                out.unreadable(
                    line,
                    format!(
                        "a quoted cell opened on this line is never closed, so the {taken} line(s) \
                         after it were read into it; close the quote (a quote inside a cell is \
                         written twice)"
                    ),
                );
                continue;
            }
        }
        if columns.is_none() {
            let cells: Vec<String> = row.iter().map(|c| c.trim().to_ascii_lowercase()).collect();
            if cells.iter().any(|c| c == "timestamp") {
                if let Some(missing) = ["timestamp", "user", "action"]
                    .into_iter()
                    .find(|c| !cells.iter().any(|n| n == c))
                {
                    return Err(AdaptError::WrongShape {
                        line,
                        expected: format!("the CSV header has no `{missing}` column; {EXPECTED}"),
                    });
                }
                columns = Some(cells);
                continue;
            }
            if cells.len() != CSV_COLUMNS.len() || normalize_time_text(&cells[0]).is_err() {
                return Err(AdaptError::WrongShape {
                    line,
                    expected: format!(
                        "the first CSV line is neither a header nor a row starting with a time; {EXPECTED}"
                    ),
                });
            }
            columns = Some(CSV_COLUMNS.iter().map(|c| c.to_string()).collect());
        }
        let Some(names) = columns.as_ref() else {
            continue;
        };
        if row.len() != names.len() {
            out.unreadable(
                line,
                format!(
                    "expected {} columns ({}), found {}",
                    names.len(),
                    names.join(","),
                    row.len()
                ),
            );
            continue;
        }
        let cell = |name: &str| {
            names
                .iter()
                .position(|n| n == name)
                .and_then(|i| row.get(i))
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
        };
        let mut meta = Meta::default();
        let mut extra = Map::new();
        for (name, value) in names.iter().zip(row.iter()) {
            if !CSV_COLUMNS.contains(&name.as_str())
                && !value.trim().is_empty()
                && !meta.put(name, value.trim())
            {
                extra.insert(name.clone(), value.trim().into());
            }
        }
        let activity = Activity {
            timestamp: cell("timestamp").map(Value::String),
            user: None,
            user_text: cell("user"),
            action: cell("action").unwrap_or_default(),
            resource: cell("resource"),
            status: cell("status"),
            ip: cell("ip_address"),
        };
        let content = row.iter().collect::<Vec<_>>().join("\u{1f}");
        match build(&activity, meta) {
            Ok(mut ev) => {
                set_obj(&mut ev, "payload", extra);
                ev.insert(
                    "idempotency_key".into(),
                    keys.key("activity", &content).into(),
                );
                out.record(line, ev);
            }
            Err(reason) => out.unreadable(line, reason),
        }
    }
    Ok(out)
}

/// True when the body ends inside a quoted cell. As in CSV (and the csv reader), a quote opens a quoted
/// cell only as a cell's first character; inside one, `""` is a quote and a lone `"` closes it; anywhere
/// else a quote is a literal character (`said 5" tall`).
fn quote_left_open(body: &str) -> bool {
    let mut quoted = false;
    let mut cell_start = true;
    let mut bytes = body.bytes().peekable();
    while let Some(b) = bytes.next() {
        if quoted {
            if b == b'"' {
                if bytes.peek() == Some(&b'"') {
                    bytes.next();
                } else {
                    quoted = false;
                }
            }
            continue;
        }
        match b {
            b'"' if cell_start => quoted = true,
            b',' | b'\r' | b'\n' => {
                cell_start = true;
                continue;
            }
            _ => {}
        }
        cell_start = false;
    }
    quoted
}

/// The first byte at or after `offset` that is not a line end: where a record really starts.
fn start_of(body: &str, offset: u64) -> usize {
    let offset = usize::try_from(offset)
        .unwrap_or(body.len())
        .min(body.len());
    offset
        + body.as_bytes()[offset..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count()
}

/// Webhook fields this adapter maps itself; the rest go to metadata or payload.
const MAPPED: &[&str] = &[
    "id",
    "event",
    "action",
    "user",
    "resource",
    "resource_id",
    "resource_type",
    "timestamp",
    "status",
    "ip_address",
    "ip",
    "user_agent",
    "session_id",
    "request_id",
    "duration",
    "duration_ms",
    "details",
    "before",
    "after",
];

fn webhook(map: &Map<String, Value>, keys: &mut DerivedKeys) -> Result<Map<String, Value>, String> {
    let action = field(map, &["event", "action"]).ok_or("activity has no `event`")?;
    let user = raw_field(map, &["user"]);
    // A list of users: the first is the actor.
    let first_user = match user {
        Some(Value::Array(list)) => list.first(),
        other => other,
    };
    let mut meta = Meta::default();
    let mut payload = Map::new();
    for (key, value) in map.iter().filter(|(k, _)| !MAPPED.contains(&k.as_str())) {
        match value {
            Value::Object(_) | Value::Array(_) => {
                payload.insert(key.clone(), value.clone());
            }
            _ => keep(&mut meta, &mut payload, key, value.clone()),
        }
    }
    let has_text = |v: &Value| common::text(Some(v)).is_some();
    read_partners(map, &["event", "action"], has_text, &mut meta, &mut payload);
    read_partners(
        map,
        &["ip_address", "ip"],
        has_text,
        &mut meta,
        &mut payload,
    );
    let duration = read_partners(
        map,
        &["duration_ms", "duration"],
        |v| duration_ms(v).is_some(),
        &mut meta,
        &mut payload,
    )
    .and_then(|key| duration_ms(&map[key]));
    let activity = Activity {
        timestamp: raw_field(map, &["timestamp"]).cloned(),
        user_text: first_user.and_then(|u| common::text(Some(u))),
        user: first_user.filter(|u| u.is_object()),
        action,
        resource: field(map, &["resource"]),
        status: field(map, &["status"]),
        ip: field(map, &["ip_address", "ip"]),
    };
    // A user the actor does not hold whole (a list, other keys, no id, e-mail or name) is kept as sent.
    if let Some(sent) = user.filter(|u| !user_held_whole(u)) {
        payload.insert("user".into(), sent.clone());
    }
    let (kind, _) = kind_and_verb(&activity);
    let target = target_of(map, &kind, &mut meta, &mut payload);
    let mut ev = build(&activity, meta)?;
    if let Some(target) = target {
        ev.insert("targets".into(), Value::Array(vec![target]));
    }
    if let Some(Value::Object(context)) = ev.get_mut("context") {
        for key in ["user_agent", "session_id", "request_id"] {
            set(context, key, field(map, &[key]));
        }
    } else {
        let mut context = Map::new();
        for key in ["user_agent", "session_id", "request_id"] {
            set(&mut context, key, field(map, &[key]));
        }
        set_obj(&mut ev, "context", context);
    }
    if let Some(ms) = duration {
        ev.insert("duration_ms".into(), ms.into());
    }
    set(&mut ev, "description", field(map, &["details"]));
    let mut changes = Map::new();
    for side in ["before", "after"] {
        if let Some(v) = raw_field(map, &[side]) {
            changes.insert(side.into(), common::maybe_json(v));
        }
    }
    set_obj(&mut ev, "changes", changes);
    // Other mapped fields sent as objects or arrays go to the payload as sent.
    for key in MAPPED
        .iter()
        .filter(|k| !matches!(**k, "user" | "resource" | "before" | "after"))
    {
        if let Some(value @ (Value::Object(_) | Value::Array(_))) = map.get(*key) {
            payload.insert((*key).to_string(), value.clone());
        }
    }
    set_obj(&mut ev, "payload", payload);
    let key = match field(map, &["id"]) {
        Some(id) => format!("activity:{id}"),
        None => keys.key("activity", &Value::Object(map.clone()).to_string()),
    };
    ev.insert("idempotency_key".into(), key.into());
    Ok(ev)
}

/// Puts a scalar in metadata, or in the payload when metadata cannot hold it.
fn keep(meta: &mut Meta, payload: &mut Map<String, Value>, key: &str, value: Value) {
    if !meta.put(key, value.clone()) {
        payload.insert(key.to_string(), value);
    }
}

/// Of fields naming one thing (`event` and `action`, `ip_address` and `ip`), the first that `reads`
/// is the one mapped, and is returned; every other one sent as a scalar is kept under its own name,
/// unless it says the same.
fn read_partners<'k>(
    map: &Map<String, Value>,
    partners: &[&'k str],
    reads: impl Fn(&Value) -> bool,
    meta: &mut Meta,
    payload: &mut Map<String, Value>,
) -> Option<&'k str> {
    let read = partners
        .iter()
        .copied()
        .find(|k| map.get(*k).is_some_and(&reads));
    let read_text = read.and_then(|k| common::text(map.get(k)));
    for key in partners.iter().filter(|k| Some(**k) != read) {
        match map.get(*key) {
            None | Some(Value::Null | Value::Object(_) | Value::Array(_)) => {}
            Some(value) if read_text.is_some() && common::text(Some(value)) == read_text => {}
            Some(value) => keep(meta, payload, key, value.clone()),
        }
    }
    read
}

/// The target from `resource` (a display name, or `{type, id, name}`), `resource_id` and
/// `resource_type`, each of which may come alone: its id is the resource's own id, else `resource_id`,
/// else its name; its type the resource's own, else `resource_type`, else `kind` (the action's
/// resource). A value the target does not hold is kept: `resource_id` or `resource_type` in metadata,
/// a resource object with other keys (or no id) in the payload.
fn target_of(
    map: &Map<String, Value>,
    kind: &str,
    meta: &mut Meta,
    payload: &mut Map<String, Value>,
) -> Option<Value> {
    let sent_id = field(map, &["resource_id"]);
    let sent_type = field(map, &["resource_type"]);
    let snake_kind = |k: &String| Some(common::snake(k)).filter(|k| !k.is_empty());
    let (own_id, own_type, name) = match map.get("resource") {
        Some(Value::Object(resource)) => {
            let text = |key: &str| common::text(resource.get(key));
            let named = text("id").is_some() || text("name").is_some() || sent_id.is_some();
            let only_target_keys = resource.iter().all(|(k, v)| {
                matches!(k.as_str(), "id" | "name" | "type") && !v.is_object() && !v.is_array()
            });
            if !named || !only_target_keys {
                payload.insert("resource".into(), Value::Object(resource.clone()));
            }
            (text("id"), text("type"), text("name"))
        }
        Some(list @ Value::Array(_)) => {
            payload.insert("resource".into(), list.clone());
            (None, None, None)
        }
        _ => (None, None, field(map, &["resource"])),
    };
    let id = own_id
        .clone()
        .or_else(|| sent_id.clone())
        .or_else(|| name.clone());
    let own_kind = own_type.as_ref().and_then(snake_kind);
    let sent_kind = sent_type.as_ref().and_then(snake_kind);
    let type_unread = id.is_none()
        || sent_kind.is_none()
        || own_kind
            .as_ref()
            .is_some_and(|own| Some(own) != sent_kind.as_ref());
    if let Some(sent) = sent_type.filter(|_| type_unread) {
        keep(meta, payload, "resource_type", sent.into());
    }
    if let Some(sent) = sent_id.filter(|s| own_id.as_ref().is_some_and(|own| own != s)) {
        keep(meta, payload, "resource_id", sent.into());
    }
    let kind = own_kind.or(sent_kind).unwrap_or_else(|| kind.to_string());
    Some(target(&kind, &id?, name))
}

/// True when the actor holds all of `user`: a scalar, or an object of `id`, `email`, `name` and `type`
/// only, with an id among the first three, an actor type Evident knows and a real e-mail.
fn user_held_whole(user: &Value) -> bool {
    let Value::Object(map) = user else {
        return !user.is_array();
    };
    let mail_ok = field(map, &["email"]).is_none_or(|m| common::email(&m).is_some());
    let type_ok =
        field(map, &["type"]).is_none_or(|t| crate::event::ActorType::parse(&t).is_some());
    let has_id = field(map, &["id", "email", "name"]).is_some();
    let only_actor_keys = map.iter().all(|(k, v)| {
        matches!(k.as_str(), "id" | "email" | "name" | "type") && !v.is_object() && !v.is_array()
    });
    mail_ok && type_ok && has_id && only_actor_keys
}

fn build(a: &Activity<'_>, mut meta: Meta) -> Result<Map<String, Value>, String> {
    if a.action.trim().is_empty() {
        return Err("activity has no action".into());
    }
    let mut ev = Map::new();
    let (kind, verb) = kind_and_verb(a);
    ev.insert("action".into(), format!("{kind}.{verb}").into());
    if let Some(t) = &a.timestamp {
        let at = normalize_time(t).map_err(|e| format!("`timestamp`: {e}"))?;
        ev.insert("occurred_at".into(), at.into());
    }
    let outcome = a.status.as_deref().map(outcome_of);
    match outcome {
        Some(Some(outcome)) => {
            ev.insert("outcome".into(), outcome.into());
        }
        Some(None) => meta.put_opt("status", a.status.clone()),
        None if verb == "fail" => {
            ev.insert("outcome".into(), "failure".into());
        }
        None => {}
    }
    ev.insert("actor".into(), actor_of(a.user, a.user_text.as_deref()));
    if let Some(resource) = &a.resource {
        ev.insert(
            "targets".into(),
            Value::Array(vec![target(&kind, resource, Some(resource.clone()))]),
        );
    }
    if let Some(text) = &a.ip {
        match common::ip(text) {
            Some(ip) => {
                ev.insert("context".into(), serde_json::json!({ "ip": ip }));
            }
            None => {
                meta.put("ip_address", text.clone());
            }
        }
    }
    meta.into_event(&mut ev);
    ev.insert("source".into(), source("activity", None));
    Ok(ev)
}

/// The action's resource and verb: the resource named in the words, else a kind found in the
/// resource's name, else `resource`.
fn kind_and_verb(a: &Activity<'_>) -> (String, String) {
    let (resource, verb) = split_action(&a.action);
    let kind = resource
        .or_else(|| a.resource.as_deref().and_then(kind_of))
        .unwrap_or_else(|| "resource".into());
    (kind, verb)
}

/// The resource named in the action words (if any) and the verb in the present tense. A past-tense
/// word is the verb before a bare one, so `query_executed` is `query.execute`, not `executed.query`.
/// An action written `resource.verb` is kept as sent, so `query.execute` stays itself although
/// `query` is a verb too.
fn split_action(text: &str) -> (Option<String>, String) {
    let snake = common::snake(text);
    let words: Vec<&str> = snake.split('_').filter(|w| !w.is_empty()).collect();
    for (sign_words, verb) in [
        (["logged", "in"], "sign_in"),
        (["signed", "in"], "sign_in"),
        (["log", "in"], "sign_in"),
        (["sign", "in"], "sign_in"),
        (["logged", "out"], "sign_out"),
        (["signed", "out"], "sign_out"),
        (["log", "out"], "sign_out"),
        (["sign", "out"], "sign_out"),
    ] {
        // Whole words only: `log_ingestion` holds `log_in` but is no sign-in.
        if let Some(at) = words.windows(2).position(|pair| pair == sign_words) {
            let rest = [&words[..at], &words[at + 2..]].concat().join("_");
            let resource = if rest.is_empty() { "user".into() } else { rest };
            return (Some(resource), verb.to_string());
        }
    }
    if let Some((resource, verb)) = text.trim().rsplit_once('.') {
        let (resource, verb) = (common::snake(resource), common::snake(verb));
        if let Some(verb) = present(&verb).filter(|_| !resource.is_empty()) {
            return (Some(resource), verb);
        }
    }
    let past = words.iter().position(|w| {
        (w.ends_with("ed") || IRREGULAR.iter().any(|(p, _)| p == w)) && present(w).is_some()
    });
    let verb_at = past.or_else(|| words.iter().position(|w| present(w).is_some()));
    match verb_at {
        Some(i) => {
            let rest: Vec<&str> = words
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, w)| *w)
                .collect();
            let resource = (!rest.is_empty()).then(|| rest.join("_"));
            (resource, present(words[i]).unwrap_or_default())
        }
        // No known verb: the last word is the verb, as in `resource.verb`.
        None => match words.split_last() {
            Some((last, init)) if !init.is_empty() => (Some(init.join("_")), last.to_string()),
            Some((last, _)) => (None, last.to_string()),
            None => (None, "unknown".into()),
        },
    }
}

/// Past tenses that are not `<verb>ed` or `<verb>d`.
const IRREGULAR: &[(&str, &str)] = &[
    ("ran", "run"),
    ("made", "make"),
    ("left", "leave"),
    ("sent", "send"),
    ("failed", "fail"),
    ("fail", "fail"),
    ("modified", "modify"),
    ("copied", "copy"),
    ("queried", "query"),
    ("retried", "retry"),
    ("stopped", "stop"),
    ("dropped", "drop"),
    ("tagged", "tag"),
    ("transferred", "transfer"),
    ("cancelled", "cancel"),
    ("canceled", "cancel"),
    ("approved", "approve"),
    ("rejected", "reject"),
    ("scheduled", "schedule"),
];

/// The present tense of a verb the product writes, or `None` when `word` is no verb Evident knows.
fn present(word: &str) -> Option<String> {
    if let Some((_, v)) = IRREGULAR.iter().find(|(w, _)| *w == word) {
        return Some(v.to_string());
    }
    let known = |w: &str| derive_category(&format!("x.{w}")) != Category::Other;
    if known(word) {
        return Some(word.to_string());
    }
    let stem = word.strip_suffix("ed")?;
    [format!("{stem}e"), stem.to_string()]
        .into_iter()
        .find(|w| known(w))
}

/// A kind of resource from words in its display name.
fn kind_of(name: &str) -> Option<String> {
    const KINDS: &[(&str, &str)] = &[
        ("db", "database"),
        ("database", "database"),
        ("table", "table"),
        ("notebook", "notebook"),
        ("experiment", "experiment"),
        ("pipeline", "pipeline"),
        ("collection", "collection"),
        ("query", "query"),
        ("report", "report"),
        ("dashboard", "dashboard"),
        ("user", "user"),
        ("team", "team"),
        ("permission", "permission"),
        ("dataset", "dataset"),
        ("cell", "cell"),
    ];
    let snake = common::snake(name);
    snake.split('_').rev().find_map(|w| {
        let w = w.strip_suffix('s').filter(|s| s.len() > 2).unwrap_or(w);
        KINDS
            .iter()
            .find(|(k, _)| *k == w)
            .map(|(_, kind)| kind.to_string())
    })
}

fn outcome_of(status: &str) -> Option<&'static str> {
    match common::snake(status).as_str() {
        "success" | "succeeded" | "successful" | "ok" | "completed" | "done" => Some("success"),
        "failed" | "failure" | "fail" | "error" | "errored" => Some("failure"),
        "in_progress" | "running" | "started" => Some("in_progress"),
        "pending" | "waiting" | "queued" => Some("pending"),
        "denied" | "forbidden" | "unauthorized" | "rejected" => Some("denied"),
        _ => None,
    }
}

fn actor_of(user: Option<&Value>, text: Option<&str>) -> Value {
    if let Some(Value::Object(map)) = user {
        let mail = field(map, &["email"]);
        let name = field(map, &["name"]);
        // Known by name alone, the name is the id, as a user sent as a bare name is.
        if let Some(id) = field(map, &["id"])
            .or_else(|| mail.clone())
            .or_else(|| name.clone())
        {
            let kind = field(map, &["type"]).unwrap_or_else(|| "user".into());
            let kind = if crate::event::ActorType::parse(&kind).is_some() {
                kind
            } else {
                "user".into()
            };
            return actor(&kind, &id, name, mail);
        }
    }
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return actor("anonymous", "anonymous", None, None);
    };
    let lower = text.to_ascii_lowercase();
    let kind = if common::email(text).is_some() {
        "user"
    } else if ["api_key", "apikey", "api-key", "key_", "sk_", "pk_"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        "api_key"
    } else if ["service:", "svc-", "svc_", "service-account"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        "service"
    } else if lower == "system" {
        "system"
    } else {
        "user"
    };
    actor(kind, text, None, Some(text.to_string()))
}

/// `245ms`, `1.2 seconds`, `3s`, `2 min`, `2 hours` or a number of milliseconds.
fn duration_ms(value: &Value) -> Option<u64> {
    // Past 2^53 - 1 validation refuses a duration (it would come back rounded); such a value is
    // unreadable here, and kept as sent like any other.
    let fits = |ms: f64| (0.0..=crate::validate::MAX_SAFE_INTEGER as f64).contains(&ms);
    if let Some(n) = value.as_f64() {
        return fits(n.round()).then_some(n.round() as u64);
    }
    let text = value.as_str()?.trim().to_ascii_lowercase();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..split].parse().ok()?;
    let factor = match text[split..].trim() {
        "" | "ms" | "millisecond" | "milliseconds" => 1.0,
        "s" | "sec" | "secs" | "second" | "seconds" => 1000.0,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000.0,
        _ => return None,
    };
    let ms = (number * factor).round();
    fits(ms).then_some(ms as u64)
}

#[cfg(test)]
#[path = "activity_tests.rs"]
mod tests;
