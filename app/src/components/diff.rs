//! A change's before and after, side by side, one row per field, with the fields that changed
//! highlighted: the event page and every entry of a resource's history show it.
//!
//! [`diff_rows`] turns `changes` into rows (pure, tested natively); [`diff_view`] renders them.
//! Which fields changed comes from the server's `changes.changed_fields` (JSON pointers computed from
//! the values before redaction, so a changed secret still shows as changed); nested objects are
//! flattened into one row per leaf so a change deep inside reads as `settings.visibility`, not as two
//! large JSON blobs to compare by eye.

use evident_shared::event::Changes;
use leptos::prelude::*;
use serde_json::Value;

use crate::components::section::{el, marked, text};

/// One field of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRow {
    /// The field's JSON pointer within `before`/`after` (`""` for a value that is not an object).
    pub pointer: String,
    /// The field as people read it: `settings.visibility`, `items[0].name`.
    pub label: String,
    /// The value before, as compact JSON; `None` when the field did not exist.
    pub before: Option<String>,
    /// The value after, as compact JSON; `None` when the field no longer exists.
    pub after: Option<String>,
    /// The server lists it (or a field inside or around it) as changed, or the values differ.
    pub changed: bool,
    /// A value was replaced by `[REDACTED]` before the event was stored.
    pub redacted: bool,
}

/// The rows of a change: the leaves of `before`, then those only `after` has. `redacted` is the
/// event's list of redacted pointers (they start with `/changes/before` or `/changes/after`).
pub fn diff_rows(changes: &Changes, redacted: &[String]) -> Vec<DiffRow> {
    let mut before = Vec::new();
    let mut after = Vec::new();
    if let Some(value) = &changes.before {
        leaves(value, String::new(), String::new(), &mut before);
    }
    if let Some(value) = &changes.after {
        leaves(value, String::new(), String::new(), &mut after);
    }
    let mut rows: Vec<DiffRow> = before
        .into_iter()
        .map(|(pointer, label, value)| DiffRow {
            pointer,
            label,
            before: Some(value),
            after: None,
            changed: false,
            redacted: false,
        })
        .collect();
    for (pointer, label, value) in after {
        match rows.iter_mut().find(|r| r.pointer == pointer) {
            Some(row) => row.after = Some(value),
            None => rows.push(DiffRow {
                pointer,
                label,
                before: None,
                after: Some(value),
                changed: false,
                redacted: false,
            }),
        }
    }
    // An empty object or array on one side, where the other side has fields inside it, is where
    // those fields were added or went: not a field of its own that was removed or added.
    let filled = |pointer: &str, rows: &[DiffRow]| rows.iter().any(|o| inside(&o.pointer, pointer));
    let empty = |v: &Option<String>| matches!(v.as_deref(), Some("{}" | "[]"));
    let hollow: Vec<String> = rows
        .iter()
        .filter(|r| {
            (empty(&r.before) && r.after.is_none()) || (empty(&r.after) && r.before.is_none())
        })
        .filter(|r| filled(&r.pointer, &rows))
        .map(|r| r.pointer.clone())
        .collect();
    rows.retain(|r| !hollow.contains(&r.pointer));
    for row in &mut rows {
        row.changed = row.before != row.after
            || changes
                .changed_fields
                .iter()
                .any(|p| related(p, &row.pointer));
        // Flagged by the server's record only: a sender can write `[REDACTED]` into any value,
        // and the flag says that Evident's redaction removed something here.
        let sides = ["/changes/before", "/changes/after"];
        row.redacted = redacted.iter().any(|r| {
            sides.iter().any(|side| {
                r.strip_prefix(side)
                    .is_some_and(|rest| related(rest, &row.pointer))
            })
        });
    }
    rows
}

/// What redaction puts in place of a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Whether pointer `a` is `b`, inside it, or around it.
fn related(a: &str, b: &str) -> bool {
    a == b || inside(a, b) || inside(b, a)
}

/// Whether pointer `x` lies strictly inside pointer `y`.
fn inside(x: &str, y: &str) -> bool {
    x.strip_prefix(y).is_some_and(|rest| rest.starts_with('/'))
}

