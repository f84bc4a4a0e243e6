//! Livebook's JSON log lines (seeds/000), with `LIVEBOOK_LOG_FORMAT=json` and
//! `LIVEBOOK_LOG_METADATA="users,code,session_mode,event"`:
//! `{"message", "time", "metadata": {"code", "event", "users": [{id, name, email}], "session_mode"}, "severity"}`.
//!
//! The body is read line by line (NDJSON, as a log aggregator ships it); a line may carry a prefix
//! before its JSON (`2025-10-06T19:19:19Z stdout F {...}`, as container runtimes write), and may hold
//! an array of log lines. An object or array that opens on a line and closes on a later one (the
//! seed's readable form, `jq .` output, one or many in a row) is read whole, each log line at the
//! line of its opening brace. Mapping of a line whose `metadata.event` is `code.evaluate`:
//! - `action` = `code.evaluate` (category `execute`); `outcome` stays `unknown`, because Livebook logs the
//!   evaluation as it starts, not how it ended;
//! - `occurred_at` = `time`; `description` = `message`;
//! - `actor` = the first of `metadata.users` (`type: user`), `participants` = all of them, since every user
//!   in a collaborative session saw the code run; no users (Livebook without authentication) gives the
//!   actor `{type: anonymous, id: anonymous}`. A user's id is its `id`, else its `email`, else its
//!   `name`; users not held whole by the actors (no id, e-mail or name; other keys) stay in `payload.users`;
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
//! Other JSON lines are skipped (with their `metadata.event`), so are plain-text lines (braces in them,
//! `{braces}` or `[info]`, open no JSON); JSON that does not parse, after a prefix too, is unreadable.

use serde_json::{Map, Value};

use super::common::{
    self, actor, field, json_records, normalize_time, reason_of, set, set_obj, source, Brackets,
    DerivedKeys, Lines, Meta,
};
use super::{AdaptError, Adapted};

const EVENT: &str = "code.evaluate";
/// `metadata` keys this adapter maps itself.
const MAPPED: &[&str] = &["code", "event", "users", "session_mode"];

