//! The events list (`/` and `/events`): the filter bar, then matching events newest first, a page at a
//! time.
//!
//! The URL's query string is the only filter state: the bar writes it (replacing the history entry), a
//! memo reads it, and an effect requests the first page whenever it changes, so a copied link
//! reproduces the view. Answers land in one [`List`] signal through [`List::apply`], which also drops
//! answers to requests that were superseded. A plain effect and `spawn_local` stand in for
//! `LocalResource` + `<Transition>`: they behave the same here (old rows stay until new ones arrive)
//! and save about 20 KB of gzip wasm, which the dashboard's 200 KB budget needs.

use std::sync::Arc;

use evident_shared::api::EventPage;
use evident_shared::event::Event;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::components::badge::OutcomeBadge;
use crate::components::filter_bar::FilterBar;
use crate::components::notice::{Notice, NoticeKind};
use crate::filters::{encode_path_segment, Filters};
use crate::format::{actor_label, local_datetime, now_ms, targets_summary};
use crate::key::Auth;
use crate::router::Location;
use crate::LastList;

/// What a list request asks for; older pages repeat it exactly, with a cursor.
#[derive(Debug, Clone, PartialEq)]
struct ListRequest {
    filters: Filters,
    /// The range's lower bound, fixed when the first page is requested.
    from_ms: Option<i64>,
}

/// Everything the list shows.
#[derive(Debug, Clone, Default)]
struct List {
    /// The request the rows answer; `None` until the first answer.
    shown: Option<ListRequest>,
    /// The request whose answers are awaited; answers to any other are stale.
    wanted: Option<ListRequest>,
    /// The rows, newest first; shared, so handing them to the table copies no event.
    events: Vec<Arc<Event>>,
    /// Where the next (older) page starts, if there is one.
    next_cursor: Option<String>,
    /// Whether a request is under way.
    loading: bool,
    /// Why the last request failed.
    error: Option<String>,
}

impl List {
    /// Notes that a request was sent.
    fn start(&mut self, request: ListRequest) {
        self.wanted = Some(request);
        self.loading = true;
    }

