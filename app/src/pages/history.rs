//! What the actor page and the resource history page share: loading a history a page at a time (the
//! first page, then older or newer ones with the cursor), the notice above it, and one entry per
//! event (when, who, what, the outcome, on what, and the diff of a change).
//!
//! Entries are built from the one element shape of [`crate::components::section::el`], like the
//! event page, so a long history costs no extra compiled views. Event text is only ever text.

use evident_shared::event::Event;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, resource_path, ApiError, History};
use crate::components::badge::outcome_class;
use crate::components::diff::{diff_rows, diff_view};
use crate::components::notice::NoticeKind;
use crate::components::section::{el, link, text, titled_link};
use crate::filters::{encode_path_segment, encode_query_value};
use crate::format::{actor_label, local_datetime, outcome_label};
use crate::key::Auth;
use crate::router::Location;

/// A history as loaded so far.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// In the order the API sends them.
    pub events: Vec<Event>,
    /// An actor's most frequent actions (from the first page).
    pub top_actions: Vec<(String, u64)>,
    /// The search an actor's page ran (from the first page).
    pub search: Option<String>,
    /// Where the next page starts.
    pub next_cursor: Option<String>,
    /// A request is under way.
    pub loading: bool,
    /// The first page has arrived.
    pub loaded: bool,
    /// Why the last request failed.
    pub error: Option<String>,
}

