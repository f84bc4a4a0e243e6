//! The text of an event that free-text search matches (SPEC 4.1): what a person would type to find
//! it. Names, e-mails and ids of everyone and everything involved, the action and description, the
//! error, and every string inside the payload (executed code, SQL, prompts) and metadata. Keys are
//! left out, so a search for `name` or `code` does not match every event. The worker indexes this
//! text with SQLite FTS5 when it stores the event.

use serde_json::Value;

use crate::event::{Actor, Event};

/// The searchable text of an event, words separated by spaces or newlines.
pub fn event_text(event: &Event) -> String {
    let mut text = Text(String::with_capacity(256));
    text.push(&event.action);
    text.opt(&event.description);
    for actor in std::iter::once(&event.actor).chain(&event.participants) {
        text.actor(actor);
    }
    for target in &event.targets {
        text.push(&target.kind);
        text.push(&target.id);
        text.opt(&target.name);
    }
    if let Some(error) = &event.error {
        text.opt(&error.code);
        text.push(&error.message);
    }
    if let Some(payload) = &event.payload {
        text.strings(payload);
    }
    for value in event.metadata.values() {
        text.strings(value);
    }
    text.0
}

struct Text(String);

impl Text {
    fn push(&mut self, word: &str) {
        if word.is_empty() {
            return;
        }
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(word);
    }

    fn opt(&mut self, word: &Option<String>) {
        if let Some(word) = word {
            self.push(word);
        }
    }

    fn actor(&mut self, actor: &Actor) {
        self.push(&actor.id);
        self.opt(&actor.name);
        self.opt(&actor.email);
    }

    /// Every string inside a JSON value, in document order.
    fn strings(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.push(s),
            Value::Array(items) => items.iter().for_each(|v| self.strings(v)),
            Value::Object(map) => map.values().for_each(|v| self.strings(v)),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn holds_the_words_a_person_searches_for_and_no_keys() {
        let event: Event = serde_json::from_value(json!({
            "action": "code.evaluate",
            "actor": {"type": "user", "id": "u1", "name": "Jane Doe", "email": "jane@corp.com"},
            "category": "execute",
            "context": {},
            "description": "Evaluated a step",
            "error": {"code": "E42", "message": "division by zero"},
            "id": "e1",
            "metadata": {"cell": "c7", "count": 3},
            "occurred_at": "2024-06-01T00:00:00.000Z",
            "outcome": "failure",
            "participants": [{"type": "user", "id": "u2", "email": "bob@corp.com"}],
            "payload": {"code": "x = 1 / 0\nprint(x)", "nested": {"sql": ["SELECT 1"]}},
            "received_at": "2024-06-01T00:00:00.000Z",
            "scope": {},
            "severity": "info",
            "source": {"format": "native"},
            "targets": [{"type": "notebook", "id": "nb1", "name": "Sales report"}],
            "tenant": "t"
        }))
        .unwrap();
        let text = event_text(&event);
        for word in [
            "code.evaluate",
            "Evaluated a step",
            "Jane Doe",
            "jane@corp.com",
            "bob@corp.com",
            "notebook nb1 Sales report",
            "E42 division by zero",
            "x = 1 / 0\nprint(x)",
            "SELECT 1",
            "c7",
        ] {
            assert!(text.contains(word), "{word:?} missing from {text:?}");
        }
        for key in ["payload", "nested", "sql", "cell", "email"] {
            assert!(
                !text.split_whitespace().any(|w| w == key),
                "key {key:?} in {text:?}"
            );
        }
    }
}