/// Flattens `value` into `(pointer, label, compact JSON)` leaves. Objects are opened; arrays only
/// when they hold objects or arrays (a list of tags reads best as one value).
fn leaves(value: &Value, pointer: String, label: String, out: &mut Vec<(String, String, String)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                // A key that a dotted path would misread (`a.b` beside `a` holding `b`, an empty
                // key) is shown quoted in brackets: `["a.b"]`, `settings[""]`.
                let plain = !key.is_empty() && !key.contains(['.', '[', ']', '"']);
                let label = match (plain, label.is_empty()) {
                    (true, true) => key.clone(),
                    (true, false) => format!("{label}.{key}"),
                    (false, _) => format!(
                        "{label}[{}]",
                        crate::json::print(&Value::String(key.clone()), false)
                    ),
                };
                leaves(item, format!("{pointer}/{escaped}"), label, out);
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            for (i, item) in items.iter().enumerate() {
                leaves(item, format!("{pointer}/{i}"), format!("{label}[{i}]"), out);
            }
        }
        leaf => {
            let label = if label.is_empty() {
                "(value)".to_owned()
            } else {
                label
            };
            out.push((pointer, label, crate::json::print(leaf, false)));
        }
    }
}

/// The caption over a diff: `2 of 5 fields changed`.
pub fn diff_summary(rows: &[DiffRow]) -> String {
    let changed = rows.iter().filter(|r| r.changed).count();
    let noun = if rows.len() == 1 { "field" } else { "fields" };
    format!("{changed} of {} {noun} changed", rows.len())
}

