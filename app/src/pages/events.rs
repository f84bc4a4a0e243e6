//! The events page (`/` and `/events`): the filter bar, the volume chart, then matching events newest
//! first, a page at a time, with live tail and keyboard moves.
//!
//! The URL's query string is the only filter state: the bar writes it (replacing the history entry; a
//! chart zoom adds one, so Back undoes it), a memo reads it, and an effect requests the first page, the
//! pickers' counts and the chart whenever it changes, so a copied link reproduces the view. Answers land
//! in signals through [`List::apply`] and [`Stats`], which also drop answers to superseded requests. A
//! plain effect and `spawn_local` stand in for `LocalResource` + `<Transition>`: they behave the same
//! here (old rows stay until new ones arrive) and save about 20 KB of gzip wasm, which the dashboard's
//! 200 KB budget needs.
//!
//! The table builds only the rows near the viewport (see `rows`), so it scrolls smoothly through
//! tens of thousands of loaded rows.
//!
//! Live tail polls every 2.5 s for events at or after the newest one shown (a minute back at least)
//! and puts each new one in its place in the order; when more arrived than one answer holds, the view
//! is loaded again rather than shown with a gap. Its timer stops when the page goes away.
//! Keys: `/` focuses the search, `j`/`k` move the focus down and up the rows, `→`/`←` open and close
//! the focused row's details (its payload, in place), `Enter` opens the focused row's page, `Esc`
//! leaves the search.

use std::sync::Arc;

use evident_shared::api::EventPage;
use evident_shared::event::Event;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::api::{self, ApiError};
use crate::components::columns::{stored_hidden, ColumnChooser};
use crate::components::export_button::ExportButton;
use crate::components::filter_bar::FilterBar;
use crate::components::notice::{Notice, NoticeKind};
use crate::components::pickers::FACET_FIELDS;
use crate::components::query_bar::QUERY_INPUT_ID;
use crate::components::saved_searches::LoadWhen;
use crate::components::volume_chart::VolumeChart;
use crate::filters::{Bounds, Filters, Range};
use crate::format::{local_offset_minutes, now_ms, parse_wire_millis};
use crate::key::Auth;
use crate::router::{Location, Page};
use crate::stats::{Facets, Histogram};
use crate::{LastList, OpenedRow};

mod rows;

/// The keyboard hint above the table.
const KEY_HINTS: &str = r#"<kbd class="ev-kbd">/</kbd> search · <kbd class="ev-kbd">j</kbd> <kbd class="ev-kbd">k</kbd> move · <kbd class="ev-kbd">→</kbd> <kbd class="ev-kbd">←</kbd> details · <kbd class="ev-kbd">Enter</kbd> open"#;

/// How long a view must stay after its rows came before its counts (chart, pickers) are asked for.
const STATS_AFTER_MS: u64 = 200;

/// How often live tail asks for new events.
const TAIL_EVERY_MS: u64 = 2_500;

/// What a list request asks for; older pages repeat it exactly, with a cursor.
#[derive(Debug, Clone, PartialEq)]
struct ListRequest {
    filters: Filters,
    /// The range's bounds, fixed when the first page is requested.
    bounds: Bounds,
    /// When the first page was requested: a range open at its end shows what had happened by then.
    at: i64,
}

impl ListRequest {
    /// The export's query for exactly these rows: their filters and bounds, and a range open at its
    /// end closed when the rows were read (unless live tail keeps adding to them): at `at`, or when
    /// live tail last asked for newer rows (`tailed_to`), whose rows are shown too. Events that
    /// arrived later, which the list does not show, are not in the file either.
    ///
    /// When the server said what the rows were read as of ([`AsOf`]), the file is pinned to that
    /// instead: no event stored after the first page (by chain position, so an event dated in the
    /// future that the list shows is in the file too), and relative terms taken from the same time.
    /// "Load more" pages read the same view (the server's cursor carries it).
    fn export_query(&self, live: bool, tailed_to: Option<i64>, as_of: Option<AsOf>) -> String {
        if let Some(AsOf { up_to_seq, now }) = as_of {
            let query = self.filters.api_query(self.bounds, 1, None);
            return format!("{query}&up_to_seq={up_to_seq}&now={now}");
        }
        let to = match self.bounds.1 {
            None if !live => Some(tailed_to.map_or(self.at, |t| t.max(self.at))),
            to => to,
        };
        self.filters.api_query(Bounds(self.bounds.0, to), 1, None)
    }
}

