//! The log records who read it (SPEC 6): a search (the first page of a list), opening an event, and
//! an export are each stored as an event in the reader's tenant's chain (`log.search`, `log.view`,
//! `log.export`, category `read`), with the reader as actor, what they asked for, and from where.
//!
//! Searches and views are recorded after the answer is sent (`waitUntil`), so reading is never slower
//! for being audited; a failure to record is logged. Exports are recorded before the file starts.
//! Not recorded: later pages of a search already recorded, and live tail's polls (`tail=1`) for
//! events of the last hour, which continue a recorded search; without that, every poll would record
//! an event that the next poll shows.

use serde_json::{json, Map, Value};
use worker::{Context, Env, Request};

use crate::audit::{self, AccessEvent, Origin};
use crate::auth::Caller;

/// How far back a live tail poll may start and still go unrecorded.
pub const TAIL_WINDOW_MS: i64 = 3_600_000;

/// The list and export parameters worth recording (never a cursor).
fn asked(pairs: &[(String, String)]) -> Map<String, Value> {
    pairs
        .iter()
        .filter(|(name, _)| {
            matches!(
                name.as_str(),
                "q" | "from" | "to" | "actor" | "action" | "outcome" | "format"
            )
        })
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect()
}

fn summary(asked: &Map<String, Value>) -> String {
    match asked.get("q").and_then(Value::as_str) {
        Some(q) if !q.trim().is_empty() => format!("for `{}`", q.trim()),
        _ => "with no query".to_string(),
    }
}

/// A search's event: its parameters and how many events the first page returned.
pub fn search(
    caller: &Caller,
    pairs: &[(String, String)],
    returned: usize,
) -> AccessEvent<'static> {
    let mut payload = asked(pairs);
    let description = format!("searched the log {}", summary(&payload));
    payload.insert("returned".into(), returned.into());
    AccessEvent {
        action: "log.search",
        outcome: "success",
        actor: audit::actor(caller),
        targets: vec![],
        description,
        payload,
    }
}

/// Opening one event.
pub fn view(caller: &Caller, id: &str) -> AccessEvent<'static> {
    AccessEvent {
        action: "log.view",
        outcome: "success",
        actor: audit::actor(caller),
        targets: vec![json!({"type": "event", "id": id})],
        description: format!("opened the event {id}"),
        payload: Map::new(),
    }
}

/// Starting an export, up to the chain's `up_to_seq`.
pub fn export(caller: &Caller, pairs: &[(String, String)], up_to_seq: u64) -> AccessEvent<'static> {
    let mut payload = asked(pairs);
    let description = format!(
        "exported the log as {} {}",
        payload
            .get("format")
            .and_then(Value::as_str)
            .unwrap_or("csv"),
        summary(&payload)
    );
    payload.insert("up_to_seq".into(), up_to_seq.into());
    AccessEvent {
        action: "log.export",
        outcome: "success",
        actor: audit::actor(caller),
        targets: vec![],
        description,
        payload,
    }
}

/// Whether a list request is a search to record: a first page, and not a live tail poll of recent
/// events.
pub fn is_new_search(pairs: &[(String, String)], from: Option<i64>, now: i64) -> bool {
    let has = |name: &str, value: Option<&str>| {
        pairs
            .iter()
            .any(|(n, v)| n == name && value.is_none_or(|want| v == want))
    };
    let tail_of_recent = has("tail", Some("1")) && from.is_some_and(|f| f >= now - TAIL_WINDOW_MS);
    !has("cursor", None) && !tail_of_recent
}

/// Records an event once the answer is on its way: a read, or a failed sign-in (which must not take
/// longer to answer for an e-mail that is someone's). `req` is the request or a clone of it taken
/// before its body was read (a request whose body was read cannot be cloned).
pub fn record_later(
    ctx: &Context,
    event: AccessEvent<'static>,
    req: Request,
    env: &Env,
    tenant: &str,
) {
    let event = event.into_event(&Origin::request(&req));
    let (env, tenant) = (env.clone(), tenant.to_string());
    ctx.wait_until(async move {
        if let Err(error) = audit::record(event, &req, &env, &tenant).await {
            worker::console_error!("a read was not recorded: {error}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn first_pages_are_searches_but_later_pages_and_recent_tail_polls_are_not() {
        let now = 10 * TAIL_WINDOW_MS;
        assert!(is_new_search(&pairs(&[("q", "x")]), None, now));
        assert!(!is_new_search(&pairs(&[("cursor", "c")]), None, now));
        let tail = pairs(&[("tail", "1")]);
        assert!(!is_new_search(&tail, Some(now - 60_000), now));
        // A "tail" reaching further back than the window is a search like any other.
        assert!(is_new_search(&tail, Some(now - TAIL_WINDOW_MS - 1), now));
        assert!(is_new_search(&tail, None, now));
        assert!(is_new_search(&pairs(&[("tail", "0")]), Some(now), now));
    }

    #[test]
    fn recorded_parameters_leave_out_cursors() {
        let asked = asked(&pairs(&[
            ("q", "actor:x"),
            ("cursor", "c"),
            ("limit", "5"),
            ("format", "csv"),
        ]));
        assert_eq!(asked.keys().collect::<Vec<_>>(), ["format", "q"]);
        assert_eq!(summary(&asked), "for `actor:x`");
    }
}
