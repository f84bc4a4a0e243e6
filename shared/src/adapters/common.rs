//! Helpers every adapter needs: splitting JSON bodies into records with their line numbers, normalising
//! the timestamps the seed systems write, turning their names into `resource.verb` words, and building the
//! parts of a native event so that what an adapter emits passes validation.

use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::AdaptError;
use crate::timestamp::{check_range, format_rfc3339, parse_rfc3339};
use crate::validate::{MAX_METADATA_KEY_CHARS, MAX_METADATA_VALUE_CHARS};

/// One JSON record of a body: its line and its value, or why its line could not be parsed.
pub(crate) type JsonItem = (usize, Result<Value, String>);

/// Finds 1-based line numbers for byte offsets that only ever increase, in linear time overall.
pub(crate) struct Lines<'a> {
    body: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(body: &'a str) -> Self {
        Lines {
            body,
            offset: 0,
            line: 1,
        }
    }

    /// The line of `offset`; offsets must not decrease between calls.
    pub(crate) fn at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.body.len());
        if offset > self.offset {
            self.line += self.body.as_bytes()[self.offset..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.offset = offset;
        }
        self.line
    }

    /// The line on which `part`, a slice of the body, starts.
    pub(crate) fn of(&mut self, part: &str) -> usize {
        let offset = (part.as_ptr() as usize).saturating_sub(self.body.as_ptr() as usize);
        self.at(offset)
    }
}

/// A serde_json syntax error as an [`AdaptError`], with `line_offset` lines of the body before the text parsed.
pub(crate) fn malformed(e: &serde_json::Error, line_offset: usize) -> AdaptError {
    AdaptError::Malformed {
        line: e.line() + line_offset,
        column: e.column(),
        reason: reason_of(e),
    }
}

/// serde_json's message without its own " at line L column C" suffix (we give positions ourselves).
pub(crate) fn reason_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Splits a JSON body into records. Accepted shapes: an array of records; one object, which is either a
/// record or a wrapper holding the records in an array under one of `wrappers` (e.g. `{"events": [...]}`);
/// or NDJSON, one record per line, where a broken line is reported on its own and the others still count.
/// An object with any of `record_keys` (the fields a record of the format has) is a record even when
/// it also holds an array under a wrapper's name, such as an event's own `"data": []`.
pub(crate) fn json_records(
    body: &str,
    wrappers: &[&str],
    record_keys: &[&str],
    expected: &str,
) -> Result<Vec<JsonItem>, AdaptError> {
    let mut lines = Lines::new(body);
    match serde_json::from_str::<&RawValue>(body) {
        Ok(raw) => {
            let text = raw.get();
            if text.starts_with('[') {
                let items: Vec<&RawValue> =
                    serde_json::from_str(text).map_err(|e| malformed(&e, 0))?;
                Ok(items_with_lines(&items, &mut lines))
            } else if text.starts_with('{') {
                let map: HashMap<String, &RawValue> =
                    serde_json::from_str(text).map_err(|e| malformed(&e, 0))?;
                let is_record = record_keys.iter().any(|key| map.contains_key(*key));
                for key in wrappers.iter().filter(|_| !is_record) {
                    if let Some(inner) = map.get(*key).filter(|r| r.get().starts_with('[')) {
                        let items: Vec<&RawValue> =
                            serde_json::from_str(inner.get()).map_err(|e| malformed(&e, 0))?;
                        return Ok(items_with_lines(&items, &mut lines));
                    }
                }
                let line = lines.of(text);
                Ok(vec![(
                    line,
                    serde_json::from_str(text).map_err(|e| reason_of(&e)),
                )])
            } else {
                Err(AdaptError::WrongShape {
                    line: lines.of(text),
                    expected: expected.to_string(),
                })
            }
        }
        Err(e)
            if body.trim_start().starts_with('[')
                || first_object_spans_lines(body)
                || !looks_like_ndjson(body) =>
        {
            Err(malformed(&e, 0))
        }
        Err(_) => Ok(ndjson(body)),
    }
}