/// What the rows shown were read as of, as the server says on a first page: the chain head
/// (advanced by live tail's answers) and the time relative terms were taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AsOf {
    up_to_seq: u64,
    now: i64,
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
    /// Ids of the rows that live tail added (marked on screen). A list, not a set: it is short, and a
    /// hash set of strings costs the wasm a few KB.
    fresh: Vec<String>,
    /// Where the next (older) page starts, if there is one.
    next_cursor: Option<String>,
    /// When live tail last asked for newer rows for the shown request (ms): the rows reach that far.
    tailed_to: Option<i64>,
    /// What the rows were read as of, when the server said.
    as_of: Option<AsOf>,
    /// What live tail's polls send back, from the first page ([`EventPage::tail_token`]).
    tail_token: Option<String>,
    /// Whether a request is under way.
    loading: bool,
    /// Why the last request failed.
    error: Option<String>,
}

/// What live tail's answer did to the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tailed {
    /// This many events were new.
    Added(usize),
    /// More arrived than one answer holds: the view is loaded again rather than shown with a gap.
    Gap,
}

/// Where an event sorts in the list: by time, then by `seq` (the list's own order, newest first).
fn order_key(event: &Event) -> (i64, u64) {
    let at = parse_wire_millis(&event.occurred_at).unwrap_or(i64::MIN);
    (at, event.seq.unwrap_or(0))
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
            self.fresh.clear();
            self.next_cursor = None;
            self.tailed_to = None;
            self.as_of = None;
            self.tail_token = None;
            self.shown = Some(request);
        }
        match result {
            Ok(page) => {
                if first {
                    self.as_of = page
                        .up_to_seq
                        .zip(page.now)
                        .map(|(up_to_seq, now)| AsOf { up_to_seq, now });
                    self.tail_token = page.tail_token;
                }
                self.events.extend(page.events.into_iter().map(Arc::new));
                self.next_cursor = page.next_cursor;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// What live tail asks for next at `now_ms`: the shown request, from the newest row's time on
    /// (inclusive, so events at the same millisecond are not missed; [`List::prepend`] drops the
    /// repeats), but at least from a minute ago: a sender whose clock runs ahead puts rows in the future,
    /// and tailing from those would hide every event that arrives on time.
    fn tail_request(&self, now_ms: i64) -> Option<(ListRequest, Bounds)> {
        let shown = self.shown.clone()?;
        if self.loading || self.wanted.as_ref() != Some(&shown) {
            return None;
        }
        let newest = self
            .events
            .first()
            .and_then(|e| parse_wire_millis(&e.occurred_at))
            .map(|n| n.min(now_ms - 60_000));
        let from = match (newest, shown.bounds.0) {
            (Some(n), Some(f)) => Some(n.max(f)),
            (n, f) => n.or(f),
        };
        let bounds = Bounds(from, shown.bounds.1);
        Some((shown, bounds))
    }

    /// Takes in live tail's answer for `request`: each event not shown yet goes where it belongs in
    /// the rows' order (newest first, by time then `seq`), so one that arrived late for the last
    /// minute's polls lands below newer rows, not on top. An answer that is one page of more (it has
    /// a next page, and its oldest event is not shown yet) would leave a gap under it: that is
    /// [`Tailed::Gap`], and the rows are left for the caller to load again. An answer for a view no
    /// longer shown changes nothing.
    fn merge_tail(&mut self, request: &ListRequest, page: EventPage, asked_at: i64) -> Tailed {
        if self.shown.as_ref() != Some(request) || self.wanted.as_ref() != Some(request) {
            return Tailed::Added(0);
        }
        let is_shown = |list: &List, id: &str| list.events.iter().any(|shown| shown.id == id);
        let reaches_shown = page.events.last().is_some_and(|e| is_shown(self, &e.id));
        if page.next_cursor.is_some() && !reaches_shown {
            return Tailed::Gap;
        }
        let mut added = 0;
        for event in page.events {
            if is_shown(self, &event.id) {
                continue;
            }
            let key = order_key(&event);
            let at = self.events.partition_point(|shown| order_key(shown) > key);
            self.fresh.push(event.id.clone());
            self.events.insert(at, Arc::new(event));
            added += 1;
        }
        self.tailed_to = Some(asked_at);
        // The rows now reach the chain as it was for this answer; relative terms keep their time.
        if let (Some(as_of), Some(seq)) = (&mut self.as_of, page.up_to_seq) {
            as_of.up_to_seq = as_of.up_to_seq.max(seq);
        }
        Tailed::Added(added)
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

/// The pickers' counts and the chart's buckets for one view; answers for another view are dropped.
#[derive(Debug, Clone, Default)]
struct Stats {
    /// The view the counts are wanted for.
    wanted: Option<ListRequest>,
    facets: Option<Facets>,
    histogram: Option<Histogram>,
    /// The view `histogram` counts.
    histogram_for: Option<ListRequest>,
    /// Why the wanted view's counts could not be had, when they could not.
    histogram_failed: Option<String>,
}

/// The events page.
#[component]
pub fn EventsPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let location = Location::get();
    let query = location.query;
    let filters = Memo::new(move |_| query.with(|q| Filters::from_query(|name| q.get(name))));

    let last_list = expect_context::<LastList>();
    let opened_row = expect_context::<OpenedRow>();
    let list_path = location.path.get_untracked();
    // A history entry, so Back undoes the change, unless `replace`. The scroll position stays:
    // refining a list is not a new page.
    let go = move |next: Filters, replace: bool| {
        let path = location.path.get_untracked();
        location.navigate(
            &format!("{path}?{}", next.to_query_string()),
            replace,
            false,
        );
    };
    let on_change = Callback::new(move |next: Filters| {
        // Editing a custom range's bounds replaces the entry: a date-time field reports each part
        // as it is typed (0002, 0020, 0202, 2023).
        let editing_bounds = filters.with_untracked(|now| {
            now.range == Range::Custom && next.range == Range::Custom && now.q == next.q
        });
        go(next, editing_bounds)
    });
    let on_zoom = Callback::new(move |(from, to): (i64, i64)| {
        go(
            filters.get_untracked().with_custom(Some(from), Some(to)),
            false,
        )
    });

    let list = RwSignal::new(List::default());
    // The saved searches (in the filter bar) wait for the first answer, so the rows go first.
    let first_answer = RwSignal::new(false);
    provide_context(LoadWhen(first_answer));
    let stats = RwSignal::new(Stats::default());
    let fetch_stats = move |request: ListRequest| {
        stats.update(|s| {
            s.wanted = Some(request.clone());
            s.histogram_failed = None;
        });
        let key = auth.key_untracked();
        let (f, b) = (request.filters.clone(), request.bounds);
        let (key2, f2, r2) = (key.clone(), f.clone(), request.clone());
        spawn_local(async move {
            let result = auth.guard(api::facets(&key, &f, b, FACET_FIELDS).await);
            // On failure the pickers keep their last counts; the list shows what went wrong.
            stats.try_update(|s| {
                if let (true, Ok(facets)) = (s.wanted.as_ref() == Some(&request), result) {
                    s.facets = Some(facets);
                }
            });
        });
        spawn_local(async move {
            // "All time" has no lower bound; the chart shows the last year of it.
            let mut bounds = b;
            if bounds.0.is_none() {
                bounds.0 = Some(bounds.1.unwrap_or_else(now_ms) - 365 * 86_400_000);
            }
            let result = auth.guard(api::histogram(&key2, &f2, bounds).await);
            stats.try_update(|s| {
                if s.wanted.as_ref() != Some(&r2) {
                    return;
                }
                match result {
                    Ok(h) => {
                        s.histogram = Some(h);
                        s.histogram_for = Some(r2);
                    }
                    Err(e) => s.histogram_failed = Some(e.to_string()),
                }
            });
        });
    };
    // The last row before those a later page brings (see `focus_first_loaded`): its id, as live
    // tail may add rows above meanwhile. `None` while a first page is awaited.
    let more_after = StoredValue::new(None::<String>);
    // The first page is asked for alone, and the chart's and pickers' counts only once it has come
    // and the view has stayed for STATS_AFTER_MS: D1 answers one query at a time, so counts asked
    // for together, or for views passed through, would delay the rows.
    let fetch = move |request: ListRequest, cursor: Option<String>| {
        more_after.set_value(
            cursor
                .as_ref()
                .and_then(|_| list.with_untracked(|l| l.events.last().map(|e| e.id.clone()))),
        );
        list.update(|l| l.start(request.clone()));
        spawn_local(async move {
            let key = auth.key_untracked();
            let page = api::list_events(
                &key,
                &request.filters,
                request.bounds,
                cursor.as_deref(),
                None,
            );
            let result = auth.guard(page.await);
            let first_page = cursor.is_none();
            // try_: the page may have been left meanwhile. Once true, nothing listens any more.
            _ = first_answer.try_set(true);
            // try_update: the page may have been left meanwhile.
            let current = list
                .try_update(|l| {
                    let current = l.wanted.as_ref() == Some(&request);
                    l.apply(request.clone(), first_page, result);
                    current
                })
                .unwrap_or(false);
            if first_page && current {
                // Only for a view that stays: someone refining a search changes it again within
                // moments, and counts asked for a passing view would hold D1 up for the next rows.
                set_timeout(
                    move || {
                        // try_: the page may have been left meanwhile.
                        let stays =
                            list.try_with_untracked(|l| l.wanted.as_ref() == Some(&request));
                        if stays == Some(true) {
                            fetch_stats(request);
                        }
                    },
                    std::time::Duration::from_millis(STATS_AFTER_MS),
                );
            }
        });
    };
    let show = {
        let list_path = list_path.clone();
        move |filters: Filters, now: i64| {
            // Remember this view for the detail page's back link.
            let query = filters.to_query_string();
            last_list.0.set(format!("{list_path}?{query}"));
            let request = ListRequest {
                bounds: filters.bounds(now, local_offset_minutes),
                filters,
                at: now,
            };
            fetch(request, None);
        }
    };
    // The first page is asked for now, before the page is drawn (an effect runs after); the effect
    // asks again whenever the filters change. The first view is loaded at the time index.html's
    // script asked for its rows, if it did (crate::prefetch), so that the app asks for the same URL
    // and takes that answer.
    let first = filters.get_untracked();
    show(
        first.clone(),
        crate::prefetch::started_at(now_ms()).unwrap_or_else(now_ms),
    );
    Effect::new(move |first_run_done: Option<()>| {
        let filters = filters.get();
        let changed = first_run_done.is_some() || filters != first;
        // Leaving for another route changes the query too; that is not a new list.
        if changed && location.path.get_untracked() == list_path {
            show(filters, now_ms());
        }
    });
    let load_more = move |_| {
        if list.with_untracked(|l| l.loading) {
            return;
        }
        let (request, cursor) = list.with_untracked(|l| (l.shown.clone(), l.next_cursor.clone()));
        if let (Some(request), Some(cursor)) = (request, cursor) {
            fetch(request, Some(cursor));
        }
    };

    // Live tail: a timer while it is on; each tick asks for what is newer, unless a request is out.
    let live = RwSignal::new(false);
    let tailing = StoredValue::new(false);
    // A custom range with an end is history: nothing new can arrive in it.
    let tail_possible = move || {
        filters
            .try_with(|f| f.range != Range::Custom || f.to_ms.is_none())
            .unwrap_or(false)
    };
    let tick = move || {
        // try_: a tick already queued may run after the page was left.
        if tailing.try_get_value().unwrap_or(true) || !tail_possible() {
            return;
        }
        let asked_at = now_ms();
        let Some((request, bounds, token)) = list.with_untracked(|l| {
            l.tail_request(asked_at).map(|(request, bounds)| {
                (request, bounds, l.tail_token.clone().unwrap_or_default())
            })
        }) else {
            return;
        };
        tailing.set_value(true);
        spawn_local(async move {
            let key = auth.key_untracked();
            let page = api::list_events(&key, &request.filters, bounds, None, Some(&token)).await;
            if let Ok(page) = auth.guard(page) {
                if list.try_update(|l| l.merge_tail(&request, page, asked_at)) == Some(Tailed::Gap)
                {
                    fetch(request, None);
                }
            }
            tailing.try_set_value(false);
        });
    };
    // The timer's handle: cleared when live tail is turned off, and when the page goes away (a timer
    // left running would read this page's disposed signals).
    let timer = Arc::new(std::sync::Mutex::new(None::<IntervalHandle>));
    let stop = {
        let timer = Arc::clone(&timer);
        move || {
            if let Some(handle) = timer.lock().ok().and_then(|mut handle| handle.take()) {
                handle.clear();
            }
        }
    };
    Effect::new({
        let stop = stop.clone();
        move |_| {
            stop();
            if live.get() {
                let every = std::time::Duration::from_millis(TAIL_EVERY_MS);
                if let Ok(mut handle) = timer.lock() {
                    *handle = set_interval_with_handle(tick, every).ok();
                }
            }
        }
    });
    on_cleanup(stop);

    // Keyboard: `/`, `j`, `k` anywhere but in a field (Enter on a row is the row's own).
    let keys = window_event_listener(leptos::ev::keydown, move |e| {
        if e.ctrl_key() || e.meta_key() || e.alt_key() || e.default_prevented() {
            return;
        }
        if crate::router::typing_in_a_field() {
            return;
        }
        let document = document();
        match e.key().as_str() {
            "/" => {
                if let Some(input) = document
                    .get_element_by_id(QUERY_INPUT_ID)
                    .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    e.prevent_default();
                    _ = input.focus();
                }
            }
            key @ ("j" | "k") => {
                e.prevent_default();
                move_row_focus(if key == "j" { 1 } else { -1 });
            }
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());

    // The rows are plain DOM (see rows.rs): the ones near the viewport, kept in step with the list by
    // this effect and with the viewport by the scroll and resize listeners.
    let tbody = NodeRef::<leptos::html::Tbody>::new();
    let window_rows = StoredValue::new(rows::Window::default());
    // The rest of a first batch of rows (rows::Window::partial), built as for a scroll; try_: the
    // page may have been left before it runs.
    let build_rest = move || {
        let Some(body) = tbody.try_get_untracked().flatten() else {
            return;
        };
        _ = list.try_with_untracked(|l| {
            window_rows.try_update_value(|w| w.sync(&body, &l.events, &l.fresh, true))
        });
    };
    // Builds the row of event `id` if it is not built, and gives it the focus.
    let focus_row = move |body: &web_sys::Element, l: &List, id: &str| {
        let row = window_rows.try_update_value(|w| w.reveal(body, &l.events, &l.fresh, id));
        if let Some(row) = row.flatten() {
            _ = row.unchecked_into::<web_sys::HtmlElement>().focus();
        }
    };
    // Back on the list an event was opened from, its row takes the focus again once the first
    // answer is in, unless the focus has moved on since the page changed.
    let return_to_opened = move |body: &web_sys::Element, l: &List| {
        if l.shown.is_none() {
            return;
        }
        let here = last_list.0.get_untracked();
        let opened = opened_row
            .0
            .try_update_value(|o| o.take_if(|(url, _)| *url == here));
        let Some((_, id)) = opened.flatten() else {
            return;
        };
        // Nor is the page scrolled then: the person is busy elsewhere on it.
        if focus_is_lost() {
            focus_row(body, l, &id);
        }
    };
    // "Load more" hides itself once it brought the last page; the focus, left on it or fallen to the
    // page, goes to the first row it brought, where reading goes on.
    let focus_first_loaded = move |body: &web_sys::Element, l: &List| {
        if l.loading || l.next_cursor.is_some() {
            return;
        }
        let Some(after) = more_after.try_update_value(Option::take).flatten() else {
            return;
        };
        let from = l
            .events
            .iter()
            .position(|e| e.id == after)
            .map_or(0, |i| i + 1);
        let on_button = document()
            .active_element()
            .is_some_and(|el| el.get_attribute("data-testid").as_deref() == Some("load-more"));
        if let Some(first) = l.events.get(from).filter(|_| on_button || focus_is_lost()) {
            focus_row(body, l, &first.id);
        }
    };
    // `scrolled`: called for a scroll or resize, not for a change of the list (which it tracks).
    let sync_rows = move |scrolled: bool| {
        let Some(body) = tbody.get_untracked() else {
            return;
        };
        let sync = |l: &List| {
            window_rows.update_value(|w| w.sync(&body, &l.events, &l.fresh, scrolled));
        };
        if scrolled {
            list.with_untracked(sync);
        } else {
            list.with(sync);
            list.with_untracked(|l| {
                return_to_opened(&body, l);
                focus_first_loaded(&body, l);
            });
        }
        // A first batch of rows is only what the screen shows; the rest follows its frame.
        if window_rows.with_value(rows::Window::partial) {
            request_animation_frame(move || {
                set_timeout(build_rest, std::time::Duration::ZERO);
            });
        }
    };
    Effect::new(move |_| {
        tbody.track();
        sync_rows(false);
    });
    let on_scroll = window_event_listener(leptos::ev::scroll, move |_| sync_rows(true));
    let on_resize = window_event_listener(leptos::ev::resize, move |_| sync_rows(true));
    on_cleanup(move || {
        on_scroll.remove();
        on_resize.remove();
    });
    // A row's details open and close under it (the ▸ button, or → and ← on a focused row).
    let toggle_row = move |id: &str| {
        let Some(body) = tbody.get_untracked() else {
            return;
        };
        list.with_untracked(|l| {
            window_rows.update_value(|w| w.toggle(&body, &l.events, &l.fresh, id))
        });
    };
    // An event opened from this list (its row, a link in it, or the keyboard) is remembered with the
    // list, for the way back.
    on_cleanup(move || {
        if let Some(Page::Event(id)) = location.page.try_get_untracked() {
            let list = last_list.0.try_get_untracked().unwrap_or_default();
            opened_row.0.try_set_value(Some((list, id)));
        }
    });
    let open_row = move |e: leptos::ev::MouseEvent| {
        if let Some(id) = rows::expand_target(e.target()) {
            toggle_row(&id);
        } else if let Some(href) = rows::row_href(e.target(), true) {
            location.navigate(&href, false, true);
        }
    };
    let open_row_by_key = move |e: leptos::ev::KeyboardEvent| {
        // Keys on a link or button are theirs; on the row itself, Enter opens the row.
        let on_row = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| el.tag_name() == "TR");
        if !on_row {
            return;
        }
        let key = e.key();
        match key.as_str() {
            "Enter" => {
                if let Some(href) = rows::row_href(e.target(), false) {
                    e.prevent_default();
                    location.navigate(&href, false, true);
                }
            }
            "ArrowRight" | "ArrowLeft" => {
                let Some(id) = rows::row_id(e.target()) else {
                    return;
                };
                let open = window_rows.with_value(|w| w.is_open(&id));
                if open != (key == "ArrowRight") {
                    e.prevent_default();
                    toggle_row(&id);
                }
            }
            _ => {}
        }
    };
    let count = move || list.with(|l| l.events.len());
    let hidden_columns = RwSignal::new(stored_hidden());
    view! {
        <section class="ev-page ev-events">
            <h1 class="ev-visually-hidden">"Events"</h1>
            <FilterBar
                filters=filters
                facets=Signal::derive(move || stats.with(|s| s.facets.clone()))
                on_change=on_change
            />
            <VolumeChart
                histogram=Signal::derive(move || stats.with(|s| s.histogram.clone()))
                current=Signal::derive(move || {
                    list.with(|l| stats.with(|s| s.histogram_for.as_ref() == l.shown.as_ref()))
                })
                failed=Signal::derive(move || stats.with(|s| s.histogram_failed.clone()))
                on_zoom=on_zoom
            />
            {move || list.with(List::notice).map(|(kind, text)| view! { <Notice kind text/> })}
            <div class="ev-listbar">
                // A live region that stays: screen readers hear how many rows a search found.
                <p class="ev-count" role="status" data-testid="row-count">
                    {move || match count() {
                        0 => String::new(),
                        1 => "Showing 1 event".to_owned(),
                        n => format!("Showing {n} events"),
                    }}
                </p>
                // Static markup as one string: a view per <kbd> is compiled code, a string is data.
                <p class="ev-keys" aria-hidden="true" inner_html=KEY_HINTS></p>
                {move || {
                    let (on, possible) = (live.get(), tail_possible());
                    view! {
                        <button
                            type="button"
                            class=if on { "ev-button ev-button--ghost ev-live ev-live--on" } else { "ev-button ev-button--ghost ev-live" }
                            aria-pressed=if on { "true" } else { "false" }
                            disabled=!possible
                            title=if possible { "Show new events as they arrive" } else { "Live tail needs a range that reaches now" }
                            data-testid="live-tail"
                            on:click=move |_| live.update(|on| *on = !*on)
                        >
                            <span class="ev-live__dot" aria-hidden="true"></span>
                            {if on { "Live: on" } else { "Live tail" }}
                        </button>
                    }
                }}
                <ColumnChooser hidden=hidden_columns/>
            </div>
            // Exactly the rows shown (ListRequest::export_query); nothing while another view loads.
            <ExportButton query=Signal::derive(move || {
                let live = live.get();
                list.with(|l| match (&l.shown, &l.wanted) {
                    (Some(shown), Some(wanted)) if shown == wanted => Some(shown.export_query(live, l.tailed_to, l.as_of)),
                    _ => None,
                })
            })/>
            <div class="ev-table-wrap" hidden=move || count() == 0>
                <table
                    class="ev-table"
                    data-testid="events-table"
                    data-hide=move || hidden_columns.with(|h| h.join(" "))
                >
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
                    <tbody node_ref=tbody on:click=open_row on:keydown=open_row_by_key></tbody>
                </table>
            </div>
            <button
                type="button"
                class="ev-button ev-more"
                data-testid="load-more"
                hidden=move || list.with(|l| l.next_cursor.is_none() || l.events.is_empty())
                // Not `disabled`, which drops the keyboard focus; `load_more` ignores clicks while loading.
                aria-disabled=move || list.with(|l| l.loading).to_string()
                on:click=load_more
            >
                {move || if list.with(|l| l.loading) { "Loading…" } else { "Load more" }}
            </button>
        </section>
    }
}

/// Whether the keyboard focus is on nothing in particular: the page itself or its main region.
fn focus_is_lost() -> bool {
    document()
        .active_element()
        .is_none_or(|el| matches!(el.tag_name().as_str(), "BODY" | "MAIN"))
}

/// Moves the focus `by` rows down (or up, when negative) from the focused row; from the first row when
/// none is focused.
fn move_row_focus(by: i32) {
    let document = document();
    let Ok(rows) = document.query_selector_all("[data-testid=\"event-row\"]") else {
        return;
    };
    let len = rows.length() as i32;
    if len == 0 {
        return;
    }
    let active = document.active_element();
    let current = (0..len).find(|&i| {
        let row = rows.item(i as u32);
        active.as_ref().is_some_and(|a| {
            row.as_ref()
                .is_some_and(|r| r == a.as_ref() as &web_sys::Node)
        })
    });
    // Without a focused row, the first one on screen: the rows built reach above the viewport.
    let on_screen = || {
        (0..len).find(|&i| {
            rows.item(i as u32)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|row| row.get_bounding_client_rect().top() >= 0.0)
        })
    };
    let next = match current {
        Some(i) => (i + by).clamp(0, len - 1),
        None => on_screen().unwrap_or(0),
    };
    if let Some(row) = rows
        .item(next as u32)
        .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
    {
        _ = row.focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(range: Range) -> ListRequest {
        ListRequest {
            filters: Filters {
                range,
                ..Filters::default()
            },
            bounds: Bounds(Some(1), None),
            at: 5_000,
        }
    }

    /// The export asks for the rows shown: a range open at its end ends when they were read, unless
    /// live tail is adding to them; a custom range keeps its own end.
    #[test]
    fn the_export_asks_for_the_rows_shown() {
        let shown = request(Range::Week);
        assert_eq!(
            shown.export_query(false, None, None),
            "from=1&to=5000&limit=1"
        );
        assert_eq!(shown.export_query(true, None, None), "from=1&limit=1");
        // Live tail added rows until 9,000, then was turned off: they are in the file too.
        assert_eq!(
            shown.export_query(false, Some(9_000), None),
            "from=1&to=9000&limit=1"
        );
        let custom = ListRequest {
            bounds: Bounds(Some(1), Some(3_000)),
            ..request(Range::Custom)
        };
        assert_eq!(
            custom.export_query(false, Some(9_000), None),
            "from=1&to=3000&limit=1"
        );
        // With the server's word on what the rows were read as of, the file is pinned to that.
        let as_of = Some(AsOf {
            up_to_seq: 42,
            now: 5_100,
        });
        assert_eq!(
            shown.export_query(false, Some(9_000), as_of),
            "from=1&limit=1&up_to_seq=42&now=5100"
        );
        assert_eq!(
            custom.export_query(true, None, as_of),
            "from=1&to=3000&limit=1&up_to_seq=42&now=5100"
        );
    }

    fn page(ids: &[&str], next: Option<&str>) -> EventPage {
        let events = ids
            .iter()
            .map(|id| {
                serde_json::from_value(serde_json::json!({
                    "id": id, "tenant": "t", "occurred_at": "2024-06-12T14:30:22.000Z",
                    "received_at": "2024-06-12T14:30:22.000Z", "action": "app.create",
                    "category": "create", "outcome": "success", "severity": "info",
                    "actor": {"type": "user", "id": "u1"}, "source": {"format": "native"},
                    // Later letters are newer.
                    "seq": u64::from(id.as_bytes()[0])
                }))
                .unwrap()
            })
            .collect();
        EventPage {
            events,
            next_cursor: next.map(String::from),
            ..EventPage::default()
        }
    }

    /// A first page's word on what it was read as of is kept, live tail's answers move its chain
    /// head on (never back), and later pages and other views' first pages leave it or reset it.
    #[test]
    fn the_rows_keep_what_they_were_read_as_of() {
        let as_of = |seq, now| EventPage {
            up_to_seq: Some(seq),
            now: Some(now),
            tail_token: Some(format!("token{seq}")),
            ..page(&["d", "b"], Some("next"))
        };
        let mut list = List::default();
        list.start(request(Range::Week));
        list.apply(request(Range::Week), true, Ok(as_of(10, 500)));
        let kept = |list: &List| list.as_of.map(|a| (a.up_to_seq, a.now));
        assert_eq!(kept(&list), Some((10, 500)));
        assert_eq!(
            list.tail_token.as_deref(),
            Some("token10"),
            "live tail's polls send it"
        );
        list.start(request(Range::Week));
        list.apply(request(Range::Week), false, Ok(page(&["a"], None)));
        assert_eq!(kept(&list), Some((10, 500)), "a later page");
        let (shown, _) = list.tail_request(1_718_202_622_000).unwrap();
        list.merge_tail(&shown, as_of(12, 900), 1);
        assert_eq!(kept(&list), Some((12, 500)), "live tail moves the head on");
        list.merge_tail(&shown, as_of(11, 950), 1);
        assert_eq!(kept(&list), Some((12, 500)), "and never back");
        assert_eq!(
            list.tail_token.as_deref(),
            Some("token10"),
            "the search's, kept"
        );
        list.start(request(Range::Month));
        list.apply(request(Range::Month), true, Ok(page(&["d"], None)));
        assert_eq!(kept(&list), None, "another view, read as of nothing said");
        assert_eq!(list.tail_token, None);
    }

    /// An event arriving late, older than the newest rows, goes in its place, not on top.
    #[test]
    fn live_tail_puts_late_events_in_their_place() {
        let mut list = List::default();
        list.start(request(Range::Week));
        list.apply(request(Range::Week), true, Ok(page(&["d", "b"], None)));
        let (shown, _) = list.tail_request(1_718_202_622_000).unwrap();
        assert_eq!(
            list.merge_tail(&shown, page(&["e", "c"], None), 1),
            Tailed::Added(2)
        );
        assert_eq!(ids(&list), ["e", "d", "c", "b"]);
        assert_eq!(list.fresh, ["e", "c"]);
        assert_eq!(
            list.tailed_to,
            Some(1),
            "the export reaches the tail's rows"
        );
        list.start(request(Range::Week));
        list.apply(request(Range::Week), true, Ok(page(&["d"], None)));
        assert_eq!(list.tailed_to, None, "a view loaded again starts over");
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

        list.start(request(Range::Today));
        assert_eq!(
            ids(&list),
            ["b", "a", "z"],
            "old rows stay while the new ones load"
        );
        list.apply(request(Range::Today), true, Ok(page(&[], None)));
        assert!(list.events.is_empty());
        assert_eq!(list.notice().unwrap().0, NoticeKind::Empty);
    }

    #[test]
    fn answers_to_superseded_requests_are_dropped() {
        let mut list = List::default();
        list.start(request(Range::Week));
        list.start(request(Range::Today));
        list.apply(request(Range::Week), true, Ok(page(&["old"], None)));
        assert!(list.events.is_empty());
        assert!(list.loading);
        list.apply(request(Range::Today), true, Ok(page(&["new"], None)));
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

        list.start(request(Range::Today));
        list.apply(request(Range::Today), true, Err(failure));
        assert!(
            list.events.is_empty(),
            "rows of other filters are not shown under an error"
        );
    }

    #[test]
    fn live_tail_asks_from_the_newest_row_and_prepends_only_new_events() {
        let mut list = List::default();
        let now = 1_718_202_622_000 + 3_600_000;
        assert_eq!(list.tail_request(now), None, "nothing shown yet");
        list.start(request(Range::Week));
        list.apply(request(Range::Week), true, Ok(page(&["b", "a"], None)));
        let (shown, bounds) = list.tail_request(now).unwrap();
        assert_eq!(shown, request(Range::Week));
        // The newest row's occurred_at, 2024-06-12T14:30:22Z; a minute ago when that is later.
        assert_eq!(bounds, Bounds(Some(1_718_202_622_000), None));
        let early = 1_718_202_622_000 - 1_000;
        assert_eq!(
            list.tail_request(early).unwrap().1,
            Bounds(Some(early - 60_000), None)
        );

        assert_eq!(
            list.merge_tail(&shown, page(&["d", "c", "b"], None), 1),
            Tailed::Added(2)
        );
        assert_eq!(ids(&list), ["d", "c", "b", "a"]);
        assert_eq!(list.fresh, ["d", "c"]);
        assert_eq!(
            list.merge_tail(&shown, page(&["d"], None), 1),
            Tailed::Added(0)
        );
        // More than one answer holds, down to rows not shown: loaded again, nothing merged.
        assert_eq!(
            list.merge_tail(&shown, page(&["h", "g"], Some("next")), 1),
            Tailed::Gap
        );
        assert_eq!(ids(&list), ["d", "c", "b", "a"]);
        // A full answer that reaches the shown rows leaves no gap.
        assert_eq!(
            list.merge_tail(&shown, page(&["f", "e", "d"], Some("next")), 1),
            Tailed::Added(2)
        );
        assert_eq!(ids(&list), ["f", "e", "d", "c", "b", "a"]);

        // While another view loads, and for answers about an old view, tail does nothing.
        list.start(request(Range::Today));
        assert_eq!(list.tail_request(now), None);
        assert_eq!(
            list.merge_tail(&shown, page(&["x"], None), 1),
            Tailed::Added(0)
        );
        list.apply(request(Range::Today), true, Ok(page(&[], None)));
        assert!(list.fresh.is_empty());
        assert_eq!(
            list.tail_request(now).unwrap().1,
            Bounds(Some(1), None),
            "an empty list tails from the range's start"
        );
    }
}
