//! The walk over an event: [`redact`] visits the sender-shaped fields, replaces values under secret keys
//! whole, hands every other string to the scanner, and records the JSON pointer of each value it
//! changed. A pointer is only built for values that were redacted, so a clean event costs no allocation.

use std::fmt::Write as _;

use serde_json::Value;

use super::detectors::is_card_number;
use super::keys::{builtin_kind, pattern_matches, with_normalized, KeyKind};
use super::rules::{Detector, RedactionRules};
use super::REDACTED;
use crate::event::Event;
use crate::validate::escape;

/// Redacts `event` in place following `rules` and records in `event.redacted` the sorted, deduplicated
/// JSON pointers (from the event root) of every value it changed. `changes.changed_fields` is left alone:
/// it was computed from the originals and names fields, not values.
pub fn redact(event: &mut Event, rules: &RedactionRules) {
    let cx = Redactor::new(rules);
    let mut found = Vec::new();
    if let Some(payload) = event.payload.as_mut() {
        cx.walk(payload, &Path::root("payload"), &mut found);
    }
    let metadata = Path::root("metadata");
    for (key, value) in event.metadata.iter_mut() {
        cx.member(key, value, &metadata, &mut found);
    }
    if let Some(changes) = event.changes.as_mut() {
        let root = Path::root("changes");
        if let Some(before) = changes.before.as_mut() {
            cx.walk(before, &root.key("before"), &mut found);
        }
        if let Some(after) = changes.after.as_mut() {
            cx.walk(after, &root.key("after"), &mut found);
        }
    }
    if let Some(error) = event.error.as_mut() {
        cx.text(
            &mut error.message,
            &Path::root("error").key("message"),
            &mut found,
        );
    }
    if let Some(description) = event.description.as_mut() {
        cx.text(description, &Path::root("description"), &mut found);
    }
    if let Some(changes) = event.changes.as_mut() {
        hide_redacted_keys(&mut changes.changed_fields, &found);
    }
    if !found.is_empty() {
        event.redacted.append(&mut found);
    }
    if !event.redacted.is_empty() {
        event.redacted.sort_unstable();
        event.redacted.dedup();
    }
}

/// `changed_fields` was computed from the originals, and a pointer under a value redacted whole
/// names that value's keys: `/api_keys/sk_live_…` under a redacted `api_keys` would store the very
/// secret. Such pointers stop at the redacted value (`/api_keys`), which did change.
fn hide_redacted_keys(changed_fields: &mut Vec<String>, redacted: &[String]) {
    let sides = ["/changes/before", "/changes/after"];
    let whole: Vec<&str> = redacted
        .iter()
        .filter_map(|p| sides.iter().find_map(|side| p.strip_prefix(side)))
        .filter(|p| !p.is_empty())
        .collect();
    if whole.is_empty() {
        return;
    }
    let mut touched = false;
    for field in changed_fields.iter_mut() {
        let under = whole.iter().find(|w| {
            field.len() > w.len() && field.starts_with(**w) && field.as_bytes()[w.len()] == b'/'
        });
        if let Some(w) = under {
            *field = (*w).to_string();
            touched = true;
        }
    }
    if touched {
        changed_fields.sort_unstable();
        changed_fields.dedup();
    }
}

/// One step from the event root, kept on the stack while walking so that a pointer string is only built
/// for values that were redacted.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

impl<'a> Path<'a> {
    fn root(name: &'static str) -> Path<'static> {
        Path {
            parent: None,
            seg: Seg::Key(name),
        }
    }

    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    fn pointer(&self) -> String {
        let mut segs = Vec::new();
        let mut at = Some(self);
        while let Some(path) = at {
            segs.push(path.seg);
            at = path.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            out.push('/');
            match seg {
                Seg::Key(key) => out.push_str(&escape(key)),
                Seg::Index(i) => {
                    let _ = write!(out, "{i}");
                }
            }
        }
        out
    }
}

/// The rules of one call, with the detector switches resolved once.
pub(super) struct Redactor<'r> {
    pub(super) rules: &'r RedactionRules,
    on: u16,
}

impl<'r> Redactor<'r> {
    fn new(rules: &'r RedactionRules) -> Self {
        let mut on = u16::MAX;
        for name in &rules.disabled_detectors {
            if let Some(d) = Detector::parse(name) {
                on &= !d.bit();
            }
        }
        Redactor { rules, on }
    }

    pub(super) fn on(&self, d: Detector) -> bool {
        self.on & d.bit() != 0
    }