/// True when the body starts with an object that closes on a later line than it opens: one document (a
/// wrapper `{"data": [...]}` with its records on lines of their own), not NDJSON, so a syntax error in it
/// is the whole body's, as in an array, and is not left to split the records into read and unread ones.
fn first_object_spans_lines(body: &str) -> bool {
    let start = body.len() - body.trim_start().len();
    if !body[start..].starts_with('{') {
        return false;
    }
    let mut brackets = Brackets::default();
    for (i, b) in body.bytes().enumerate().skip(start) {
        if brackets.closes_all(b) {
            return body[start..i].contains('\n');
        }
    }
    false
}

/// The brackets of JSON text, counted a byte at a time outside strings: where a value that opens
/// with `{` or `[` closes, without parsing it (to tell one document from one value a line).
#[derive(Debug, Default)]
pub(crate) struct Brackets {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Brackets {
    /// Takes the next byte; true when it closes the first bracket opened.
    pub(crate) fn closes_all(&mut self, b: u8) -> bool {
        match b {
            _ if self.escaped => self.escaped = false,
            b'\\' if self.in_string => self.escaped = true,
            b'"' => self.in_string = !self.in_string,
            _ if self.in_string => {}
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                return self.depth == 0;
            }
            _ => {}
        }
        false
    }

    /// Whether the bytes taken end inside a string.
    pub(crate) fn in_string(&self) -> bool {
        self.in_string
    }

    /// How many brackets are open.
    pub(crate) fn depth(&self) -> usize {
        self.depth
    }
}

fn items_with_lines(items: &[&RawValue], lines: &mut Lines<'_>) -> Vec<JsonItem> {
    items
        .iter()
        .map(|raw| {
            (
                lines.of(raw.get()),
                serde_json::from_str(raw.get()).map_err(|e| reason_of(&e)),
            )
        })
        .collect()
}

/// True when some line of the body is a JSON object on its own: one broken line does not make a whole
/// NDJSON body unreadable, while a pretty-printed object with a syntax error is reported as one error.
fn looks_like_ndjson(body: &str) -> bool {
    body.lines().any(|line| {
        let line = line.trim();
        line.starts_with('{') && serde_json::from_str::<&RawValue>(line).is_ok()
    })
}

/// One item per non-blank line.
pub(crate) fn ndjson(body: &str) -> Vec<JsonItem> {
    body.lines()
        .enumerate()
        .filter(|(_, text)| !text.trim().is_empty())
        .map(|(i, text)| {
            let parsed = serde_json::from_str::<Value>(text)
                .map_err(|e| format!("malformed JSON at column {}: {}", e.column(), reason_of(&e)));
            (i + 1, parsed)
        })
        .collect()
}

/// Normalises the timestamps the seed systems write to RFC 3339 UTC with milliseconds: RFC 3339 with any
/// offset; `YYYY-MM-DD HH:MM:SS[.fff]` with an optional ` UTC`, `Z` or offset (no zone means UTC, as in
/// the Activity Logs CSV export); and numbers, read as epoch milliseconds, or epoch seconds when below
/// 10^11 (which as milliseconds would be March 1973).
pub(crate) fn normalize_time(value: &Value) -> Result<String, String> {
    match value {
        Value::String(text) => normalize_time_text(text),
        Value::Number(n) => {
            let millis = match (n.as_i64(), n.as_f64()) {
                (Some(i), _) if i.abs() < 100_000_000_000 => i.saturating_mul(1000),
                (Some(i), _) => i,
                (None, Some(f)) if f.abs() < 1e11 => (f * 1000.0) as i64,
                (None, Some(f)) => f as i64,
                (None, None) => return Err(format!("{n} is not a time")),
            };
            check_range(millis).map(format_rfc3339)
        }
        other => Err(format!("{other} is not a timestamp")),
    }
}