pub(super) fn adapt(body: &str) -> Adapted {
    let mut out = Adapted::default();
    let mut keys = DerivedKeys::default();
    let mut lines = Lines::new(body);
    let mut offset = 0;
    // Bytes the search for multi-line entries may read in all ([`multi_line_end`]): each entry found
    // is read once, but a line that opens one and never closes it can send the search to the end of
    // the body, and a body of such lines, each nested deeper, would take quadratic time.
    let mut scan_budget = body.len().saturating_mul(4);
    while offset < body.len() {
        let end = body[offset..].find('\n').map_or(body.len(), |i| offset + i);
        let line = &body[offset..end];
        let n = lines.at(offset);
        let lead = line.len() - line.trim_start().len();
        let text = line.trim();
        let next = (end + 1).min(body.len());
        if text.is_empty() {
            offset = next;
            continue;
        }
        // The whole line is JSON: one log line, or a batch of them as an array.
        if let Ok(value @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str(text) {
            read_value(&mut out, &mut keys, n, value);
            offset = next;
            continue;
        }
        let Some(at) = (if text.starts_with('{') {
            Some(0)
        } else {
            json_start(text)
        }) else {
            out.skip(n, "not a JSON log line (plain text)");
            offset = next;
            continue;
        };
        // A pretty-printed log line (`jq .`), or an array of them, opening on this line.
        if at == 0 {
            if let Some(span_end) = multi_line_end(body, offset + lead, &mut scan_budget) {
                read_span(&mut out, &mut keys, n, &body[offset + lead..span_end]);
                offset = span_end;
                continue;
            }
        }
        // The JSON after a prefix (`2025-10-06T19:19:19Z stdout F {...}`), or a broken line.
        let json = &text[at..];
        match serde_json::from_str::<Value>(json) {
            Ok(value) => read_value(&mut out, &mut keys, n, value),
            // Plain text quoting some JSON (`got {"a": 1} back`), not a log line cut short.
            Err(_) if at > 0 && starts_with_json_value(json) => {
                out.skip(n, "not a JSON log line (plain text)")
            }
            Err(e) => out.unreadable(
                n,
                format!(
                    "malformed JSON at column {}: {}",
                    text[..at].chars().count() + e.column(),
                    reason_of(&e)
                ),
            ),
        }
        offset = next;
    }
    out
}

/// Reads one JSON value of a line: a log line, or an array of log lines.
fn read_value(out: &mut Adapted, keys: &mut DerivedKeys, n: usize, value: Value) {
    match value {
        Value::Object(log) => read_log(out, keys, n, log),
        Value::Array(logs) => {
            for log in logs {
                match log {
                    Value::Object(log) => read_log(out, keys, n, log),
                    _ => out.unreadable(n, "a JSON log line must be an object"),
                }
            }
        }
        _ => out.unreadable(n, "a JSON log line must be an object"),
    }
}

/// Reads a JSON object or array spanning lines from `n` on: each log line at the line of its own
/// opening brace, or one unreadable part at `n` naming the line and column at fault.
fn read_span(out: &mut Adapted, keys: &mut DerivedKeys, n: usize, span: &str) {
    match json_records(span, &[], &[], "JSON log lines") {
        Ok(items) => {
            for (line, item) in items {
                let line = n + line - 1;
                match item {
                    Ok(Value::Object(log)) => read_log(out, keys, line, log),
                    Ok(_) => out.unreadable(line, "a JSON log line must be an object"),
                    Err(reason) => out.unreadable(line, reason),
                }
            }
        }
        Err(AdaptError::Malformed {
            line,
            column,
            reason,
        }) => out.unreadable(
            n,
            format!(
                "malformed JSON at line {}, column {column}: {reason}",
                n + line - 1
            ),
        ),
        Err(e) => out.unreadable(n, e.to_string()),
    }
}

/// Where a line's JSON starts after a prefix: the first `{` or `[` followed by what opens an object
/// or array (a quote, a bracket, or the line's end), so that `[info]` or `{braces}` in plain text are
/// not taken for JSON.
fn json_start(text: &str) -> Option<usize> {
    text.match_indices(['{', '[']).map(|(i, _)| i).find(|&i| {
        text[i + 1..]
            .trim_start()
            .chars()
            .next()
            .is_none_or(|c| matches!(c, '"' | '{' | '}' | '[' | ']'))
    })
}

/// True when `json` starts with a whole JSON value (something follows it).
fn starts_with_json_value(json: &str) -> bool {
    let mut values = serde_json::Deserializer::from_str(json).into_iter::<Value>();
    matches!(values.next(), Some(Ok(_)))
}

/// The end of the object or array opening at byte `start` of the body, when it closes on a later line
/// (brackets counted outside strings). None when it closes on its own line or never, when a string runs
/// past the end of a line (which JSON does not allow), or when a later line no further indented opens
/// another object or array before it closes (other than an element of an array opened here): then its
/// line was cut short, and the lines after it are read on their own. The last rule also keeps the scan from running to the body's end for every
/// broken line of a long log; `budget` (bytes left to read, taken from) bounds what it cannot.
fn multi_line_end(body: &str, start: usize, budget: &mut usize) -> Option<usize> {
    let indent = start - body[..start].rfind('\n').map_or(0, |i| i + 1);
    let in_array = body[start..].starts_with('[');
    let mut brackets = Brackets::default();
    // Leading whitespace seen so far on the current line; None once past it.
    let mut line_indent: Option<usize> = None;
    for (i, b) in body[start..].bytes().enumerate() {
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        if let Some(width) = line_indent {
            match b {
                b' ' | b'\t' => {
                    line_indent = Some(width + 1);
                    continue;
                }
                // An array's elements may start at its own indentation.
                b'{' | b'[' if width <= indent && !(in_array && brackets.depth() == 1) => {
                    return None
                }
                _ => line_indent = None,
            }
        }
        match b {
            b'\n' if brackets.in_string() => return None,
            b'\n' => line_indent = Some(0),
            _ if brackets.closes_all(b) => {
                let end = start + i;
                return body[start..end].contains('\n').then_some(end + 1);
            }
            _ => {}
        }
    }
    None
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

    let sent_users = meta.get("users").filter(|u| !u.is_null());
    let users: Vec<Value> = sent_users
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
    // Users the actors do not hold whole (no id, e-mail or name, other keys, users not a list) are
    // kept as sent.
    if let Some(sent) =
        sent_users.filter(|u| !u.as_array().is_some_and(|l| l.iter().all(read_whole)))
    {
        payload.insert("users".into(), sent.clone());
    }
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
            other => common::snake(other),
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

/// A Livebook user `{id, name, email}` as an actor; a user without an id is known by its e-mail, or
/// else by its name, as the Activity Logs adapter knows users sent as bare names (`user: "Ann"`).
fn user(value: &Value) -> Option<Value> {
    let map = value.as_object()?;
    let mail = field(map, &["email"]);
    let name = field(map, &["name"]);
    let id = field(map, &["id"])
        .or_else(|| mail.clone())
        .or_else(|| name.clone())?;
    Some(actor("user", &id, name, mail))
}

/// True when [`user`] keeps all of a user: an object of `id`, `name` and `email` only, whose e-mail
/// is one.
fn read_whole(value: &Value) -> bool {
    let Some(map) = value.as_object() else {
        return false;
    };
    let mail_ok = match map.get("email") {
        None | Some(Value::Null) => true,
        Some(mail) => common::text(Some(mail)).is_none_or(|m| common::email(&m).is_some()),
    };
    user(value).is_some()
        && mail_ok
        && map.iter().all(|(k, v)| {
            matches!(k.as_str(), "id" | "name" | "email") && !v.is_array() && !v.is_object()
        })
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

    /// Lines that each open an object, each nested deeper, never closing: every line is reported,
    /// and the search for where each closes reads at most a few times the body in all (without that
    /// bound, each line's search ran to the end of the body: cubic in the lines).
    #[test]
    fn lines_that_never_close_are_each_reported_in_bounded_time() {
        let body: String = (0..2_000)
            .map(|i| format!("{}{{\n", " ".repeat(i)))
            .collect();
        let read = adapt(&body);
        assert!(read.records.is_empty());
        assert_eq!(
            read.unreadable.len() + read.skipped.len(),
            2_000,
            "{:?}",
            &read.unreadable[..3]
        );
        let mut budget = body.len() * 4;
        while multi_line_end(&body, 0, &mut budget).is_none() && budget > 0 {}
        assert_eq!(budget, 0, "the searches stop once the budget is spent");
    }

    /// The seed's readable form repeated (`jq .` over a log): each object is an event at the line of
    /// its opening brace, among one-line and prefixed lines; a broken one is one unreadable part
    /// naming its line, and the lines after it are still read.
    #[test]
    fn pretty_printed_lines_in_a_row_are_each_read() {
        let pretty: Vec<String> = SEED
            .lines()
            .map(|l| {
                serde_json::to_string_pretty(&serde_json::from_str::<Value>(l).unwrap()).unwrap()
            })
            .collect();
        let height = pretty[0].lines().count();
        assert_eq!(height, 17);
        let by_line = adapt(SEED);
        let body = format!(
            "{}
{}

{}
",
            pretty[0], pretty[1], pretty[2]
        );
        let read = adapt(&body);
        assert!(
            read.unreadable.is_empty() && read.skipped.is_empty(),
            "{read:?}"
        );
        assert_eq!(
            read.records.iter().map(|r| r.line).collect::<Vec<_>>(),
            [1, 18, 36]
        );
        let keys = |out: &Adapted| -> Vec<Value> {
            out.records
                .iter()
                .map(|r| r.event["idempotency_key"].clone())
                .collect()
        };
        assert_eq!(keys(&read), keys(&by_line));

        let one_line = SEED.lines().nth(1).unwrap();
        let broken = pretty[2].replacen("\"event\"", "event", 1);
        let body = format!(
            "{}\n{one_line}\n{broken}\n2025-10-06T19:19:19Z stdout F {one_line}\n{}\n",
            pretty[0], pretty[1]
        );
        let read = adapt(&body);
        assert_eq!(
            read.records.iter().map(|r| r.line).collect::<Vec<_>>(),
            [1, 18, 36, 37]
        );
        assert!(read.skipped.is_empty(), "{read:?}");
        assert_eq!(read.unreadable.len(), 1, "{read:?}");
        assert_eq!(read.unreadable[0].line, 19);
        assert!(
            read.unreadable[0]
                .reason
                .starts_with("malformed JSON at line 23, column 5: key must be a string"),
            "{:?}",
            read.unreadable[0]
        );

        // A line cut short before the one-line log lines after it does not take them in, though a
        // stray `]}}` later closes its brackets.
        let body = format!("{{\"message\":\"x\",\"metadata\":{{\"users\":[\n{SEED}]}}}}\n");
        let read = adapt(&body);
        assert_eq!(keys(&read), keys(&by_line));
        assert_eq!(
            read.unreadable.iter().map(|p| p.line).collect::<Vec<_>>(),
            [1]
        );
        assert_eq!(read.skipped.iter().map(|p| p.line).collect::<Vec<_>>(), [5]);
    }

    /// A log line cut short after a container runtime's prefix is an unreadable audit line, not
    /// plain text; braces in plain text, and JSON quoted inside it, still are plain text.
    #[test]
    fn a_cut_off_line_after_a_prefix_is_unreadable() {
        let body = [
            r#"2025-10-06T19:19:19Z stdout F {"message":"Evaluating code","metadata":{"event":"code.evaluate","code":"1 +"#,
            r#"2025-10-06T19:19:19Z stdout F [{"message":"Evaluating code","metadata":{"event":"code.evaluate"}},"#,
            "plain text with {braces} and [info]",
            r#"the server answered {"ok": true} at once"#,
        ]
        .join("\n");
        let out = adapt(&body);
        assert!(out.records.is_empty(), "{out:?}");
        let unreadable: Vec<(usize, &str)> = out
            .unreadable
            .iter()
            .map(|p| (p.line, p.reason.as_str()))
            .collect();
        assert_eq!(unreadable.len(), 2, "{out:?}");
        assert_eq!(unreadable[0].0, 1);
        assert!(
            unreadable[0]
                .1
                .starts_with("malformed JSON at column 106: EOF while parsing a string"),
            "{unreadable:?}"
        );
        assert_eq!(unreadable[1].0, 2);
        assert!(
            unreadable[1].1.contains("EOF while parsing"),
            "{unreadable:?}"
        );
        assert_eq!(
            out.skipped.iter().map(|p| p.line).collect::<Vec<_>>(),
            [3, 4]
        );
    }

    /// A user known only by name is a participant with the name as its id, as the Activity Logs
    /// adapter reads a bare name; users the actors cannot hold whole stay in the payload as sent.
    #[test]
    fn users_known_only_by_name_are_kept() {
        let line = |users: Value| {
            json!({"message": "Evaluating code", "time": "2025-10-06T19:19:19.851Z",
                   "metadata": {"event": "code.evaluate", "code": "1", "users": users}})
            .to_string()
        };
        let out = adapt(&line(json!([{"id": "7", "name": "Zoë"}, {"name": "Bob"}])));
        let e = valid(&out.records[0].event, "livebook");
        assert_eq!(
            e.participants
                .iter()
                .map(|p| (p.id.as_str(), p.name.as_deref()))
                .collect::<Vec<_>>(),
            vec![("7", Some("Zoë")), ("Bob", Some("Bob"))]
        );
        assert!(e.payload.unwrap().get("users").is_none());

        let out = adapt(&line(json!([{"name": "Bob"}, {"role": "owner"}])));
        let e = valid(&out.records[0].event, "livebook");
        assert_eq!(e.actor.id, "Bob");
        assert_eq!(e.participants.len(), 1);
        assert_eq!(
            e.payload.unwrap()["users"],
            json!([{"name": "Bob"}, {"role": "owner"}])
        );

        let out = adapt(&line(json!({"id": "7"})));
        let e = valid(&out.records[0].event, "livebook");
        assert_eq!(e.actor.kind, ActorType::Anonymous);
        assert_eq!(e.payload.unwrap()["users"], json!({"id": "7"}));
    }
}
