//! The events table's rows, built with plain DOM calls and kept in step with the list by hand.
//!
//! Chosen for size and speed: a keyed `<For>` of row components cost the wasm about 7 KB of gzip (the
//! keyed diff brings `indexmap` and `hashbrown`, and every row shape is compiled view code), while the
//! list only ever changes in three ways, each handled here without touching the rows already shown:
//! older pages are appended, live tail puts new rows on top, and anything else is a new list.
//! Clicks and keys are handled once, on the `<tbody>` ([`row_href`]). Text from events is only ever
//! set with `set_text_content`, never parsed as HTML.

use std::sync::Arc;

use evident_shared::event::Event;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Node};

use crate::api;
use crate::components::badge::outcome_class;
use crate::filters::encode_path_segment;
use crate::format::{actor_label, local_datetime, outcome_label, targets_summary};

/// How the rows on screen (their ids, in order) become `events`.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    /// The same rows.
    None,
    /// The rows from this index on are new, below the shown ones.
    Append(usize),
    /// This many new rows go on top of the shown ones.
    Prepend(usize),
    /// A different list: every row is built afresh.
    Replace,
}

fn change(shown: &[String], events: &[Arc<Event>]) -> Change {
    let same = |ids: &[String], events: &[Arc<Event>]| {
        ids.len() == events.len() && ids.iter().zip(events).all(|(id, e)| *id == e.id)
    };
    if shown.len() <= events.len() {
        if same(shown, &events[..shown.len()]) {
            return if shown.len() == events.len() {
                Change::None
            } else {
                Change::Append(shown.len())
            };
        }
        let new = events.len() - shown.len();
        if !shown.is_empty() && same(shown, &events[new..]) {
            return Change::Prepend(new);
        }
    }
    Change::Replace
}

/// Makes `body`'s rows show `events`; `shown` holds the ids on screen and is updated.
pub fn sync(body: &Element, shown: &mut Vec<String>, events: &[Arc<Event>], fresh: &[String]) {
    let document = leptos::prelude::document();
    let row = |e: &Event| build_row(&document, e, fresh.contains(&e.id));
    match change(shown, events) {
        Change::None => return,
        Change::Append(from) => {
            for e in &events[from..] {
                _ = body.append_child(&row(e));
            }
        }
        Change::Prepend(n) => {
            let first = body.first_child();
            for e in &events[..n] {
                _ = body.insert_before(&row(e), first.as_ref());
            }
        }
        Change::Replace => {
            body.set_text_content(None);
            for e in events {
                _ = body.append_child(&row(e));
            }
        }
    }
    *shown = events.iter().map(|e| e.id.clone()).collect();
}

/// The page a click or `Enter` on a row opens: the row's, unless the click was on a link (which
/// handles itself, middle- and ctrl-clicks included) or ended a text selection.
pub fn row_href(target: Option<web_sys::EventTarget>, click: bool) -> Option<String> {
    let el = target?.dyn_into::<Element>().ok()?;
    if click {
        if el.closest("a").ok().flatten().is_some() {
            return None;
        }
        let selection = leptos::prelude::window().get_selection().ok().flatten();
        if selection.is_some_and(|s| !s.is_collapsed()) {
            return None;
        }
    }
    el.closest("tr[data-href]")
        .ok()??
        .get_attribute("data-href")
}

/// One element with a class (if any) and text (if any).
fn node(document: &Document, tag: &str, class: &str, text: Option<&str>) -> Element {
    let el = document.create_element(tag).expect("create_element");
    if !class.is_empty() {
        el.set_class_name(class);
    }
    if text.is_some() {
        el.set_text_content(text);
    }
    el
}

fn append(parent: &Element, child: &Node) -> Element {
    _ = parent.append_child(child);
    parent.clone()
}

/// `<tr>` for one event: time (linking to the event), actor (linking to the actor), action, outcome,
/// target, environment, IP.
fn build_row(document: &Document, event: &Event, fresh: bool) -> Element {
    let href = format!("/events/{}", encode_path_segment(&event.id));
    let class = if fresh {
        "ev-table__row ev-table__row--fresh"
    } else {
        "ev-table__row"
    };
    let tr = node(document, "tr", class, None);
    _ = tr.set_attribute("data-testid", "event-row");
    _ = tr.set_attribute("tabindex", "-1");
    let cell = |class: &str, child: &Node| append(&node(document, "td", class, None), child);
    let link = |href: &str, title: &str, text: &str| {
        let a = node(document, "a", "", Some(text));
        _ = a.set_attribute("href", href);
        if !title.is_empty() {
            _ = a.set_attribute("title", title);
        }
        a
    };
    let text = |class: &str, text: &str| node(document, "td", class, Some(text));

    let time = link(
        &href,
        &event.occurred_at,
        &local_datetime(&event.occurred_at),
    );
    let actor = link(
        &api::actor_path(&event.actor.id),
        "",
        actor_label(&event.actor),
    );
    _ = actor.set_attribute("data-testid", "row-actor");
    let actor = cell("ev-table__actor", &actor);
    _ = actor.set_attribute("title", &event.actor.id);
    let outcome = node(
        document,
        "span",
        outcome_class(event.outcome),
        Some(&outcome_label(event.outcome)),
    );
    _ = outcome.set_attribute("data-testid", "outcome");
    let cells = [
        cell("ev-table__time", &time),
        actor,
        cell(
            "",
            &node(document, "code", "ev-action", Some(&event.action)),
        ),
        cell("", &outcome),
        text("ev-table__target", &targets_summary(event)),
        text("", event.scope.environment.as_deref().unwrap_or_default()),
        text("ev-mono", event.context.ip.as_deref().unwrap_or_default()),
    ];
    for c in cells {
        _ = tr.append_child(&c);
    }
    _ = tr.set_attribute("data-href", &href);
    tr
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(ids: &[&str]) -> Vec<Arc<Event>> {
        ids.iter()
            .map(|id| {
                Arc::new(
                    serde_json::from_value(serde_json::json!({
                        "id": id, "tenant": "t", "occurred_at": "2024-06-12T14:30:22.000Z",
                        "received_at": "2024-06-12T14:30:22.000Z", "action": "app.create",
                        "category": "create", "outcome": "success", "severity": "info",
                        "actor": {"type": "user", "id": "u1"}, "source": {"format": "native"}
                    }))
                    .unwrap(),
                )
            })
            .collect()
    }

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn lists_change_by_appending_prepending_or_replacing() {
        assert_eq!(change(&[], &[]), Change::None);
        assert_eq!(change(&[], &events(&["a"])), Change::Append(0));
        assert_eq!(
            change(&ids(&["a", "b"]), &events(&["a", "b"])),
            Change::None
        );
        assert_eq!(
            change(&ids(&["a", "b"]), &events(&["a", "b", "c"])),
            Change::Append(2)
        );
        assert_eq!(
            change(&ids(&["b", "c"]), &events(&["a", "b", "c"])),
            Change::Prepend(1)
        );
        assert_eq!(change(&ids(&["a", "b"]), &events(&["c"])), Change::Replace);
        assert_eq!(
            change(&ids(&["a", "b"]), &events(&["b", "a"])),
            Change::Replace
        );
        assert_eq!(change(&ids(&["a"]), &events(&[])), Change::Replace);
    }
}