pub(crate) fn normalize_time_text(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    let mut s = trimmed
        .strip_suffix(" UTC")
        .or_else(|| trimmed.strip_suffix(" GMT"))
        .unwrap_or(trimmed)
        .to_string();
    if s.len() > 10 && s.as_bytes()[10] == b' ' && s.is_char_boundary(11) {
        s.replace_range(10..11, "T");
    }
    let has_zone = s.len() > 19
        && (s.ends_with(['Z', 'z']) || s.get(19..).is_some_and(|t| t.contains(['+', '-'])));
    if !has_zone {
        s.push('Z');
    }
    parse_rfc3339(&s)
        .map(format_rfc3339)
        .map_err(|_| format!("`{text}` is not a timestamp like `2024-06-12T14:30:22Z`"))
}

/// `camelCase`, `PascalCase`, `SCREAMING_CASE`, `kebab-case` or spaced words as lowercase `snake_case`
/// made only of the characters an action may hold.
pub(crate) fn snake(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// `resource.verb` from two names, each made snake case; empty parts become `unknown`.
pub(crate) fn action(resource: &str, verb: &str) -> String {
    let part = |s: &str| {
        let s = snake(s);
        if s.is_empty() {
            "unknown".to_string()
        } else {
            s
        }
    };
    format!("{}.{}", part(resource), part(verb))
}

/// Mirrors the validator's e-mail check, so an adapter leaves out what it would refuse.
pub(crate) fn email(text: &str) -> Option<String> {
    let text = text.trim();
    let (local, domain) = text.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !text.contains(char::is_whitespace);
    ok.then(|| text.to_string())
}

/// The first address in an IP text (a bare address, or a forwarded-for list), normalised.
pub(crate) fn ip(text: &str) -> Option<String> {
    text.split(',')
        .map(str::trim)
        .find_map(|part| part.parse::<IpAddr>().ok())
        .map(|addr| addr.to_string())
}

/// A non-empty string from a JSON value: strings as they are (trimmed), numbers as text; `null` and
/// the text `null` as none.
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if s.trim().is_empty() || s == "null" => None,
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The first of `keys` present in `map` as text.
pub(crate) fn field(map: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| text(map.get(*k)))
}

/// The first of `keys` present in `map` and not null.
pub(crate) fn raw_field<'m>(map: &'m Map<String, Value>, keys: &[&str]) -> Option<&'m Value> {
    keys.iter()
        .find_map(|k| map.get(*k))
        .filter(|v| !v.is_null())
}

/// A JSON value that may have been stored as a JSON string (Langfuse's `before`/`after`, Lowcoder's
/// `details`): the parsed value when the string holds JSON, otherwise the value as it is.
pub(crate) fn maybe_json(value: &Value) -> Value {
    match value {
        Value::String(s) => {
            let t = s.trim_start();
            if t.starts_with(['{', '[', '"']) || t == "null" {
                serde_json::from_str(s).unwrap_or_else(|_| value.clone())
            } else {
                value.clone()
            }
        }
        other => other.clone(),
    }
}

/// Builds the flat `metadata` map, leaving out what validation would refuse (blank keys, keys over 40
/// characters, strings over 500, more than 50 keys). What it leaves out is kept elsewhere by the callers (payload).
#[derive(Default)]
pub(crate) struct Meta(Map<String, Value>);

impl Meta {
    /// Puts `key`; false when validation would refuse it, so the caller can keep it elsewhere.
    pub(crate) fn put(&mut self, key: &str, value: impl Into<Value>) -> bool {
        let value = value.into();
        let fits = match &value {
            Value::String(s) => !s.is_empty() && s.chars().count() <= MAX_METADATA_VALUE_CHARS,
            Value::Array(_) | Value::Object(_) => false,
            _ => true,
        };
        if fits
            && !key.trim().is_empty()
            && key.chars().count() <= MAX_METADATA_KEY_CHARS
            && self.0.len() < crate::validate::MAX_METADATA_KEYS
        {
            self.0.insert(key.to_string(), value);
            return true;
        }
        false
    }

    pub(crate) fn put_opt(&mut self, key: &str, value: Option<String>) {
        if let Some(v) = value {
            self.put(key, v);
        }
    }

    /// Sets `metadata` on the event when anything was put.
    pub(crate) fn into_event(self, event: &mut Map<String, Value>) {
        if !self.0.is_empty() {
            event.insert("metadata".into(), Value::Object(self.0));
        }
    }
}

