//! Redaction: replaces secrets in an event before it is stored (SPEC 3.4), so the original never reaches
//! the database, and lists in `event.redacted` the JSON pointer of every value it changed.
//!
//! It covers every string the sender sets: `payload`, `metadata`, `changes.before`, `changes.after`,
//! `error`, `description`, and the event model's own strings (actor and participants, targets,
//! `scope`, `context`, `source`). Ids, types, e-mails, roles, scopes and context ids are matched
//! exactly by searches, so only shapes no ordinary id has are replaced in them: not card numbers
//! or AWS access key ids (which name keys), and of assignments only query parameters
//! (`?access_token=...`). Object keys are scanned as text, but not for card numbers or AWS access
//! key ids, which maps are keyed by. The idempotency key is left as
//! sent (it is stored keyed; see the README). Two kinds of rules apply:
//!
//! * Key names. A value whose key looks secret (`password`, `db_password`, `X-Api-Key`, `accessToken`,
//!   `credentials`, ...) is replaced whole by [`REDACTED`], even when it is a number, array or object.
//!   Keys are compared ignoring ASCII case and the separators `_`, `-`, `.` and space, as substrings. What
//!   follows the secret word decides false positives deliberately: `token_count`, `password_changed_at`,
//!   `api_key_id`, `tokenizer` or `secretary` describe a secret without holding one and are kept (see
//!   [`HARMLESS_SUFFIXES`]); a bare plural such as `tokens`, `max_tokens` or `prompt_tokens` is an LLM token
//!   count when its value is a number and a list of secrets otherwise. `null`, booleans and empty strings
//!   are left as they are: they hide nothing. Strings under non-secret keys are still scanned. Header
//!   lists carry the key beside the value, and are judged alike: the `value` of an object with a
//!   `name`, `key` or `header` string (`{"name": "X-Api-Key", "value": "..."}`), and the second string
//!   of a `[name, value]` pair in a list (`[["Authorization", "Token ..."]]`).
//! * Value patterns ([`Detector`]). Inside any string only the matching part is replaced, so code and
//!   messages stay readable: `Authorization: Bearer [REDACTED]`, `password = "[REDACTED]"`.
//!
//! Speed: the pipeline budget is 10 µs per event, so nothing here allocates unless it redacts. Strings are
//! scanned once, byte by byte, and a detector only looks closer at a byte that can start or mark its
//! pattern (`B`, `b`, `J`, `A`, `_`, `x`, `k`, `-`, digits, `@`, `=`, `:`, `,`, `'`), eight bytes per branch elsewhere; the
//! `regex` crate is not used, which also keeps the wasm bundle small. Key names are matched in place: one
//! table look-up per byte rules out most keys without building a normalised copy.
//!
//! An object key holding a detected secret (`{"ghp_...": "admin"}`) is replaced whole by [`REDACTED`], or
//! `[REDACTED]#2`, `#3`, ... when that key is taken, and listed in `redacted` under its new name.
//! `changes.changed_fields`, computed from the originals, stops before such a key and at a value
//! redacted whole, so it names no secret.
//!
//! Layout: `rules.rs` holds the tenant configuration and its validation; `walk.rs` the walk
//! over an event; `keys.rs` key-name matching; `scan.rs` the single pass over a string, which calls the
//! shape detectors in `detectors.rs` and the code-assignment detector in `assignment.rs`; `bytes.rs` the
//! byte helpers they share.

mod assignment;
mod bytes;
mod detectors;
mod keys;
mod rules;
mod scan;
mod walk;

pub use keys::{EXACT_SECRET_KEYS, HARMLESS_SUFFIXES, SECRET_WORDS};
pub use rules::{Detector, RedactionRules, MAX_RULE_CHARS, MAX_RULE_ENTRIES, MIN_PREFIX_CHARS};
pub use walk::redact;

/// What a redacted value, or the redacted part of a string, is replaced with.
pub const REDACTED: &str = "[REDACTED]";

#[cfg(test)]
mod testing {
    //! Helpers for the tests of every part: an event to redact, and shortcuts for one payload or string.

    use serde_json::{json, Value};

    use super::{redact, RedactionRules};
    use crate::event::Event;

    pub(super) fn event(fields: Value) -> Event {
        let mut base = json!({
            "id": "0190b7a4-0000-7000-8000-000000000001",
            "tenant": "acme",
            "occurred_at": "2024-05-01T10:00:00.000Z",
            "received_at": "2024-05-01T10:00:00.000Z",
            "action": "code.evaluate",
            "category": "execute",
            "outcome": "success",
            "severity": "info",
            "actor": {"type": "user", "id": "u1"},
            "source": {"format": "native"}
        });
        for (key, value) in fields.as_object().unwrap() {
            base[key] = value.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    /// Redacts `payload` with `rules`; returns the new payload and the pointers.
    pub(super) fn payload_with(payload: Value, rules: &RedactionRules) -> (Value, Vec<String>) {
        let mut e = event(json!({ "payload": payload }));
        redact(&mut e, rules);
        (e.payload.unwrap(), e.redacted)
    }

    pub(super) fn payload(payload: Value) -> (Value, Vec<String>) {
        payload_with(payload, &RedactionRules::default())
    }

    /// Redacts one string (as `description`) with `rules`.
    pub(super) fn text_with(text: &str, rules: &RedactionRules) -> String {
        let mut e = event(json!({ "description": text }));
        redact(&mut e, rules);
        let expected: Vec<String> = if e.description.as_deref() == Some(text) {
            vec![]
        } else {
            vec!["/description".into()]
        };
        assert_eq!(e.redacted, expected);
        e.description.unwrap()
    }

    pub(super) fn text(text: &str) -> String {
        text_with(text, &RedactionRules::default())
    }

    pub(super) fn kept(input: &str) {
        assert_eq!(text(input), input);
    }

    pub(super) fn rules(json: Value) -> RedactionRules {
        serde_json::from_value(json).unwrap()
    }
}
