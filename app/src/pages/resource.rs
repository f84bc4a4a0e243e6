//! One resource's history (`/resources/{type}/{id}`): every event that named it as a target, oldest
//! first, each with who did it and the diff of what it changed; above them, who touched it and how
//! often. "Find what changed" and "trace who accessed and exported it" are read off this page.

use evident_shared::event::Event;
use leptos::prelude::*;

use crate::api::{actor_path, resource_path};
use crate::components::notice::Notice;
use crate::components::section::{el, link, text};
use crate::format::{actor_label, local_datetime};
use crate::pages::history::{self, entry, more_button, Show};
use crate::LastList;

/// One person (or key, or service) in a resource's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toucher {
    /// Actor id.
    pub id: String,
    /// How they read: name, else e-mail, else id.
    pub label: String,
    /// Their events in the history.
    pub count: usize,
    /// Their distinct actions, in the order first seen.
    pub actions: Vec<String>,
    /// When they last acted (`occurred_at`).
    pub last: String,
}

/// Everyone in `events`, in the order they first appear.
pub fn touchers(events: &[Event]) -> Vec<Toucher> {
    let mut out: Vec<Toucher> = Vec::new();
    for event in events {
        let at = match out.iter().position(|t| t.id == event.actor.id) {
            Some(at) => at,
            None => {
                out.push(Toucher {
                    id: event.actor.id.clone(),
                    label: actor_label(&event.actor).to_owned(),
                    count: 0,
                    actions: Vec::new(),
                    last: String::new(),
                });
                out.len() - 1
            }
        };
        let t = &mut out[at];
        t.count += 1;
        if !t.actions.contains(&event.action) {
            t.actions.push(event.action.clone());
        }
        if event.occurred_at > t.last {
            t.last = event.occurred_at.clone();
        }
    }
    out
}

/// The name the history's newest event that names the resource gives it, if any: a renamed
/// notebook is titled by its new name. (Events come oldest first.)
pub fn resource_name(events: &[Event], kind: &str, id: &str) -> Option<String> {
    events
        .iter()
        .rev()
        .flat_map(|e| &e.targets)
        .find(|t| t.kind == kind && t.id == id && t.name.is_some())
        .and_then(|t| t.name.clone())
}