/// Sets `key` on `map` to a string when there is one.
pub(crate) fn set(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(v) = value {
        map.insert(key.into(), Value::String(v));
    }
}

/// Sets `key` on `event` to `obj` when `obj` has anything in it.
pub(crate) fn set_obj(event: &mut Map<String, Value>, key: &str, obj: Map<String, Value>) {
    if !obj.is_empty() {
        event.insert(key.into(), Value::Object(obj));
    }
}

/// `{"name": <system>}` for `source`; the worker adds `format`.
pub(crate) fn source(name: &str, version: Option<String>) -> Value {
    let mut map = Map::new();
    map.insert("name".into(), name.into());
    set(&mut map, "version", version);
    Value::Object(map)
}

/// An actor object.
pub(crate) fn actor(kind: &str, id: &str, name: Option<String>, mail: Option<String>) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), kind.into());
    map.insert("id".into(), id.into());
    set(&mut map, "name", name);
    set(&mut map, "email", mail.as_deref().and_then(email));
    Value::Object(map)
}

/// A target object.
pub(crate) fn target(kind: &str, id: &str, name: Option<String>) -> Value {
    let mut map = Map::new();
    map.insert("type".into(), kind.into());
    map.insert("id".into(), id.into());
    set(&mut map, "name", name);
    Value::Object(map)
}

/// Idempotency keys for systems whose events carry no id: `<format>#<hash>`, a SHA-256 of the record's
/// own text (128 bits, in hex), numbered when the same text occurs again in one body.
///
/// Two records with one key are one event to the sequencer: the second is answered as a duplicate and
/// not stored. The text is the sender's (a notebook's code, a CSV row), so the hash must be one no
/// one can make collide on purpose; and `#` keeps these keys apart from `<format>:<id>`, the keys of
/// systems that give ids, whatever an id holds.
#[derive(Default)]
pub(crate) struct DerivedKeys(HashMap<String, u32>);