    /// Takes in the answer to `request` (a first page when `first`). Stale answers change nothing. A
    /// first page replaces the rows; a failed first page clears them, since they belong to other filters.
    fn apply(&mut self, request: ListRequest, first: bool, result: Result<EventPage, ApiError>) {
        if self.wanted.as_ref() != Some(&request) {
            return;
        }
        self.loading = false;
        if first {
            self.events.clear();
            self.next_cursor = None;
            self.shown = Some(request);
        }
        match result {
            Ok(page) => {
                self.events.extend(page.events.into_iter().map(Arc::new));
                self.next_cursor = page.next_cursor;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// The notice above the table, if any.
    fn notice(&self) -> Option<(NoticeKind, String)> {
        match (&self.error, &self.shown) {
            (Some(e), _) => Some((NoticeKind::Error, e.clone())),
            (None, None) => Some((NoticeKind::Loading, "Loading events…".into())),
            (None, Some(_)) if self.events.is_empty() && !self.loading => {
                Some((NoticeKind::Empty, "No events match these filters".into()))
            }
            _ => None,
        }
    }
}

/// The events list page.
#[component]
pub fn EventsPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let location = Location::get();
    let query = location.query;
    let filters = Memo::new(move |_| query.with(|q| Filters::from_query(|name| q.get(name))));

    let last_list = expect_context::<LastList>();
    let list_path = location.path.get_untracked();
    let on_change = Callback::new(move |next: Filters| {
        let path = location.path.get_untracked();
        // Replaces the history entry and keeps the scroll position: refining a list is not a new page.
        location.navigate(&format!("{path}?{}", next.to_query_string()), true, false);
    });

    let list = RwSignal::new(List::default());
    let fetch = move |request: ListRequest, cursor: Option<String>| {
        list.update(|l| l.start(request.clone()));
        spawn_local(async move {
            let key = auth.key_untracked();
            let page = api::list_events(&key, &request.filters, request.from_ms, cursor.as_deref());
            let result = auth.guard(page.await);
            // try_update: the page may have been left meanwhile.
            list.try_update(|l| l.apply(request, cursor.is_none(), result));
        });
    };
    Effect::new(move |_| {
        let filters = filters.get();
        // Leaving for another route changes the query too; that is not a new list.
        if location.path.get_untracked() != list_path {
            return;
        }
        // Remember this view for the detail page's back link.
        let query = filters.to_query_string();
        last_list.0.set(format!("{list_path}?{query}"));
        fetch(
            ListRequest {
                from_ms: filters.range.from_ms(now_ms()),
                filters,
            },
            None,
        );
    });
    let load_more = move |_| {
        let (request, cursor) = list.with_untracked(|l| (l.shown.clone(), l.next_cursor.clone()));
        if let (Some(request), Some(cursor)) = (request, cursor) {
            fetch(request, Some(cursor));
        }
    };

    let rows = move || list.with(|l| l.events.clone());
    let count = move || list.with(|l| l.events.len());
    view! {
        <section class="ev-page ev-events">
            <h1 class="ev-visually-hidden">"Events"</h1>
            <FilterBar filters=filters on_change=on_change/>
            {move || list.with(List::notice).map(|(kind, text)| view! { <Notice kind text/> })}
            <p class="ev-count" data-testid="row-count" hidden=move || count() == 0>
                {move || match count() {
                    1 => "Showing 1 event".to_owned(),
                    n => format!("Showing {n} events"),
                }}
            </p>
            <div class="ev-table-wrap" hidden=move || count() == 0>
                <table class="ev-table" data-testid="events-table">
                    <thead>
                        <tr>
                            <th scope="col">"Time"</th>
                            <th scope="col">"Actor"</th>
                            <th scope="col">"Action"</th>
                            <th scope="col">"Outcome"</th>
                            <th scope="col">"Target"</th>
                            <th scope="col">"Environment"</th>
                            <th scope="col">"IP"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=rows key=|event| event.id.clone() let:event>
                            <EventRow event/>
                        </For>
                    </tbody>
                </table>
            </div>
            <button
                type="button"
                class="ev-button ev-more"
                data-testid="load-more"
                hidden=move || list.with(|l| l.next_cursor.is_none() || l.events.is_empty())
                disabled=move || list.with(|l| l.loading)
                on:click=load_more
            >
                {move || if list.with(|l| l.loading) { "Loading…" } else { "Load more" }}
            </button>
        </section>
    }
}

/// One event as a table row; the time links to the detail page and a click anywhere on the row opens it.
#[component]
fn EventRow(event: Arc<Event>) -> impl IntoView {
    let href = format!("/events/{}", encode_path_segment(&event.id));
    let location = Location::get();
    let open = {
        let href = href.clone();
        move |e: leptos::ev::MouseEvent| {
            // The link handles its own clicks (and middle- or ctrl-clicks); selecting text is not a click.
            let on_link = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| el.closest("a").ok().flatten().is_some());
            let selecting = window()
                .get_selection()
                .ok()
                .flatten()
                .is_some_and(|s| !s.is_collapsed());
            if !on_link && !selecting {
                location.navigate(&href, false, true);
            }
        }
    };
    let time = local_datetime(&event.occurred_at);
    let actor = actor_label(&event.actor).to_owned();
    let target = targets_summary(&event);
    let environment = event.scope.environment.clone().unwrap_or_default();
    let ip = event.context.ip.clone().unwrap_or_default();

    view! {
        <tr class="ev-table__row" data-testid="event-row" on:click=open>
            <td class="ev-table__time">
                <a href=href title=event.occurred_at.clone()>{time}</a>
            </td>
            <td class="ev-table__actor" title=event.actor.id.clone()>{actor}</td>
            <td>
                <code class="ev-action">{event.action.clone()}</code>
            </td>
            <td>
                <OutcomeBadge outcome=event.outcome/>
            </td>
            <td class="ev-table__target">{target}</td>
            <td>{environment}</td>
            <td class="ev-mono">{ip}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filters::Range;

    fn request(range: Range) -> ListRequest {
        ListRequest {
            filters: Filters {
                range,
                ..Filters::default()
            },
            from_ms: Some(1),
        }
    }

    fn page(ids: &[&str], next: Option<&str>) -> EventPage {
        let events = ids
            .iter()
            .map(|id| {
                serde_json::from_value(serde_json::json!({
                    "id": id, "tenant": "t", "occurred_at": "2024-06-12T14:30:22.000Z",
                    "received_at": "2024-06-12T14:30:22.000Z", "action": "app.create",
                    "category": "create", "outcome": "success", "severity": "info",
                    "actor": {"type": "user", "id": "u1"}, "source": {"format": "native"}
                }))
                .unwrap()
            })
            .collect();
        EventPage {
            events,
            next_cursor: next.map(String::from),
        }
    }

    fn ids(list: &List) -> Vec<&str> {
        list.events.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn pages_append_and_a_new_first_page_replaces_them() {
        let mut list = List::default();
        assert_eq!(list.notice().unwrap().0, NoticeKind::Loading);
        list.start(request(Range::Week));
        list.apply(
            request(Range::Week),
            true,
            Ok(page(&["b", "a"], Some("c1"))),
        );
        list.start(request(Range::Week));
        list.apply(request(Range::Week), false, Ok(page(&["z"], None)));
        assert_eq!(ids(&list), ["b", "a", "z"]);
        assert_eq!(list.next_cursor, None);
        assert_eq!(list.notice(), None);

        list.start(request(Range::Day));
        assert_eq!(
            ids(&list),
            ["b", "a", "z"],
            "old rows stay while the new ones load"
        );
        list.apply(request(Range::Day), true, Ok(page(&[], None)));
        assert!(list.events.is_empty());
        assert_eq!(list.notice().unwrap().0, NoticeKind::Empty);
    }

    #[test]
    fn answers_to_superseded_requests_are_dropped() {
        let mut list = List::default();
        list.start(request(Range::Week));
        list.start(request(Range::Day));
        list.apply(request(Range::Week), true, Ok(page(&["old"], None)));
        assert!(list.events.is_empty());
        assert!(list.loading);
        list.apply(request(Range::Day), true, Ok(page(&["new"], None)));
        assert_eq!(ids(&list), ["new"]);
    }

    #[test]
    fn failures_show_the_api_message_and_keep_appended_rows() {
        let mut list = List::default();
        list.start(request(Range::Week));
        list.apply(request(Range::Week), true, Ok(page(&["a"], Some("c1"))));
        list.start(request(Range::Week));
        let failure = ApiError::Http {
            status: 500,
            message: "database unavailable".into(),
        };
        list.apply(request(Range::Week), false, Err(failure.clone()));
        assert_eq!(ids(&list), ["a"]);
        assert_eq!(
            list.notice(),
            Some((NoticeKind::Error, "database unavailable".into()))
        );

        list.start(request(Range::Day));
        list.apply(request(Range::Day), true, Err(failure));
        assert!(
            list.events.is_empty(),
            "rows of other filters are not shown under an error"
        );
    }
}
