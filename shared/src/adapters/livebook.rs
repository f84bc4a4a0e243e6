//! Livebook's JSON log lines (seeds/000), with `LIVEBOOK_LOG_FORMAT=json` and
//! `LIVEBOOK_LOG_METADATA="users,code,session_mode,event"`:
//! `{"message", "time", "metadata": {"code", "event", "users": [{id, name, email}], "session_mode"}, "severity"}`.
//!
//! The body is read line by line (NDJSON, as a log aggregator ships it); a line may carry a prefix
//! before its JSON (`2025-10-06T19:19:19Z stdout F {...}`, as container runtimes write). A body that
//! is JSON as a whole, a pretty-printed line as the seed shows one or an array of lines (on one line
//! or many), is read as such, and so is a line holding an array of log lines. Mapping of a line whose `metadata.event` is `code.evaluate`:
//! - `action` = `code.evaluate` (category `execute`); `outcome` stays `unknown`, because Livebook logs the
//!   evaluation as it starts, not how it ended;
//! - `occurred_at` = `time`; `description` = `message`;
//! - `actor` = the first of `metadata.users` (`type: user`), `participants` = all of them, since every user
//!   in a collaborative session saw the code run; no users (Livebook without authentication) gives the
//!   actor `{type: anonymous, id: anonymous}`;
//! - `payload` = `{code, session_mode}`, the code exactly as logged (newlines, unicode);
//! - `session_mode` also goes to `metadata.session_mode` (filterable) and to `context.interface`
//!   (`notebook` for `default`, `app_preview` for `app`): it says how the code was run, which is what
//!   `interface` means, while no `scope` field (environment, organisation, app, ...) fits a session mode;
//! - the log line's `severity` is a log level, not an audit severity: it goes to `metadata.log_level`;
//! - other scalar `metadata` keys the operator configured are kept in `metadata`, others in
//!   `payload.log_metadata`;
//! - `idempotency_key` = `livebook#<hash of the line's JSON>` (compact, so the same line keys alike
//!   however it was spaced or prefixed): Livebook events carry no id.
//!
//! Other JSON lines are skipped (with their `metadata.event`), so are plain-text lines; JSON lines that do
//! not parse are unreadable.

use serde_json::{Map, Value};

use super::common::{
    actor, field, normalize_time, reason_of, set, set_obj, source, DerivedKeys, Meta,
};
use super::Adapted;

const EVENT: &str = "code.evaluate";
/// `metadata` keys this adapter maps itself.
const MAPPED: &[&str] = &["code", "event", "users", "session_mode"];

pub(super) fn adapt(body: &str) -> Adapted {
    let mut out = Adapted::default();
    let mut keys = DerivedKeys::default();
    if let Some(items) = whole_json(body) {
        for (n, item) in items {
            match item {
                Ok(Value::Object(log)) => read_log(&mut out, &mut keys, n, log),
                Ok(_) => out.unreadable(n, "a JSON log line must be an object"),
                Err(reason) => out.unreadable(n, reason),
            }
        }
        return out;
    }
    for (i, line) in body.lines().enumerate() {
        let n = i + 1;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if text.starts_with('[') {
            // A batch of log lines as one array line, among other lines.
            if let Ok(Value::Array(logs)) = serde_json::from_str::<Value>(text) {
                for log in logs {
                    match log {
                        Value::Object(log) => read_log(&mut out, &mut keys, n, log),
                        _ => out.unreadable(n, "a JSON log line must be an object"),
                    }
                }
                continue;
            }
        }
        if !text.starts_with('{') {
            // A prefix before the JSON, or plain text (which may hold braces of its own).
            match text
                .find('{')
                .map(|at| serde_json::from_str::<Value>(&text[at..]))
            {
                Some(Ok(Value::Object(log))) => read_log(&mut out, &mut keys, n, log),
                _ => out.skip(n, "not a JSON log line (plain text)"),
            }
            continue;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(log)) => read_log(&mut out, &mut keys, n, log),
            Ok(_) => out.unreadable(n, "a JSON log line must be an object"),
            Err(e) => out.unreadable(
                n,
                format!("malformed JSON at column {}: {}", e.column(), reason_of(&e)),
            ),
        }
    }
    out
}