impl DerivedKeys {
    pub(crate) fn key(&mut self, format: &str, content: &str) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(content.as_bytes());
        let hash = crate::chain::hex(&digest[..16]);
        let n = self.0.entry(hash.clone()).or_insert(0);
        *n += 1;
        match *n {
            1 => format!("{format}#{hash}"),
            n => format!("{format}#{hash}-{n}"),
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Runs adapter output through the real validator, as the worker will.

    use serde_json::Value;

    use crate::event::Event;
    use crate::validate::{validate_event, Stamp};

    /// Validates one produced event; panics with every field error when it is refused.
    pub(crate) fn valid(event: &Value, format: &str) -> Event {
        let stamp = Stamp {
            tenant: "acme",
            id: "0190c8a8-0000-7000-8000-000000000000".into(),
            received_at: 1_700_000_000_000,
            format,
        };
        match validate_event(event, stamp) {
            Ok(e) => e,
            Err(errors) => panic!("{format} produced an invalid event {event:#}: {errors:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn snake_case_from_every_naming_style() {
        assert_eq!(snake("setLabel"), "set_label");
        assert_eq!(snake("llmApiKey"), "llm_api_key");
        assert_eq!(snake("APIKey"), "api_key");
        assert_eq!(snake("DATA_SOURCE"), "data_source");
        assert_eq!(snake("Annotation Queue Item"), "annotation_queue_item");
        assert_eq!(snake("blob-storage"), "blob_storage");
        assert_eq!(action("", "x"), "unknown.x");
    }

    #[test]
    fn times_in_the_seed_systems_shapes() {
        let t = |v: Value| normalize_time(&v);
        assert_eq!(
            t(json!("2024-06-12 14:30:22")).unwrap(),
            "2024-06-12T14:30:22.000Z"
        );
        assert_eq!(
            t(json!("2024-06-12 14:30:22 UTC")).unwrap(),
            "2024-06-12T14:30:22.000Z"
        );
        assert_eq!(
            t(json!("2024-06-12T16:30:22.5+02:00")).unwrap(),
            "2024-06-12T14:30:22.500Z"
        );
        assert_eq!(
            t(json!("2024-06-12T14:30:22")).unwrap(),
            "2024-06-12T14:30:22.000Z"
        );
        assert_eq!(
            t(json!(1737070174212_i64)).unwrap(),
            "2025-01-16T23:29:34.212Z"
        );
        assert_eq!(t(json!(1718202622)).unwrap(), "2024-06-12T14:30:22.000Z");
        assert!(t(json!("yesterday")).unwrap_err().contains("`yesterday`"));
        assert!(t(json!(true)).is_err());
    }

    #[test]
    fn json_bodies_split_with_real_line_numbers() {
        let array = "[\n {\"a\": 1},\n\n {\"a\": 2}\n]";
        let items = json_records(array, &[], &[], "x").unwrap();
        assert_eq!(
            items.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            vec![2, 4]
        );
        let wrapped = "{\"data\": [\n{\"a\": 1}]}";
        assert_eq!(
            json_records(wrapped, &["data"], &["event"], "x").unwrap()[0].0,
            2
        );
        // A record with its own `data` array is one record, not a wrapper of none.
        let record = "{\"event\": \"x\", \"data\": []}";
        let items = json_records(record, &["data"], &["event"], "x").unwrap();
        assert_eq!(items.len(), 1);
        assert!(items[0].1.as_ref().unwrap()["event"] == "x");
        let nd = "{\"a\": 1}\n{broken\n\n{\"a\": 3}\n";
        let items = json_records(nd, &[], &[], "x").unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].0, 2);
        assert!(items[1].1.as_ref().unwrap_err().contains("column 2"));
        assert_eq!(items[2].0, 4);
        let pretty_broken = "{\n  \"a\": 1,\n  \"b\": \n}";
        assert!(matches!(
            json_records(pretty_broken, &[], &[], "x"),
            Err(AdaptError::Malformed { line: 4, .. })
        ));
        assert!(matches!(
            json_records("42", &[], &[], "records"),
            Err(AdaptError::WrongShape { line: 1, .. })
        ));
    }

    /// A wrapper with its records on lines of their own is one document: one broken record makes the
    /// whole body unreadable at the error's line and column, as in an array, instead of some records
    /// being stored and the others reported unreadable.
    #[test]
    fn a_wrapper_with_a_broken_record_is_one_error() {
        let body = "{\"data\": [\n{\"id\":\"a\",\"event\":\"x\"},\n{\"id\":\"b\",\"event\":\"y\",},\n{\"id\":\"c\",\"event\":\"z\"}\n]}";
        let err = json_records(body, &["data"], &["event"], "x").unwrap_err();
        let AdaptError::Malformed { line, column, .. } = &err else {
            panic!("{err:?}")
        };
        // The `}` after record b's trailing comma.
        assert_eq!((*line, *column), (3, 23), "{err}");
        assert!(first_object_spans_lines(body));
        assert!(!first_object_spans_lines("{\"a\": \"}\\\"{\"}\n{broken"));
        assert!(!first_object_spans_lines("[\n{}\n]"));
    }

    #[test]
    fn derived_keys_number_repeats() {
        let mut keys = DerivedKeys::default();
        let a = keys.key("activity", "row");
        // SHA-256("row"), its first 128 bits.
        assert_eq!(a, "activity#634768dae1474506e4bf7d341890542b");
        assert_eq!(keys.key("activity", "row"), format!("{a}-2"));
        assert_ne!(keys.key("activity", "other"), a);
        assert_eq!(DerivedKeys::default().key("activity", "row"), a);
    }

    #[test]
    fn meta_leaves_out_what_validation_refuses() {
        let mut m = Meta::default();
        m.put("ok", "v");
        m.put(&"k".repeat(41), "v");
        assert!(!m.put(" ", "v"));
        m.put("long", "x".repeat(501));
        m.put("nested", json!({"a": 1}));
        let mut event = Map::new();
        m.into_event(&mut event);
        assert_eq!(event["metadata"], json!({"ok": "v"}));
    }
}