/// The rows as a table: field, before, after; changed rows highlighted and marked for screen readers.
pub fn diff_view(rows: Vec<DiffRow>) -> AnyView {
    let summary = el(
        "p",
        "ev-diff__summary",
        Some("diff-summary"),
        vec![text(diff_summary(&rows))],
    );
    let head = el(
        "tr",
        "",
        None,
        ["Field", "Before", "After"]
            .into_iter()
            .map(|h| el("th", "", None, vec![text(h)]))
            .collect(),
    );
    let cell = |class, value: Option<String>| match value {
        Some(v) => el("td", class, None, vec![marked(&v)]),
        None => el(
            "td",
            class,
            None,
            vec![el("span", "ev-diff__absent", None, vec![text("—")])],
        ),
    };
    let body = rows
        .into_iter()
        .map(|row| {
            let class = if row.changed {
                "ev-diff__row ev-diff__row--changed"
            } else {
                "ev-diff__row"
            };
            let mut field = vec![el("code", "", None, vec![text(row.label)])];
            if row.changed {
                field.push(el("span", "ev-diff__flag", None, vec![text("changed")]));
            }
            if row.redacted {
                field.push(el(
                    "span",
                    "ev-diff__flag ev-diff__flag--redacted",
                    Some("redacted-field"),
                    vec![text("redacted")],
                ));
            }
            el(
                "tr",
                class,
                Some("diff-row"),
                vec![
                    el("th", "ev-diff__field", None, field),
                    cell("ev-diff__before", row.before),
                    cell("ev-diff__after", row.after),
                ],
            )
        })
        .collect();
    let table = el(
        "table",
        "ev-diff",
        Some("diff"),
        vec![
            el("thead", "", None, vec![head]),
            el("tbody", "", None, body),
        ],
    );
    el(
        "div",
        "ev-diff-wrap",
        None,
        vec![summary, el("div", "ev-diff__scroll", None, vec![table])],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn changes(value: Value) -> Changes {
        serde_json::from_value(value).unwrap()
    }

    fn row<'a>(rows: &'a [DiffRow], label: &str) -> &'a DiffRow {
        rows.iter().find(|r| r.label == label).unwrap()
    }

    #[test]
    fn nested_objects_become_one_row_per_leaf() {
        let c = changes(json!({
            "before": {"title": "Report", "settings": {"visibility": "private", "ttl": 3}, "tags": ["a"]},
            "after": {"title": "Q2 Sales Report", "settings": {"visibility": "shared", "ttl": 3}, "tags": ["a"], "owner": null},
            "changed_fields": ["/owner", "/settings/visibility", "/title"]
        }));
        let rows = diff_rows(&c, &[]);
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "settings.ttl",
                "settings.visibility",
                "tags",
                "title",
                "owner"
            ]
        );
        let title = row(&rows, "title");
        assert_eq!(title.before.as_deref(), Some("\"Report\""));
        assert_eq!(title.after.as_deref(), Some("\"Q2 Sales Report\""));
        assert!(title.changed);
        assert!(row(&rows, "settings.visibility").changed);
        assert!(!row(&rows, "settings.ttl").changed);
        assert_eq!(row(&rows, "tags").before.as_deref(), Some("[\"a\"]"));
        let owner = row(&rows, "owner");
        assert_eq!(
            (owner.before.as_deref(), owner.after.as_deref()),
            (None, Some("null"))
        );
        assert!(owner.changed);
        assert_eq!(diff_summary(&rows), "3 of 5 fields changed");
    }

    #[test]
    fn pointers_inside_or_around_a_row_mark_it_changed() {
        let c = changes(json!({
            "before": {"items": [{"n": 1}], "list": [1, 2], "a/b": 1},
            "after": {"items": [{"n": 1}], "list": [1, 3], "a/b": 1},
            "changed_fields": ["/list/1", "/a~1b"]
        }));
        let rows = diff_rows(&c, &[]);
        assert_eq!(row(&rows, "items[0].n").pointer, "/items/0/n");
        assert!(!row(&rows, "items[0].n").changed);
        assert!(
            row(&rows, "list").changed,
            "a pointer into an array of scalars"
        );
        // Same value both sides, but the server says it changed (a secret, say): trust it.
        assert!(row(&rows, "a/b").changed);
    }

    #[test]
    fn redacted_values_are_flagged_by_the_servers_record_only() {
        let c = changes(json!({
            "before": {"password": "[REDACTED]", "dsn": "postgres://u:[REDACTED]@db", "name": "x",
                       "note": "[REDACTED]"},
            "after": {"password": "[REDACTED]", "dsn": "postgres://u:[REDACTED]@db", "name": "y",
                      "note": "[REDACTED]"},
            "changed_fields": ["/password", "/name"]
        }));
        let redacted = vec![
            "/changes/before/password".to_owned(),
            "/changes/after/dsn".to_owned(),
            "/payload/x".to_owned(),
        ];
        let rows = diff_rows(&c, &redacted);
        assert!(row(&rows, "password").redacted);
        assert!(row(&rows, "password").changed);
        assert!(row(&rows, "dsn").redacted, "a secret inside a string");
        assert!(!row(&rows, "dsn").changed);
        assert!(!row(&rows, "name").redacted);
        // The placeholder's text as sent, with no record of a redaction: not flagged.
        assert!(!row(&rows, "note").redacted);
    }

    #[test]
    fn an_empty_object_filled_or_emptied_is_not_a_field_of_its_own() {
        let c = changes(json!({
            "before": {"settings": {}, "tags": [], "gone": {}},
            "after": {"settings": {"theme": "dark"}, "tags": [{"n": 1}]},
            "changed_fields": ["/settings/theme", "/tags/0", "/gone"]
        }));
        let rows = diff_rows(&c, &[]);
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        // `gone` (emptied away whole) stays: nothing else stands for it.
        assert_eq!(labels, ["gone", "settings.theme", "tags[0].n"]);
        assert!(rows.iter().all(|r| r.changed));
        assert_eq!(diff_summary(&rows), "3 of 3 fields changed");
        // The same from the other side, and a whole side that was empty.
        let c = changes(json!({
            "before": {"settings": {"theme": "dark"}},
            "after": {"settings": {}},
            "changed_fields": ["/settings/theme"]
        }));
        let rows = diff_rows(&c, &[]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].label, "settings.theme");
        let c =
            changes(json!({"before": {}, "after": {"role": "admin"}, "changed_fields": ["/role"]}));
        let rows = diff_rows(&c, &[]);
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["role"]);
    }

    #[test]
    fn keys_a_dotted_path_would_misread_are_quoted() {
        let c = changes(json!({
            "before": {"a.b": 1, "a": {"b": 2, "": 3}, "x[0]": 4},
            "after": {"a.b": 1, "a": {"b": 2, "": 3}, "x[0]": 4},
        }));
        let rows = diff_rows(&c, &[]);
        let mut labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        labels.sort_unstable();
        assert_eq!(labels, ["[\"a.b\"]", "[\"x[0]\"]", "a.b", "a[\"\"]"]);
    }

    #[test]
    fn scalars_and_missing_sides_still_read() {
        let c = changes(json!({"after": "published", "changed_fields": [""]}));
        let rows = diff_rows(&c, &[]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].label, "(value)");
        assert_eq!(rows[0].before, None);
        assert!(rows[0].changed);
        assert_eq!(diff_summary(&rows), "1 of 1 field changed");
        assert!(diff_rows(&changes(json!({})), &[]).is_empty());
    }
}
