//! What the event detail page shows, as data: one [`SectionData`] per section that has something to
//! show, in reading order. Choosing and formatting the fields is plain Rust, tested natively; the
//! page renders the result with [`crate::components::section::Section`].

use evident_shared::event::{Actor, Event, FLAG_FUTURE, FLAG_LONG_AGO};
use serde_json::Value;

use crate::api::{actor_path, resource_path};
use crate::components::diff::diff_rows;
use crate::components::section::{Block, Body, Field, FieldList, SectionData};
use crate::format::{
    actor_label, duration, local_datetime_exact, outcome_label, pretty_json, scalar,
};

/// Every section with data for `event`: who, what, on what, where and how, changes, payload,
/// metadata, source, and the record's ids and hashes.
pub fn sections(event: &Event) -> Vec<SectionData> {
    let section = |title, testid, blocks| SectionData {
        title,
        testid,
        wide: false,
        columns: false,
        blocks,
    };
    let wide = |title, testid, blocks| SectionData {
        wide: true,
        ..section(title, testid, blocks)
    };
    let fields = |fields| Block::new(Body::Fields(fields));
    let pre = |text, code| Block::new(Body::Pre { text, code });
    let mut out = Vec::new();

    let mut who = vec![fields(actor_fields(&event.actor))];
    for (i, participant) in event.participants.iter().enumerate() {
        let block = fields(actor_fields(participant));
        who.push(if i == 0 {
            block.caption("Participants")
        } else {
            block
        });
    }
    out.push(section("Who", "section-who", who));
    out.push(section(
        "What",
        "section-what",
        vec![fields(what_fields(event))],
    ));

    if !event.targets.is_empty() {
        // Each target links to its history: what else happened to it, and who did it.
        let targets = event
            .targets
            .iter()
            .fold(FieldList::default(), |list, t| {
                let value = match &t.name {
                    Some(name) => format!("{name} ({})", t.id),
                    None => t.id.clone(),
                };
                list.link(&t.kind, &value, resource_path(&t.kind, &t.id))
            })
            .build();
        let block = fields(targets).testid("targets");
        out.push(section("On what", "section-targets", vec![block]));
    }

    let where_how = where_fields(event);
    if !where_how.is_empty() {
        out.push(section(
            "Where and how",
            "section-where",
            vec![fields(where_how)],
        ));
    }

    if let Some(changes) = &event.changes {
        let diff = Block::new(Body::Diff(diff_rows(changes, &event.redacted)));
        out.push(wide("Changes", "section-changes", vec![diff]));
    }

    if let Some(payload) = &event.payload {
        let (code, rest) = split_code(payload);
        let mut blocks = Vec::new();
        if let Some(code) = code {
            blocks.push(pre(code, true).caption("Code").testid("event-code"));
        }
        if let Some(rest) = rest {
            let block = pre(pretty_json(&rest), false).testid("event-payload");
            blocks.push(if blocks.is_empty() {
                block
            } else {
                block.caption("Other fields")
            });
        }
        out.push(wide("Payload", "section-payload", blocks));
    }

    if !event.metadata.is_empty() {
        let metadata = event
            .metadata
            .iter()
            .fold(FieldList::default(), |list, (k, v)| {
                list.mono(k, Some(&scalar(v)))
            })
            .build();
        out.push(section(
            "Metadata",
            "section-metadata",
            vec![fields(metadata)],
        ));
    }

    out.push(section(
        "Source",
        "section-source",
        vec![fields(source_fields(event))],
    ));
    let mut record = vec![fields(record_fields(event))];
    if let Some(seq) = event.seq {
        record.push(Block::new(Body::Verify(seq)));
    }
    out.push(wide("Integrity", "section-record", record));
    out
}

/// An actor's fields, in reading order.
pub fn actor_fields(actor: &Actor) -> Vec<Field> {
    let roles = actor.roles.join(", ");
    FieldList::default()
        .link("Name", actor_label(actor), actor_path(&actor.id))
        .text("Email", actor.email.as_deref())
        .mono("Id", Some(&actor.id))
        .text("Type", Some(&actor.kind.as_str().replace('_', " ")))
        .text(
            "Roles",
            Some(&roles).filter(|r| !r.is_empty()).map(|r| r.as_str()),
        )
        .build()
}

/// The "What" section's fields.
pub fn what_fields(event: &Event) -> Vec<Field> {
    let error = event.error.as_ref();
    FieldList::default()
        .mono("Action", Some(&event.action))
        .text("Category", Some(event.category.as_str()))
        .text("Outcome", Some(&outcome_label(event.outcome)))
        .text("Severity", Some(event.severity.as_str()))
        .text("Description", event.description.as_deref())
        .mono("Error code", error.and_then(|e| e.code.as_deref()))
        .text("Error", error.map(|e| e.message.as_str()))
        .text("Duration", event.duration_ms.map(duration).as_deref())
        .text("Time", Some(&local_datetime_exact(&event.occurred_at)))
        .build()
}