/// The log lines of a body that is JSON as a whole but not one object per line: a pretty-printed
/// line, or an array of them, each with the line it starts on.
fn whole_json(body: &str) -> Option<Vec<super::common::JsonItem>> {
    let trimmed = body.trim_start();
    // NDJSON: the first line is a whole object. A one-line array (`jq -c -s .`) is JSON as a whole.
    let one_per_line = trimmed
        .lines()
        .next()
        .is_some_and(|first| serde_json::from_str::<Value>(first).is_ok_and(|v| v.is_object()));
    let whole = trimmed.starts_with(['{', '['])
        && !one_per_line
        && serde_json::from_str::<&serde_json::value::RawValue>(body).is_ok();
    whole.then(|| super::common::json_records(body, &[], &[], "JSON log lines").ok())?
}

/// Reads one log line's JSON: an event when it is a code evaluation, skipped otherwise.
fn read_log(out: &mut Adapted, keys: &mut DerivedKeys, n: usize, log: Map<String, Value>) {
    let meta = log.get("metadata").and_then(Value::as_object);
    match meta.and_then(|m| m.get("event")).and_then(Value::as_str) {
        Some(EVENT) => {}
        Some(other) => return out.skip(n, format!("metadata.event is `{other}`, not `{EVENT}`")),
        None => {
            let message = field(&log, &["message", "msg"]).unwrap_or_default();
            let message: String = message.chars().take(80).collect();
            return out.skip(n, format!("log line without metadata.event: `{message}`"));
        }
    }
    let empty = Map::new();
    match event(&log, meta.unwrap_or(&empty)) {
        Ok(mut ev) => {
            let key = keys.key("livebook", &Value::Object(log).to_string());
            ev.insert("idempotency_key".into(), key.into());
            out.record(n, ev);
        }
        Err(reason) => out.unreadable(n, reason),
    }
}

fn event(
    log: &Map<String, Value>,
    meta: &Map<String, Value>,
) -> Result<Map<String, Value>, String> {
    let mut ev = Map::new();
    ev.insert("action".into(), EVENT.into());
    if let Some(time) = log.get("time").filter(|v| !v.is_null()) {
        let at = normalize_time(time).map_err(|e| format!("`time`: {e}"))?;
        ev.insert("occurred_at".into(), at.into());
    }
    set(&mut ev, "description", field(log, &["message"]));

    let users: Vec<Value> = meta
        .get("users")
        .and_then(Value::as_array)
        .map(|users| users.iter().filter_map(user).collect())
        .unwrap_or_default();
    let first = users
        .first()
        .cloned()
        .unwrap_or_else(|| actor("anonymous", "anonymous", None, None));
    ev.insert("actor".into(), first);
    if !users.is_empty() {
        ev.insert("participants".into(), Value::Array(users));
    }

    let mode = field(meta, &["session_mode"]);
    let mut payload = Map::new();
    if let Some(code) = meta.get("code").filter(|c| !c.is_null()) {
        payload.insert("code".into(), code.clone());
    }
    set(&mut payload, "session_mode", mode.clone());
    let mut metadata = Meta::default();
    let mut extra = Map::new();
    for (key, value) in meta.iter().filter(|(k, _)| !MAPPED.contains(&k.as_str())) {
        match value {
            Value::Array(_) | Value::Object(_) => {
                extra.insert(key.clone(), value.clone());
            }
            _ => {
                if !metadata.put(key, value.clone()) {
                    extra.insert(key.clone(), value.clone());
                }
            }
        }
    }
    set_obj(&mut payload, "log_metadata", extra);
    set_obj(&mut ev, "payload", payload);

    if let Some(mode) = &mode {
        let interface = match mode.as_str() {
            "default" => "notebook".to_string(),
            "app" => "app_preview".to_string(),
            other => super::common::snake(other),
        };
        let mut context = Map::new();
        if !interface.is_empty() {
            context.insert("interface".into(), interface.into());
        }
        set_obj(&mut ev, "context", context);
    }
    metadata.put_opt("session_mode", mode);
    metadata.put_opt("log_level", field(log, &["severity", "level"]));
    metadata.into_event(&mut ev);
    ev.insert("source".into(), source("livebook", None));
    Ok(ev)
}