impl Loaded {
    /// Takes in a page; a failed page keeps what was loaded.
    pub fn apply(&mut self, result: Result<History, ApiError>) {
        self.loading = false;
        match result {
            Ok(page) => {
                if !self.loaded {
                    self.top_actions = page.top_actions;
                    self.search = page.search;
                }
                self.loaded = true;
                self.events.extend(page.events);
                self.next_cursor = page.next_cursor;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// The line shown above the entries, if any; `empty` says what an empty history means.
    pub fn notice(&self, empty: &str) -> Option<(NoticeKind, String)> {
        match (&self.error, self.loaded) {
            (Some(e), _) => Some((NoticeKind::Error, e.clone())),
            (None, false) => Some((NoticeKind::Loading, "Loading…".into())),
            (None, true) if self.events.is_empty() => Some((NoticeKind::Empty, empty.into())),
            _ => None,
        }
    }
}

/// The history page last left, as it was: its API path, what it had loaded and how far down it
/// was scrolled. Back (or Forward) to it shows that again instead of its first page at the top.
#[derive(Debug, Clone, Copy)]
pub struct KeptHistory(StoredValue<Option<(String, Loaded, f64)>>);

impl Default for KeptHistory {
    /// Nothing kept yet; provided once by the app.
    fn default() -> KeptHistory {
        KeptHistory(StoredValue::new(None))
    }
}

/// Loads the first page of the history at `path` (an [`api::actor_path`] or [`resource_path`]) and
/// answers its state and the function that loads the next page. Reached with Back or Forward, the
/// history is shown as it was left ([`KeptHistory`]), with no request.
pub fn load(path: String) -> (RwSignal<Loaded>, impl Fn() + Copy) {
    let auth = expect_context::<Auth>();
    let kept = expect_context::<KeptHistory>().0;
    let came_back = Location::get().traversed();
    let restored = kept
        .try_update_value(Option::take)
        .flatten()
        .filter(|(kept_path, _, _)| came_back && *kept_path == path);
    let (loaded, restored_y) = match restored {
        Some((_, loaded, y)) => (loaded, Some(y)),
        None => (
            Loaded {
                loading: true,
                ..Loaded::default()
            },
            None,
        ),
    };
    let state = RwSignal::new(loaded);
    // How far down the page is; kept when it is left (read before the next page scrolls to the top:
    // scroll events come a frame later).
    let scrolled = StoredValue::new(0.0);
    let on_scroll = window_event_listener(leptos::ev::scroll, move |_| {
        scrolled.set_value(window().scroll_y().unwrap_or(0.0));
    });
    let path = StoredValue::new(path);
    on_cleanup(move || {
        on_scroll.remove();
        // Taken rather than copied: the page's views are gone by now.
        let loaded = state
            .try_update_untracked(std::mem::take)
            .filter(|s| s.loaded && !s.loading);
        if let (Some(loaded), Some(path), Some(y)) =
            (loaded, path.try_get_value(), scrolled.try_get_value())
        {
            kept.try_set_value(Some((path, loaded, y)));
        }
    });
    let fetch = move |cursor: Option<String>| {
        spawn_local(async move {
            let key = auth.key_untracked();
            let page = api::get_history(&key, &path.get_value(), cursor.as_deref()).await;
            let result = auth.guard(page);
            // try_update: the page may have been left meanwhile.
            state.try_update(|s| s.apply(result));
        });
    };
    match restored_y {
        Some(y) => request_animation_frame(move || {
            window().scroll_to_with_x_and_y(0.0, y);
            scrolled.try_set_value(y);
        }),
        None => fetch(None),
    }
    let more = move || {
        let cursor = state.with_untracked(|s| (!s.loading).then(|| s.next_cursor.clone()));
        if let Some(Some(cursor)) = cursor {
            state.update(|s| s.loading = true);
            fetch(Some(cursor));
        }
    };
    (state, more)
}

/// The events list's URL for a search, e.g. everything an actor did, over all time as the page's
/// counts are (the list's date range then narrows it).
pub fn search_href(query: &str) -> String {
    format!("/?range=all&q={}", encode_query_value(query))
}

/// A search term `field:value`, quoted when the value has characters the search language would
/// read otherwise.
pub fn term(field: &str, value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@._-".contains(&b));
    if plain {
        format!("{field}:{value}")
    } else {
        format!(
            "{field}:\"{}\"",
            value.replace('\\', "\\\\").replace('"', "\\\"")
        )
    }
}

/// What an entry shows besides when, what and the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Show {
    /// Who acted (not on an actor's own page).
    pub actor: bool,
    /// The targets (not on a resource's own page).
    pub targets: bool,
}

/// One event of a history.
pub fn entry(event: &Event, show: Show) -> AnyView {
    let href = format!("/events/{}", encode_path_segment(&event.id));
    let mut head = vec![
        // The viewer's local time, with the instant in UTC as its tooltip, as the list's rows have.
        titled_link(
            href,
            "ev-entry__time",
            Some("entry-time"),
            Some(event.occurred_at.clone()),
            vec![text(local_datetime(&event.occurred_at))],
        ),
        el(
            "code",
            "ev-entry__action",
            Some("entry-action"),
            vec![text(&event.action)],
        ),
        el(
            "span",
            outcome_class(event.outcome),
            Some("outcome"),
            vec![text(outcome_label(event.outcome))],
        ),
    ];
    if show.actor {
        head.insert(
            1,
            link(
                api::actor_path(&event.actor.id),
                "ev-entry__actor",
                Some("entry-actor"),
                vec![text(actor_label(&event.actor))],
            ),
        );
    }
    let mut children = vec![el("div", "ev-entry__head", None, head)];
    if let Some(description) = &event.description {
        children.push(el(
            "p",
            "ev-entry__description",
            None,
            vec![text(description)],
        ));
    }
    if show.targets && !event.targets.is_empty() {
        let mut on = vec![text("on ")];
        for (i, t) in event.targets.iter().enumerate() {
            if i > 0 {
                on.push(text(", "));
            }
            let label = t
                .name
                .clone()
                .unwrap_or_else(|| format!("{}:{}", t.kind, t.id));
            on.push(link(
                resource_path(&t.kind, &t.id),
                "",
                Some("entry-target"),
                vec![text(label)],
            ));
        }
        children.push(el("p", "ev-entry__targets", None, on));
    }
    if let Some(error) = &event.error {
        children.push(el("p", "ev-entry__error", None, vec![text(&error.message)]));
    }
    if let Some(changes) = &event.changes {
        children.push(diff_view(diff_rows(changes, &event.redacted)));
    }
    el("li", "ev-entry", Some("history-entry"), children)
}

/// The "Load more" button under a history.
pub fn more_button(state: RwSignal<Loaded>, more: impl Fn() + Copy + 'static) -> impl IntoView {
    view! {
        <button
            type="button"
            class="ev-button ev-more"
            data-testid="load-more"
            hidden=move || state.with(|s| s.next_cursor.is_none())
            // Not `disabled`, which drops the keyboard focus; a click while loading is ignored.
            aria-disabled=move || state.with(|s| s.loading).to_string()
            on:click=move |_| if !state.with_untracked(|s| s.loading) { more() }
        >
            {move || if state.with(|s| s.loading) { "Loading…" } else { "Load more" }}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_quote_what_the_language_would_misread() {
        assert_eq!(term("actor", "alice@corp.com"), "actor:alice@corp.com");
        assert_eq!(term("actor", "u 1"), "actor:\"u 1\"");
        assert_eq!(term("actor", "a\"b"), "actor:\"a\\\"b\"");
        assert_eq!(term("action", ""), "action:\"\"");
        assert_eq!(
            term("actor", "svc*"),
            "actor:\"svc*\"",
            "not a prefix search"
        );
        assert_eq!(
            search_href(&term("actor", "u1")),
            "/?range=all&q=actor:u1",
            "over all time, as the page's counts are"
        );
    }

    #[test]
    fn pages_accumulate_and_top_actions_come_from_the_first() {
        let mut loaded = Loaded::default();
        assert_eq!(loaded.notice("none").unwrap().0, NoticeKind::Loading);
        loaded.apply(Ok(History {
            events: vec![],
            next_cursor: Some("c".into()),
            top_actions: vec![("a.b".into(), 2)],
            search: Some("actor:u1".into()),
        }));
        assert_eq!(
            loaded.notice("none"),
            Some((NoticeKind::Empty, "none".into()))
        );
        loaded.apply(Ok(History::default()));
        assert_eq!(loaded.top_actions, [("a.b".to_owned(), 2)]);
        assert_eq!(loaded.search.as_deref(), Some("actor:u1"));
        assert_eq!(loaded.next_cursor, None);
        loaded.apply(Err(ApiError::NotFound));
        assert_eq!(loaded.notice("none").unwrap().0, NoticeKind::Error);
    }
}