/// The resource history page.
#[component]
pub fn ResourcePage(
    /// The resource's type, from the path.
    kind: String,
    /// The resource's id, from the path.
    id: String,
) -> impl IntoView {
    let last_list = expect_context::<LastList>();
    let (state, more) = history::load(resource_path(&kind, &id));
    let head = move || {
        state.with(|s| {
            let name = resource_name(&s.events, &kind, &id);
            let title = name.clone().unwrap_or_else(|| id.clone());
            let changes = s.events.iter().filter(|e| e.changes.is_some()).count();
            // The history comes a page at a time, oldest first: say when there is more.
            let summary = match s.next_cursor {
                None => format!("{} events, {changes} with changes", s.events.len()),
                Some(_) => format!(
                    "the oldest {} events, {changes} with changes; more below",
                    s.events.len()
                ),
            };
            el(
                "header",
                "ev-history__head",
                None,
                vec![
                    el(
                        "p",
                        "ev-history__kicker",
                        None,
                        vec![text(format!("Resource · {kind}"))],
                    ),
                    el(
                        "h1",
                        "ev-page__title",
                        Some("resource-name"),
                        vec![text(title)],
                    ),
                    el(
                        "p",
                        "ev-history__meta",
                        None,
                        vec![
                            el("span", "ev-mono", None, vec![text(format!("{kind}:{id}"))]),
                            el("span", "", Some("resource-summary"), vec![text(summary)]),
                        ],
                    ),
                ],
            )
        })
    };
    let who = move || {
        state.with(|s| {
            let rows = touchers(&s.events)
                .into_iter()
                .map(|t| {
                    el(
                        "tr",
                        "",
                        Some("toucher"),
                        vec![
                            el(
                                "td",
                                "",
                                None,
                                vec![link(actor_path(&t.id), "", None, vec![text(t.label)])],
                            ),
                            el("td", "ev-mono", None, vec![text(t.actions.join(", "))]),
                            el("td", "ev-num", None, vec![text(t.count.to_string())]),
                            el("td", "", None, vec![text(local_datetime(&t.last))]),
                        ],
                    )
                })
                .collect();
            let head = el(
                "tr",
                "",
                None,
                ["Who", "Actions", "Events", "Last"]
                    .into_iter()
                    .map(|h| el("th", "", None, vec![text(h)]))
                    .collect(),
            );
            let table = el(
                "table",
                "ev-mini-table ev-touchers",
                Some("touchers"),
                vec![
                    el("thead", "", None, vec![head]),
                    el("tbody", "", None, rows),
                ],
            );
            let mut parts = vec![table];
            if s.next_cursor.is_some() {
                parts.push(el(
                    "p",
                    "ev-history__meta",
                    Some("touchers-partial"),
                    vec![text("In the events loaded so far.")],
                ));
            }
            el("div", "ev-diff__scroll", None, parts)
        })
    };
    let show = Show {
        actor: true,
        targets: false,
    };
    let entries = move || {
        state.with(|s| {
            let items = s.events.iter().map(|e| entry(e, show)).collect();
            el("ol", "ev-entries", Some("resource-history"), items)
        })
    };
    view! {
        <article class="ev-page ev-history" data-testid="resource-page">
            <a class="ev-back" href=move || last_list.0.get() data-testid="back-link">"← All events"</a>
            {head}
            {move || state.with(|s| s.notice("No events name this resource")).map(|(kind, text)| view! { <Notice kind text/> })}
            <div class="ev-history__grid" hidden=move || state.with(|s| s.events.is_empty())>
                <section class="ev-section ev-history__side" data-testid="resource-who">
                    <h2 class="ev-section__title">"Who touched it"</h2>
                    {who}
                </section>
                <section class="ev-section ev-history__main">
                    <h2 class="ev-section__title">"History, oldest first"</h2>
                    {entries}
                    {more_button(state, more)}
                </section>
            </div>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(actor: &str, action: &str, at: &str) -> Event {
        serde_json::from_value(json!({
            "id": format!("{actor}-{action}"), "tenant": "t", "occurred_at": at, "received_at": at,
            "action": action, "category": "read", "outcome": "success", "severity": "info",
            "actor": {"type": "user", "id": actor, "name": actor.to_uppercase()},
            "targets": [{"type": "db", "id": "orders", "name": "Orders"}],
            "source": {"format": "native"}
        }))
        .unwrap()
    }

    #[test]
    fn everyone_who_touched_it_with_their_actions() {
        let events = [
            event("bob", "db.read", "2024-06-01T00:00:00.000Z"),
            event("eve", "db.read", "2024-06-02T00:00:00.000Z"),
            event("eve", "db.export", "2024-06-03T00:00:00.000Z"),
            event("bob", "db.read", "2024-06-04T00:00:00.000Z"),
        ];
        let t = touchers(&events);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].label.as_str(), t[0].count), ("BOB", 2));
        assert_eq!(t[0].actions, ["db.read"]);
        assert_eq!(t[0].last, "2024-06-04T00:00:00.000Z");
        assert_eq!(t[1].actions, ["db.read", "db.export"]);
        assert_eq!(
            resource_name(&events, "db", "orders").as_deref(),
            Some("Orders")
        );
        let mut renamed = events.to_vec();
        renamed.push(event("bob", "db.rename", "2024-06-05T00:00:00.000Z"));
        renamed.last_mut().unwrap().targets[0].name = Some("Q2 Orders".into());
        assert_eq!(
            resource_name(&renamed, "db", "orders").as_deref(),
            Some("Q2 Orders"),
            "the newest name"
        );
        assert_eq!(resource_name(&events, "db", "other"), None);
    }
}