/// A Livebook user `{id, name, email}` as an actor; a user without an id is known by its e-mail.
fn user(value: &Value) -> Option<Value> {
    let map = value.as_object()?;
    let mail = field(map, &["email"]);
    let id = field(map, &["id"]).or_else(|| mail.clone())?;
    Some(actor("user", &id, field(map, &["name"]), mail))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::adapters::common::testing::valid;
    use crate::event::{ActorType, Category, Outcome};

    /// The three log lines of seeds/000, verbatim.
    const SEED: &str = r#"{"message":"Evaluating code","time":"2025-10-06T19:19:19.851Z","metadata":{"code":"1 + 1","event":"code.evaluate","users":[{"id":"1","name":"Hugo Baraúna","email":"alice@email.com"}],"session_mode":"default"},"severity":"info"}
{"message":"Evaluating code","time":"2025-10-06T19:19:40.131Z","metadata":{"code":"query = from u in User, select: u.name\nRepo.all(query)","event":"code.evaluate","users":[{"id":"1","name":"Hugo Baraúna","email":"alice@email.com"}],"session_mode":"default"},"severity":"info"}
{"message":"Evaluating code","time":"2025-10-06T19:19:59.748Z","metadata":{"code":"Repo.all(Organization)","event":"code.evaluate","users":[{"id":"1","name":"Hugo Baraúna","email":"alice@email.com"}],"session_mode":"default"},"severity":"info"}
"#;

    #[test]
    fn the_seed_lines_become_code_evaluations() {
        let out = adapt(SEED);
        assert_eq!(out.records.len(), 3);
        assert!(out.skipped.is_empty() && out.unreadable.is_empty());
        assert_eq!(
            out.records.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        let e = valid(&out.records[1].event, "livebook");
        assert_eq!(e.action, "code.evaluate");
        assert_eq!(e.category, Category::Execute);
        assert_eq!(e.outcome, Outcome::Unknown);
        assert_eq!(e.occurred_at, "2025-10-06T19:19:40.131Z");
        assert_eq!(e.description.as_deref(), Some("Evaluating code"));
        assert_eq!(e.actor.kind, ActorType::User);
        assert_eq!(e.actor.id, "1");
        assert_eq!(e.actor.name.as_deref(), Some("Hugo Baraúna"));
        assert_eq!(e.actor.email.as_deref(), Some("alice@email.com"));
        assert_eq!(e.participants, vec![e.actor.clone()]);
        assert_eq!(
            e.payload,
            Some(
                json!({"code": "query = from u in User, select: u.name\nRepo.all(query)", "session_mode": "default"})
            )
        );
        assert_eq!(e.context.interface.as_deref(), Some("notebook"));
        assert_eq!(e.metadata["session_mode"], json!("default"));
        assert_eq!(e.metadata["log_level"], json!("info"));
        assert_eq!(e.source.name.as_deref(), Some("livebook"));
        assert!(e.idempotency_key.unwrap().starts_with("livebook#"));
        for r in &out.records {
            valid(&r.event, "livebook");
        }
        // The same file again yields the same keys, so the worker stores nothing twice.
        assert_eq!(adapt(SEED), out);
    }

    #[test]
    fn collaborators_multi_line_unicode_code_and_app_previews() {
        let line = json!({
            "message": "Evaluating code", "time": "2025-10-06T21:19:19.851+02:00", "severity": "info",
            "metadata": {
                "code": "# Ünïcödé ✓ 日本語 🚀\nIO.puts(\"a,b\")\n\tEnum.map([1, 2], & &1 * 2)\r\n",
                "event": "code.evaluate", "session_mode": "app", "request_id": "F1x",
                "users": [
                    {"id": "7", "name": "Zoë", "email": "zoe@corp.example"},
                    {"id": "9", "name": "Bob"}
                ]
            }
        })
        .to_string();
        let out = adapt(&line);
        let e = valid(&out.records[0].event, "livebook");
        assert_eq!(e.occurred_at, "2025-10-06T19:19:19.851Z");
        assert_eq!(e.actor.id, "7");
        assert_eq!(
            e.participants
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>(),
            vec!["7", "9"]
        );
        assert_eq!(
            e.payload.unwrap()["code"],
            json!("# Ünïcödé ✓ 日本語 🚀\nIO.puts(\"a,b\")\n\tEnum.map([1, 2], & &1 * 2)\r\n")
        );
        assert_eq!(e.context.interface.as_deref(), Some("app_preview"));
        assert_eq!(e.metadata["request_id"], json!("F1x"));
    }

    #[test]
    fn other_lines_are_counted_not_lost() {
        let body = [
            r#"{"message":"Running on port 8080","time":"2025-10-06T19:00:00.000Z","metadata":{},"severity":"info"}"#,
            "",
            "19:19:19.851 [info] Evaluating code (plain text formatter)",
            r#"{"message":"Session started","metadata":{"event":"session.start"},"severity":"info"}"#,
            r#"{"message":"Evaluating code","metadata":{"event":"code.evaluate","code":"1 +"#,
            r#"{"message":"Evaluating code","time":"tomorrow","metadata":{"event":"code.evaluate"}}"#,
            r#"{"message":"Evaluating code","metadata":{"event":"code.evaluate","code":"1 + 1"}}"#,
        ]
        .join("\n");
        let out = adapt(&body);
        let skipped: Vec<(usize, &str)> = out
            .skipped
            .iter()
            .map(|p| (p.line, p.reason.as_str()))
            .collect();
        assert_eq!(
            skipped,
            vec![
                (1, "log line without metadata.event: `Running on port 8080`"),
                (3, "not a JSON log line (plain text)"),
                (4, "metadata.event is `session.start`, not `code.evaluate`"),
            ]
        );
        assert_eq!(out.unreadable.len(), 2);
        assert_eq!(out.unreadable[0].line, 5);
        assert!(
            out.unreadable[0]
                .reason
                .starts_with("malformed JSON at column"),
            "{:?}",
            out.unreadable[0]
        );
        assert_eq!(out.unreadable[1].line, 6);
        assert!(out.unreadable[1].reason.contains("`tomorrow`"));
        assert_eq!(out.records.len(), 1);
        assert_eq!(out.records[0].line, 7);
        let e = valid(&out.records[0].event, "livebook");
        assert_eq!(e.actor.kind, ActorType::Anonymous);
        assert!(e.participants.is_empty());
    }

    #[test]
    fn identical_lines_get_distinct_keys() {
        let line = SEED.lines().next().unwrap();
        let out = adapt(&format!("{line}\n{line}\n"));
        let keys: Vec<_> = out
            .records
            .iter()
            .map(|r| r.event["idempotency_key"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(keys[1], format!("{}-2", keys[0]));
    }

    /// The seed's entry "formatted for readability", verbatim; an array of lines; and lines with a
    /// container runtime's prefix: each read as the one-line form is, with the same key.
    #[test]
    fn pretty_printed_arrays_and_prefixed_lines_are_read() {
        let pretty = r#"{
  "message": "Evaluating code",
  "time": "2025-10-06T19:19:40.131Z",
  "metadata": {
    "code": "query = from u in User, select: u.name\nRepo.all(query)",
    "event": "code.evaluate",
    "users": [
      {
        "id": "1",
        "name": "Hugo Baraúna",
        "email": "alice@email.com"
      }
    ],
    "session_mode": "default"
  },
  "severity": "info"
}"#;
        let compact: String = serde_json::from_str::<Value>(pretty).unwrap().to_string();
        let one_line = adapt(&compact);
        assert_eq!(one_line.records.len(), 1, "{one_line:?}");
        let key = &one_line.records[0].event["idempotency_key"];
        let read = adapt(pretty);
        assert!(
            read.unreadable.is_empty() && read.skipped.is_empty(),
            "{read:?}"
        );
        assert_eq!(read.records.len(), 1);
        assert_eq!(read.records[0].line, 1);
        assert_eq!(&read.records[0].event["idempotency_key"], key);
        let e = valid(&read.records[0].event, "livebook");
        assert_eq!(e.actor.name.as_deref(), Some("Hugo Baraúna"));

        let array = format!("[\n{pretty},\n{compact}\n]");
        let read = adapt(&array);
        assert_eq!(
            read.records.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 19]
        );

        let prefixed =
            format!("2025-10-06T19:19:40.131Z stdout F {compact}\nplain text with {{braces}}\n");
        let read = adapt(&prefixed);
        assert_eq!(read.records.len(), 1, "{read:?}");
        assert_eq!(&read.records[0].event["idempotency_key"], key);
        assert_eq!(read.skipped.len(), 1);
    }

    /// The seed's lines as one array on one line (`jq -c -s .`), and such an array among NDJSON
    /// lines: every entry is an event, keyed as when sent line by line.
    #[test]
    fn arrays_on_one_line_are_read() {
        let lines: Vec<&str> = SEED.lines().collect();
        let by_line = adapt(SEED);
        let keys = |out: &Adapted| -> Vec<Value> {
            out.records
                .iter()
                .map(|r| r.event["idempotency_key"].clone())
                .collect()
        };
        let array = format!("[{}]", lines.join(","));
        let read = adapt(&array);
        assert!(
            read.unreadable.is_empty() && read.skipped.is_empty(),
            "{read:?}"
        );
        assert_eq!(keys(&read), keys(&by_line));
        assert!(read.records.iter().all(|r| r.line == 1));

        let mixed = format!("{}\n[{}]\n", lines[0], lines[1..].join(","));
        let read = adapt(&mixed);
        assert!(
            read.unreadable.is_empty() && read.skipped.is_empty(),
            "{read:?}"
        );
        assert_eq!(keys(&read), keys(&by_line));
        assert_eq!(
            read.records.iter().map(|r| r.line).collect::<Vec<_>>(),
            [1, 2, 2]
        );
    }
}