/// The "Where and how" section's fields: client context, then organisational scope.
pub fn where_fields(event: &Event) -> Vec<Field> {
    let (c, s) = (&event.context, &event.scope);
    let geo = c.geo.as_ref().map(|g| {
        [
            g.city.as_deref(),
            g.region.as_deref(),
            Some(g.country.as_str()),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
    });
    let versioned = |name: &str, version: &Option<String>| match version {
        Some(v) => format!("{name} {v}"),
        None => name.to_owned(),
    };
    let ua = c.ua.as_ref();
    FieldList::default()
        .mono("IP", c.ip.as_deref())
        .text("Country", geo.as_deref())
        .text(
            "Browser",
            ua.map(|u| versioned(&u.browser, &u.browser_version))
                .as_deref(),
        )
        .text("OS", ua.map(|u| versioned(&u.os, &u.os_version)).as_deref())
        .text("Device", ua.map(|u| u.device.as_str()))
        .text("User agent", c.user_agent.as_deref())
        .text("Interface", c.interface.as_deref())
        .mono("Session", c.session_id.as_deref())
        .mono("Request", c.request_id.as_deref())
        .mono("Trace", c.trace_id.as_deref())
        .text("Environment", s.environment.as_deref())
        .text("Organization", s.organization.as_deref())
        .text("Workspace", s.workspace.as_deref())
        .text("Project", s.project.as_deref())
        .text("App", s.app.as_deref())
        .text("Folder", s.folder.as_deref())
        .build()
}

/// Splits a payload into its `code` string, if it has one, and whatever else it holds (`None` when
/// nothing else is left), so code is shown as code and not as an escaped JSON string.
pub fn split_code(payload: &Value) -> (Option<String>, Option<Value>) {
    match payload {
        Value::Object(map) => match map.get("code") {
            Some(Value::String(code)) => {
                let mut rest = map.clone();
                rest.remove("code");
                (
                    Some(code.clone()),
                    (!rest.is_empty()).then_some(Value::Object(rest)),
                )
            }
            _ => (None, Some(payload.clone())),
        },
        other => (None, Some(other.clone())),
    }
}

/// Which adapter read the event and which system sent it.
pub fn source_fields(event: &Event) -> Vec<Field> {
    let redacted = event.redacted.join(", ");
    FieldList::default()
        .mono("Format", Some(&event.source.format))
        .text("System", event.source.name.as_deref())
        .mono("Version", event.source.version.as_deref())
        .mono("Idempotency key", event.idempotency_key.as_deref())
        .mono(
            "Redacted",
            Some(&redacted)
                .filter(|r| !r.is_empty())
                .map(|r| r.as_str()),
        )
        .build()
}

/// The stored record's identity, timing and place in the hash chain.
pub fn record_fields(event: &Event) -> Vec<Field> {
    FieldList::default()
        .mono("Id", Some(&event.id))
        .mono("Tenant", Some(&event.tenant))
        .mono("Occurred at", Some(&event.occurred_at))
        .mono("Received at", Some(&event.received_at))
        .text("Flagged", flags_text(event).as_deref())
        .text(
            "Chain",
            event.seq.is_none().then_some(
                "not sealed: it has no place in the hash chain, so nothing proves it unaltered",
            ),
        )
        .mono("Sequence", event.seq.map(|s| s.to_string()).as_deref())
        .mono("Hash", event.hash.as_deref())
        .mono("Previous hash", event.prev_hash.as_deref())
        .build()
}

/// What the server flagged about the event, in words: a time far ahead of or behind its arrival
/// says by how much (from `skew_ms`); other flags are named.
fn flags_text(event: &Event) -> Option<String> {
    let off = event.skew_ms.map(|ms| far(ms.unsigned_abs()));
    let said: Vec<String> = event
        .flags
        .iter()
        .map(|flag| match (flag.as_str(), &off) {
            (FLAG_FUTURE, Some(off)) => format!("dated {off} ahead of its arrival"),
            (FLAG_LONG_AGO, Some(off)) => format!("arrived {off} after the time it is dated"),
            (other, _) => other.replace('_', " "),
        })
        .collect();
    (!said.is_empty()).then(|| said.join("; "))
}

/// A clock's distance for people: `7 min`, `3 h 10 min`, `45 d 2 h`.
fn far(ms: u64) -> String {
    let (days, hours, minutes) = (ms / 86_400_000, ms / 3_600_000 % 24, ms / 60_000 % 60);
    match (days, hours) {
        (0, 0) => format!("{minutes} min"),
        (0, _) => format!("{hours} h {minutes} min"),
        _ => format!("{days} d {hours} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flags_say_how_far_off_the_time_is() {
        let mut event = minimal_event();
        assert_eq!(flags_text(&event), None);
        event.flags = vec![FLAG_FUTURE.into()];
        event.skew_ms = Some(-(3 * 3_600_000 + 10 * 60_000));
        assert_eq!(
            flags_text(&event).unwrap(),
            "dated 3 h 10 min ahead of its arrival"
        );
        event.flags = vec![FLAG_LONG_AGO.into(), "something_else".into()];
        event.skew_ms = Some(45 * 86_400_000 + 2 * 3_600_000);
        assert_eq!(
            flags_text(&event).unwrap(),
            "arrived 45 d 2 h after the time it is dated; something else"
        );
        let labels: Vec<String> = record_fields(&event).into_iter().map(|f| f.label).collect();
        assert!(labels.contains(&"Flagged".to_owned()), "{labels:?}");
        assert_eq!(far(7 * 60_000), "7 min");
    }

    #[test]
    fn an_unsealed_event_says_it_is_outside_the_chain() {
        let mut event = minimal_event();
        let chain = |event: &Event| {
            record_fields(event)
                .into_iter()
                .find(|f| f.label == "Chain")
                .map(|f| f.value)
        };
        assert!(chain(&event).is_some_and(|v| v.starts_with("not sealed")));
        event.seq = Some(7);
        assert_eq!(chain(&event), None);
    }

    #[test]
    fn code_is_split_from_the_rest_of_the_payload() {
        let (code, rest) = split_code(&json!({"code": "x = 1\ny = 2", "session_mode": "attached"}));
        assert_eq!(code.as_deref(), Some("x = 1\ny = 2"));
        assert_eq!(rest, Some(json!({"session_mode": "attached"})));

        assert_eq!(
            split_code(&json!({"code": "only"})),
            (Some("only".into()), None)
        );
        // A non-string `code` is ordinary data.
        assert_eq!(
            split_code(&json!({"code": 7})),
            (None, Some(json!({"code": 7})))
        );
        assert_eq!(split_code(&json!([1])), (None, Some(json!([1]))));
    }

    #[test]
    fn missing_values_leave_no_empty_rows() {
        let actor: Actor = serde_json::from_value(json!({"type": "api_key", "id": "k1"})).unwrap();
        let labels: Vec<String> = actor_fields(&actor).into_iter().map(|f| f.label).collect();
        assert_eq!(labels, ["Name", "Id", "Type"]);
        assert_eq!(actor_fields(&actor)[0].value, "k1");
        assert_eq!(actor_fields(&actor)[0].href.as_deref(), Some("/actors/k1"));
        assert_eq!(actor_fields(&actor)[2].value, "api key");
    }

    fn minimal_event() -> Event {
        serde_json::from_value(json!({
            "id": "e1", "tenant": "t", "occurred_at": "2024-06-12T14:30:22.000Z",
            "received_at": "2024-06-12T14:30:23.000Z", "action": "app.create", "category": "create",
            "outcome": "success", "severity": "info", "actor": {"type": "user", "id": "u1"},
            "source": {"format": "native"}
        }))
        .unwrap()
    }

    fn testids(event: &Event) -> Vec<&'static str> {
        sections(event).iter().map(|s| s.testid).collect()
    }

    #[test]
    fn only_sections_with_data_are_shown() {
        let event = minimal_event();
        assert!(where_fields(&event).is_empty());
        let what: Vec<String> = what_fields(&event).into_iter().map(|f| f.label).collect();
        assert_eq!(what, ["Action", "Category", "Outcome", "Severity", "Time"]);
        assert_eq!(
            testids(&event),
            [
                "section-who",
                "section-what",
                "section-source",
                "section-record"
            ]
        );
    }

    #[test]
    fn a_full_event_has_every_section_and_code_as_code() {
        let mut event = minimal_event();
        event.targets = serde_json::from_value(json!([{"type": "app", "id": "a1"}])).unwrap();
        event.context.ip = Some("10.0.0.1".into());
        event.changes = serde_json::from_value(
            json!({"before": {"n": 1}, "after": {"n": 2}, "changed_fields": ["/n"]}),
        )
        .unwrap();
        event.payload = Some(json!({"code": "x = 1\ny = 2"}));
        event.metadata.insert("ticket".into(), json!("T-1"));
        assert_eq!(
            testids(&event),
            [
                "section-who",
                "section-what",
                "section-targets",
                "section-where",
                "section-changes",
                "section-payload",
                "section-metadata",
                "section-source",
                "section-record"
            ]
        );
        let payload = sections(&event)
            .into_iter()
            .find(|s| s.testid == "section-payload")
            .unwrap();
        let code = Block::new(Body::Pre {
            text: "x = 1\ny = 2".into(),
            code: true,
        });
        assert_eq!(payload.blocks, [code.caption("Code").testid("event-code")]);
    }
}