    fn walk(&self, value: &mut Value, path: &Path<'_>, found: &mut Vec<String>) {
        match value {
            Value::String(s) => self.text(s, path, found),
            Value::Number(n) => {
                if self.on(Detector::CardNumber) && is_card_number(n) {
                    *value = Value::String(REDACTED.to_string());
                    found.push(path.pointer());
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let child = Path {
                        parent: Some(path),
                        seg: Seg::Index(i),
                    };
                    self.walk(item, &child, found);
                }
            }
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    self.member(key, item, path, found);
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }

    /// One object member: replaced whole when its key is secret, walked otherwise.
    fn member(&self, key: &str, value: &mut Value, parent: &Path<'_>, found: &mut Vec<String>) {
        let path = parent.key(key);
        let whole = match self.classify(key.as_bytes()) {
            KeyKind::Plain => false,
            KeyKind::Secret => true,
            KeyKind::SecretUnlessNumber => !value.is_number(),
        };
        if !whole {
            return self.walk(value, &path, found);
        }
        let hides_nothing = match value {
            Value::Null | Value::Bool(_) => true,
            Value::String(s) => s.is_empty() || s == REDACTED,
            _ => false,
        };
        if !hides_nothing {
            *value = Value::String(REDACTED.to_string());
            found.push(path.pointer());
        }
    }

    fn text(&self, s: &mut String, path: &Path<'_>, found: &mut Vec<String>) {
        if let Some(clean) = self.scan(s) {
            *s = clean;
            found.push(path.pointer());
        }
    }

    pub(super) fn classify(&self, key: &[u8]) -> KeyKind {
        let rules = self.rules;
        if !rules.allowed_keys.is_empty() || !rules.extra_keys.is_empty() {
            let tenant = with_normalized(key, |key| {
                if rules.allowed_keys.iter().any(|p| pattern_matches(key, p)) {
                    Some(KeyKind::Plain)
                } else if rules.extra_keys.iter().any(|p| pattern_matches(key, p)) {
                    Some(KeyKind::Secret)
                } else {
                    None
                }
            });
            if let Some(kind) = tenant {
                return kind;
            }
        }
        builtin_kind(key)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::redact::testing::{event, payload};

    #[test]
    fn null_booleans_and_empty_strings_under_secret_keys_hide_nothing() {
        let input = json!({"password": null, "secret": false, "token": "", "api_key": REDACTED});
        assert_eq!(payload(input.clone()), (input, vec![]));
    }

    #[test]
    fn nested_objects_and_arrays_are_walked_with_escaped_pointers() {
        let (out, pointers) = payload(json!({
            "db": {"replicas": [{"host": "a", "password": "x"}, {"host": "b"}, "Bearer abcdef123456"]},
            "a/b": {"token": "t"},
            "c~d": "key AKIAIOSFODNN7EXAMPLE"
        }));
        assert_eq!(
            out,
            json!({
                "db": {"replicas": [{"host": "a", "password": REDACTED}, {"host": "b"}, "Bearer [REDACTED]"]},
                "a/b": {"token": REDACTED},
                "c~d": "key [REDACTED]"
            })
        );
        assert_eq!(
            pointers,
            [
                "/payload/a~1b/token",
                "/payload/c~0d",
                "/payload/db/replicas/0/password",
                "/payload/db/replicas/2"
            ]
        );
    }

    #[test]
    fn every_covered_field_is_redacted_and_changed_fields_are_left_alone() {
        let mut e = event(json!({
            "description": "rotated key ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "error": {"code": "E1", "message": "connect failed: postgres://app:s3cret@db:5432/x"},
            "metadata": {"api_key": "k1", "region": "eu", "card": 4111111111111111u64},
            "changes": {
                "before": {"token": "old", "name": "a"},
                "after": {"token": "new", "name": "b"},
                "changed_fields": ["/name", "/token"]
            },
            "payload": {"code": "x = 1"},
            "redacted": ["/payload/earlier", "/metadata/api_key"]
        }));
        redact(&mut e, &RedactionRules::default());
        assert_eq!(e.description.as_deref(), Some("rotated key [REDACTED]"));
        assert_eq!(
            e.error.as_ref().unwrap().message,
            "connect failed: postgres://app:[REDACTED]@db:5432/x"
        );
        assert_eq!(
            serde_json::to_value(&e.metadata).unwrap(),
            json!({"api_key": REDACTED, "region": "eu", "card": REDACTED})
        );
        let changes = e.changes.as_ref().unwrap();
        assert_eq!(
            changes.before,
            Some(json!({"token": REDACTED, "name": "a"}))
        );
        assert_eq!(changes.after, Some(json!({"token": REDACTED, "name": "b"})));
        assert_eq!(changes.changed_fields, ["/name", "/token"]);
        assert_eq!(e.payload, Some(json!({"code": "x = 1"})));
        assert_eq!(
            e.redacted,
            [
                "/changes/after/token",
                "/changes/before/token",
                "/description",
                "/error/message",
                "/metadata/api_key",
                "/metadata/card",
                "/payload/earlier"
            ]
        );
    }

    #[test]
    fn redacting_twice_changes_nothing_more() {
        let mut e = event(json!({"payload": {"password": "x", "code": "token = \"abc\""}}));
        redact(&mut e, &RedactionRules::default());
        let once = e.clone();
        redact(&mut e, &RedactionRules::default());
        assert_eq!(e, once);
        assert_eq!(e.redacted, ["/payload/code", "/payload/password"]);
    }

    #[test]
    fn card_numbers_as_json_numbers() {
        let (out, pointers) = payload(
            json!({"n": 4111111111111111u64, "m": 4111111111111112u64, "t": 1714557600000u64}),
        );
        assert_eq!(
            out,
            json!({"n": REDACTED, "m": 4111111111111112u64, "t": 1714557600000u64})
        );
        assert_eq!(pointers, ["/payload/n"]);
    }
}
