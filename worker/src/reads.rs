//! The log records who read it (SPEC 6): a search (the first page of a list), opening an event, an
//! actor's page or a resource's history, and an export are each stored as an event in the reader's
//! tenant's chain (`log.search` and `log.view`, category `read`; `log.export`, category `export`),
//! with the reader as actor, what they asked for, and from where.
//!
//! Searches and views are recorded after the answer is sent (`waitUntil`), so reading is never slower
//! for being audited; a failure to record is logged. Exports are recorded before the file starts.
//! Not recorded: later pages of a search already recorded (their cursors are signed), and live tail's
//! polls (`tail=1`) for events of the last hour that send their recorded search's `tail_token`
//! ([`crate::signed_cursor`]); without that, every poll would record an event that the next poll
//! shows. A poll without a valid token is recorded as a search.

use serde_json::{json, Map, Value};
use worker::{Context, Env, Request};

use crate::audit::{self, AccessEvent, Origin};
use crate::auth::Caller;

/// How far back a live tail poll may start and still go unrecorded.
pub const TAIL_WINDOW_MS: i64 = 3_600_000;

/// The list and export parameters worth recording (never a cursor). An export's `now` and
/// `up_to_seq` are among them: they decide what the file holds.
fn asked(pairs: &[(String, String)]) -> Map<String, Value> {
    pairs
        .iter()
        .filter(|(name, _)| {
            matches!(
                name.as_str(),
                "q" | "from"
                    | "to"
                    | "actor"
                    | "action"
                    | "outcome"
                    | "format"
                    | "up_to_seq"
                    | "now"
            )
        })
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect()
}

/// How much of a query a description quotes; the payload keeps all of it. A query may be as long as
/// a description may, so quoting it whole would make the event invalid and the read unrecorded.
const QUOTED_QUERY_CHARS: usize = 200;

fn summary(asked: &Map<String, Value>) -> String {
    match asked.get("q").and_then(Value::as_str).map(str::trim) {
        Some(q) if !q.is_empty() => format!("for `{}`", clip(q)),
        _ => "with no query".to_string(),
    }
}

/// `text` as a description quotes it: its first [`QUOTED_QUERY_CHARS`] characters, `…` after them.
fn clip(text: &str) -> String {
    match text.char_indices().nth(QUOTED_QUERY_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A search's event: its parameters and how many events the first page returned.
pub fn search(
    caller: &Caller,
    pairs: &[(String, String)],
    returned: usize,
) -> AccessEvent<'static> {
    let payload = asked(pairs);
    let description = format!("searched the log {}", summary(&payload));
    search_event(caller, description, payload, returned)
}

/// A `log.search` event: what was read is in the payload, not a target (as a target, every look at
/// a resource's history would become part of that history), with how many events it returned.
fn search_event(
    caller: &Caller,
    description: String,
    mut payload: Map<String, Value>,
    returned: usize,
) -> AccessEvent<'static> {
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

/// Opening an actor's page (their timeline and top actions).
pub fn actor_page(caller: &Caller, actor: &str, returned: usize) -> AccessEvent<'static> {
    let description = format!("opened the page of the actor {}", clip(actor));
    let payload = Map::from_iter([("actor".to_string(), actor.into())]);
    search_event(caller, description, payload, returned)
}

/// Opening a resource's history.
pub fn resource_page(
    caller: &Caller,
    kind: &str,
    id: &str,
    returned: usize,
) -> AccessEvent<'static> {
    let description = format!("opened the history of the {} {}", clip(kind), clip(id));
    let payload = Map::from_iter([
        ("resource_type".to_string(), kind.into()),
        ("resource_id".to_string(), id.into()),
    ]);
    search_event(caller, description, payload, returned)
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

/// Whether a list request is a search to record: a first page (one the list read without a cursor,
/// whatever the parameters say: an empty `cursor=` is a first page), and not a live tail poll of
/// recent events continuing a recorded search (`tail_proven`: its `tail_token` is that search's,
/// [`crate::signed_cursor::CursorSigner::is_tail_token`]).
pub fn is_new_search(
    pairs: &[(String, String)],
    later_page: bool,
    from: Option<i64>,
    now: i64,
    tail_proven: bool,
) -> bool {
    let tail = pairs.iter().any(|(n, v)| n == "tail" && v == "1");
    let tail_of_recent = tail && tail_proven && from.is_some_and(|f| f >= now - TAIL_WINDOW_MS);
    !later_page && !tail_of_recent
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
        assert!(is_new_search(
            &pairs(&[("q", "x")]),
            false,
            None,
            now,
            false
        ));
        assert!(!is_new_search(
            &pairs(&[("cursor", "c")]),
            true,
            None,
            now,
            false
        ));
        let tail = pairs(&[("tail", "1")]);
        assert!(!is_new_search(&tail, false, Some(now - 60_000), now, true));
        // Without its search's token a "tail poll" is a search like any other: it could be anyone's
        // search of the last hour.
        assert!(is_new_search(&tail, false, Some(now - 60_000), now, false));
        // A "tail" reaching further back than the window is a search like any other.
        assert!(is_new_search(
            &tail,
            false,
            Some(now - TAIL_WINDOW_MS - 1),
            now,
            true
        ));
        assert!(is_new_search(&tail, false, None, now, true));
        assert!(is_new_search(
            &pairs(&[("tail", "0")]),
            false,
            Some(now),
            now,
            true
        ));
    }

    /// A query as long as the list allows still makes a valid event: the description quotes its
    /// start, the payload keeps it whole.
    #[test]
    fn long_queries_are_quoted_in_part() {
        let q = format!("\"{}\"", "é".repeat(1_990));
        let event = search(&caller(), &pairs(&[("q", &q)]), 3);
        assert_eq!(event.payload["q"], q.as_str());
        let quoted: String = q.chars().take(QUOTED_QUERY_CHARS).collect();
        assert_eq!(
            event.description,
            format!("searched the log for `{quoted}…`")
        );
        let short = search(&caller(), &pairs(&[("q", " env:prod ")]), 3);
        assert_eq!(short.description, "searched the log for `env:prod`");
        // A path may be as long: the pages' reads quote its start too.
        let long = "é".repeat(3_000);
        let actor = actor_page(&caller(), &long, 0);
        assert!(
            actor.description.chars().count() < 300,
            "{}",
            actor.description
        );
        assert_eq!(actor.payload["actor"], long.as_str());
        let history = resource_page(&caller(), &long, &long, 0);
        assert!(history.description.chars().count() < 500);
    }

    fn caller() -> Caller {
        Caller {
            tenant: "acme".into(),
            actor: crate::auth::Actor {
                kind: "user",
                id: "p1".into(),
                name: "Ada".into(),
                email: Some("ada@acme.org".into()),
            },
            grant: crate::auth::Grant::Role(evident_shared::roles::Role::Auditor),
            environment: None,
            session: None,
        }
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
