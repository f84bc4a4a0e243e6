//! The events table's rows, built with plain DOM calls and kept in step with the list by hand.
//!
//! Chosen for size and speed: a keyed `<For>` of row components cost the wasm about 7 KB of gzip (the
//! keyed diff brings `indexmap` and `hashbrown`, and every row shape is compiled view code). Only the
//! rows near the viewport are built ([`Window`]); rows already built stay untouched when older pages
//! are appended, live tail puts new rows on top or the page scrolls.
//! Clicks and keys are handled once, on the `<tbody>` ([`row_href`]). Text from events is only ever
//! set with `set_text_content`, never parsed as HTML.

use std::sync::Arc;

use evident_shared::event::Event;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Node};

use crate::api;
use crate::components::badge::outcome_class;
use crate::filters::encode_path_segment;
use crate::format::{actor_label, local_datetime, outcome_label, pretty_json, targets_summary};
use crate::pages::detail::sections::where_fields;

/// Rows built beyond each edge of the viewport, so a fast scroll or a `j`/`k` move lands on built
/// rows. Fewer rows built means less layout for each batch (below).
const OVERSCAN: usize = 60;

/// Rows built beyond the viewport's edges when a table has none built yet (a page's first rows):
/// the first frame waits only for the rows it shows, and the caller builds the rest of [`OVERSCAN`]
/// right after that frame ([`Window::partial`]). Below [`MARGIN`], so that sync does build them.
const FIRST_OVERSCAN: usize = 4;

/// While scrolling, the built rows are left alone until fewer than this many remain beyond an edge
/// of the viewport: most frames of a scroll then change nothing in the DOM and cost only the
/// browser's scrolling, and the rows are moved in batches of about `OVERSCAN - MARGIN`.
const MARGIN: usize = 20;

/// A row's height before one has been measured, in CSS pixels.
const ROW_HEIGHT_GUESS: f64 = 37.0;

/// An open details block's height before one has been measured (its height is fixed by the CSS).
const DETAILS_HEIGHT_GUESS: f64 = 260.0;

/// The rows of one table: which events are built (a window of the list), which rows have their
/// details open, and the spacers standing in for the rest.
///
/// The list can hold tens of thousands of events; only the window around the viewport is in the DOM,
/// so scrolling, layout and memory cost the same at 10,000 rows as at 100. Every row has one line
/// (the cells do not wrap) and every open details block the same fixed height, so the rows above and
/// below the window take a known number of pixels, kept by one spacer row at each end. The table
/// carries `aria-rowcount` and each row its `aria-rowindex`, so assistive technology knows where a
/// row sits in the whole list.
#[derive(Debug, Default)]
pub struct Window {
    /// The built rows, in list order.
    built: Vec<Built>,
    /// Where they start in the list.
    start: usize,
    /// The rows' measured height in CSS pixels; 0 until measured.
    row_height: f64,
    /// An open details block's measured height; 0 until measured.
    details_height: f64,
    /// The spacers before and after the built rows, made on first use.
    spacers: Option<(Element, Element)>,
    /// The ids of the events whose details are open, wherever they are in the list.
    expanded: Vec<String>,
    /// Whether the last sync built only [`FIRST_OVERSCAN`] rows beyond the viewport.
    partial: bool,
}

/// One built row and, when open, its details row below it.
#[derive(Debug)]
struct Built {
    id: String,
    row: Element,
    details: Option<Element>,
}

impl Built {
    fn insert_before(&self, body: &Element, next: &Node) {
        _ = body.insert_before(&self.row, Some(next));
        if let Some(details) = &self.details {
            _ = body.insert_before(details, Some(next));
        }
    }

    fn remove(self) {
        self.row.remove();
        if let Some(details) = self.details {
            details.remove();
        }
    }
}

/// Where rows sit: `row` pixels each, plus `details` pixels under each row whose index is in
/// `expanded` (sorted).
struct Geometry<'a> {
    row: f64,
    details: f64,
    expanded: &'a [usize],
}

impl Geometry<'_> {
    /// The offset of row `i`'s top from the first row's.
    fn top_of(&self, i: usize) -> f64 {
        let open = self.expanded.iter().filter(|&&e| e < i).count();
        i as f64 * self.row + open as f64 * self.details
    }

    /// The (fractional) index of the row at offset `y` from the first row's top.
    fn index_at(&self, y: f64) -> f64 {
        let mut shift = 0.0;
        for &e in self.expanded {
            let details_top = (e + 1) as f64 * self.row + shift;
            if y < details_top {
                break;
            }
            if y < details_top + self.details {
                // Inside row `e`'s details: the row is the first one (partly) shown.
                return e as f64;
            }
            shift += self.details;
        }
        (y - shift) / self.row
    }
}

/// The rows within `margin` rows of the viewport, which starts at (fractional) row `first_visible`
/// and is `visible` rows tall, in a list of `len`: `(start, end)` list indexes, clamped to the list.
fn window_range(len: usize, first_visible: f64, visible: f64, margin: usize) -> (usize, usize) {
    let first = first_visible.max(0.0).floor() as usize;
    let last = (first_visible + visible).max(0.0).ceil() as usize;
    let start = first.saturating_sub(margin).min(len);
    let end = (last + margin).min(len).max(start);
    (start, end)
}

/// How the built rows (their ids) become `wanted`: how many to drop from the front and keep, and
/// how many of `wanted` go before the kept rows. `None`: nothing in common, build afresh.
fn overlap(built: &[&str], wanted: &[&str]) -> Option<(usize, usize, usize)> {
    let run = |a: &[&str], b: &[&str]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let first = wanted.first()?;
    if let Some(drop) = built.iter().position(|id| id == first) {
        return Some((drop, run(&built[drop..], wanted), 0));
    }
    let head = built.first()?;
    let before = wanted.iter().position(|id| id == head)?;
    Some((0, run(built, &wanted[before..]), before))
}

impl Window {
    /// Makes `body` show the part of `events` around the viewport; rows already built stay as they
    /// are (their focus, their live-tail mark). Call it when the list changes, and with `scrolled`
    /// when the page scrolls or resizes (then it does nothing while enough rows are built).
    pub fn sync(
        &mut self,
        body: &Element,
        events: &[Arc<Event>],
        fresh: &[String],
        scrolled: bool,
    ) {
        // Which rows the viewport shows: the body's top is where row 0 is (or would be).
        let expanded = self.expanded_indexes(events);
        let geometry = self.geometry(&expanded);
        let top = body.get_bounding_client_rect().top();
        let viewport = leptos::prelude::window()
            .inner_height()
            .ok()
            .and_then(|h| h.as_f64())
            .unwrap_or(800.0);
        let (first_visible, visible) = (geometry.index_at(-top), viewport / geometry.row);
        if scrolled {
            let (need_start, need_end) = window_range(events.len(), first_visible, visible, MARGIN);
            if self.start <= need_start && self.start + self.built.len() >= need_end {
                return;
            }
        }
        let overscan = if self.built.is_empty() {
            FIRST_OVERSCAN
        } else {
            OVERSCAN
        };
        let (start, end) = window_range(events.len(), first_visible, visible, overscan);
        self.start = start;
        self.partial = overscan < OVERSCAN && end < events.len();

        let document = leptos::prelude::document();
        if let Some(table) = body.parent_element() {
            _ = table.set_attribute("aria-rowcount", &(events.len() + 1).to_string());
        }
        let (before, after) = self
            .spacers
            .get_or_insert_with(|| (spacer(&document), spacer(&document)))
            .clone();
        if before.parent_node().is_none() {
            body.set_text_content(None);
            self.built.clear();
            _ = body.append_child(&before);
            _ = body.append_child(&after);
        }

        let wanted: Vec<&str> = events[start..end].iter().map(|e| e.id.as_str()).collect();
        let built: Vec<&str> = self.built.iter().map(|b| b.id.as_str()).collect();
        let expanded_ids = &self.expanded;
        let build = |i: usize| {
            let e = &events[i];
            let open = expanded_ids.contains(&e.id);
            let row = build_row(&document, e, fresh.contains(&e.id), open);
            _ = row.set_attribute("aria-rowindex", &(i + 2).to_string());
            Built {
                id: e.id.clone(),
                row,
                details: open.then(|| build_details(&document, e)),
            }
        };
        // Rows to build before the kept ones, when any are kept.
        let add_before = match overlap(&built, &wanted) {
            Some((drop, keep, add_before)) => {
                self.built.drain(drop + keep..).for_each(Built::remove);
                self.built.drain(..drop).for_each(Built::remove);
                Some(add_before)
            }
            None => {
                self.built.drain(..).for_each(Built::remove);
                None
            }
        };
        if let Some(add_before) = add_before {
            let next: Node = self
                .built
                .first()
                .map_or_else(|| after.clone().into(), |b| b.row.clone().into());
            let head: Vec<Built> = (start..start + add_before).map(build).collect();
            for b in &head {
                b.insert_before(body, &next);
            }
            self.built.splice(0..0, head);
            // Rows kept from a list that changed above them (live tail) sit elsewhere now.
            for (i, b) in self.built.iter().enumerate() {
                _ = b
                    .row
                    .set_attribute("aria-rowindex", &(start + i + 2).to_string());
            }
        }
        for i in start + self.built.len()..end {
            let b = build(i);
            b.insert_before(body, &after);
            self.built.push(b);
        }

        // Measure what is built (fonts and widths decide it), then size the spacers.
        if let Some(b) = self.built.first() {
            let height = b.row.get_bounding_client_rect().height();
            if height > 0.0 {
                self.row_height = height;
            }
        }
        if let Some(details) = self.built.iter().find_map(|b| b.details.as_ref()) {
            let height = details.get_bounding_client_rect().height();
            if height > 0.0 {
                self.details_height = height;
            }
        }
        let geometry = self.geometry(&expanded);
        set_height(&before, geometry.top_of(start));
        set_height(&after, geometry.top_of(events.len()) - geometry.top_of(end));
    }

    /// The row of the event `id`, built first when the list holds it beyond the rows built: the page
    /// scrolls to put it in the middle of the viewport. `None` when the list does not hold it.
    pub fn reveal(
        &mut self,
        body: &Element,
        events: &[Arc<Event>],
        fresh: &[String],
        id: &str,
    ) -> Option<Element> {
        let row_of = |w: &Window| w.built.iter().find(|b| b.id == id).map(|b| b.row.clone());
        if let Some(row) = row_of(self) {
            return Some(row);
        }
        let index = events.iter().position(|e| e.id == id)?;
        let expanded = self.expanded_indexes(events);
        let top = self.geometry(&expanded).top_of(index);
        let window = leptos::prelude::window();
        let viewport = window.inner_height().ok().and_then(|h| h.as_f64());
        let body_top = body.get_bounding_client_rect().top() + window.scroll_y().unwrap_or(0.0);
        window.scroll_to_with_x_and_y(0.0, body_top + top - viewport.unwrap_or(800.0) / 2.0);
        self.sync(body, events, fresh, true);
        row_of(self)
    }

    /// The list indexes of the rows whose details are open.
    fn expanded_indexes(&self, events: &[Arc<Event>]) -> Vec<usize> {
        if self.expanded.is_empty() {
            return Vec::new();
        }
        events
            .iter()
            .enumerate()
            .filter(|(_, e)| self.expanded.contains(&e.id))
            .map(|(i, _)| i)
            .collect()
    }

    /// Whether the last sync built only the rows on screen and a few more: then the caller syncs
    /// again, as for a scroll, once they have been drawn.
    pub fn partial(&self) -> bool {
        self.partial
    }

    /// Where rows sit, by the heights measured so far; `expanded` are the open rows' list indexes.
    fn geometry<'a>(&self, expanded: &'a [usize]) -> Geometry<'a> {
        Geometry {
            row: measured(self.row_height, ROW_HEIGHT_GUESS),
            details: measured(self.details_height, DETAILS_HEIGHT_GUESS),
            expanded,
        }
    }

    /// Whether the details of the event `id` are open.
    pub fn is_open(&self, id: &str) -> bool {
        self.expanded.iter().any(|e| e == id)
    }

    /// Opens the details under the row of the event `id`, or closes them, then keeps the window in
    /// step (the rows below moved).
    pub fn toggle(&mut self, body: &Element, events: &[Arc<Event>], fresh: &[String], id: &str) {
        let open = match self.expanded.iter().position(|e| e == id) {
            Some(k) => {
                self.expanded.remove(k);
                false
            }
            None => {
                self.expanded.push(id.to_owned());
                true
            }
        };
        let document = leptos::prelude::document();
        if let Some(b) = self.built.iter_mut().find(|b| b.id == id) {
            if let Ok(Some(button)) = b.row.query_selector("[data-expand]") {
                _ = button.set_attribute("aria-expanded", if open { "true" } else { "false" });
            }
            if !open {
                if let Some(details) = b.details.take() {
                    details.remove();
                }
            } else if let (None, Some(event)) = (&b.details, events.iter().find(|e| e.id == id)) {
                let details = build_details(&document, event);
                let next = b.row.next_sibling();
                _ = body.insert_before(&details, next.as_ref());
                b.details = Some(details);
            }
        }
        self.sync(body, events, fresh, false);
    }
}

fn measured(value: f64, guess: f64) -> f64 {
    if value > 0.0 {
        value
    } else {
        guess
    }
}

/// A row standing in for rows not built: one empty cell across the table, hidden from assistive
/// technology (the rows' `aria-rowindex` says where they sit).
fn spacer(document: &Document) -> Element {
    let tr = node(document, "tr", "ev-table__spacer", None);
    _ = tr.set_attribute("aria-hidden", "true");
    let td = node(document, "td", "", None);
    _ = td.set_attribute("colspan", "7");
    _ = tr.append_child(&td);
    tr
}

fn set_height(spacer: &Element, px: f64) {
    let td = spacer
        .first_element_child()
        .unwrap_or_else(|| spacer.clone());
    // Whole pixels, printed as an integer: formatting an f64 would bring core's float printing
    // (about 10 KB of gzip wasm).
    _ = td.set_attribute("style", &format!("height:{}px", px.round() as i64));
    if px < 0.5 {
        _ = spacer.set_attribute("hidden", "");
    } else {
        _ = spacer.remove_attribute("hidden");
    }
}

/// The id of the event whose row's details button `target` is (or is inside).
pub fn expand_target(target: Option<web_sys::EventTarget>) -> Option<String> {
    let el = target?.dyn_into::<Element>().ok()?;
    el.closest("[data-expand]").ok()??;
    row_of(&el)
}

/// The id of the event a row (`target`) shows.
pub fn row_id(target: Option<web_sys::EventTarget>) -> Option<String> {
    row_of(&target?.dyn_into::<Element>().ok()?)
}

/// The id of the event whose row holds `el`.
fn row_of(el: &Element) -> Option<String> {
    el.closest("tr[data-id]").ok()??.get_attribute("data-id")
}

/// The "Where and how" fields an open row shows on one line.
const CONTEXT_SHOWN: [&str; 7] = [
    "IP",
    "Country",
    "Browser",
    "OS",
    "Device",
    "Session",
    "Environment",
];

/// What an open row shows under itself: the description and error, then the event's payload,
/// metadata and changes as indented JSON (text, never markup), and a link to the event's page. Its
/// height is fixed by the CSS (it scrolls inside), which the window relies on.
fn build_details(document: &Document, event: &Event) -> Element {
    let tr = node(document, "tr", "ev-table__details", None);
    _ = tr.set_attribute("data-testid", "event-details");
    let td = node(document, "td", "", None);
    _ = td.set_attribute("colspan", "7");
    let body = node(document, "div", "ev-table__details-body", None);
    // It scrolls inside: focusable, so that the keyboard can scroll it.
    _ = body.set_attribute("tabindex", "0");
    if let Some(description) = &event.description {
        _ = body.append_child(&node(document, "p", "", Some(description)));
    }
    if let Some(error) = &event.error {
        let text = match &error.code {
            Some(code) => format!("{code}: {}", error.message),
            None => error.message.clone(),
        };
        _ = body.append_child(&node(document, "p", "ev-table__error", Some(&text)));
    }
    // Where and how, as the event page's section has it: address, place, browser, OS, device,
    // session (the Lowcoder log's expanded row shows the device and browser).
    let context: Vec<String> = where_fields(event)
        .into_iter()
        .filter(|f| CONTEXT_SHOWN.contains(&f.label.as_str()))
        .map(|f| format!("{}: {}", f.label, f.value))
        .collect();
    if !context.is_empty() {
        let line = node(
            document,
            "p",
            "ev-table__context",
            Some(&context.join(" · ")),
        );
        _ = line.set_attribute("data-testid", "event-context");
        _ = body.append_child(&line);
    }
    let mut fields = serde_json::Map::new();
    if let Some(payload) = &event.payload {
        fields.insert("payload".into(), payload.clone());
    }
    if !event.metadata.is_empty() {
        let metadata = event.metadata.iter().map(|(k, v)| (k.clone(), v.clone()));
        fields.insert(
            "metadata".into(),
            serde_json::Value::Object(metadata.collect()),
        );
    }
    if let Some(changes) = &event.changes {
        let mut c = serde_json::Map::new();
        for (name, value) in [("before", &changes.before), ("after", &changes.after)] {
            if let Some(value) = value {
                c.insert(name.into(), value.clone());
            }
        }
        fields.insert("changes".into(), serde_json::Value::Object(c));
    }
    let json = if fields.is_empty() {
        "No payload, metadata or changes.".to_owned()
    } else {
        pretty_json(&serde_json::Value::Object(fields))
    };
    let pre = node(document, "pre", "ev-table__json", Some(&json));
    _ = pre.set_attribute("data-testid", "event-payload");
    _ = body.append_child(&pre);
    let link = node(document, "a", "", Some("Open the event's page →"));
    _ = link.set_attribute("href", &event_href(event));
    _ = body.append_child(&link);
    _ = td.append_child(&body);
    _ = tr.append_child(&td);
    tr
}

fn event_href(event: &Event) -> String {
    format!("/events/{}", encode_path_segment(&event.id))
}

/// The page a click or `Enter` on a row opens: the row's, unless the click was on a link (which
/// handles itself, middle- and ctrl-clicks included) or ended a text selection.
pub fn row_href(target: Option<web_sys::EventTarget>, click: bool) -> Option<String> {
    let el = target?.dyn_into::<Element>().ok()?;
    if click {
        if el.closest("a, button").ok().flatten().is_some() {
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
fn build_row(document: &Document, event: &Event, fresh: bool, open: bool) -> Element {
    let href = event_href(event);
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
    // The details toggle: a button before the time, named for assistive technology.
    let toggle = node(document, "button", "ev-expand", None);
    _ = toggle.set_attribute("type", "button");
    _ = toggle.set_attribute("data-expand", "");
    _ = toggle.set_attribute("data-testid", "row-expand");
    _ = toggle.set_attribute("aria-expanded", if open { "true" } else { "false" });
    _ = toggle.set_attribute("aria-label", "Details");
    _ = toggle.set_attribute("tabindex", "-1");
    let time_cell = cell("ev-table__time", &toggle);
    _ = time_cell.append_child(&time);
    let cells = [
        time_cell,
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
    _ = tr.set_attribute("data-id", &event.id);
    tr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_covers_the_viewport_and_a_margin_each_side() {
        // 10,000 rows, the viewport showing rows 5,000 to 5,024.
        assert_eq!(window_range(10_000, 5_000.0, 24.3, 100), (4_900, 5_125));
        assert_eq!(window_range(10_000, 5_000.0, 24.3, 20), (4_980, 5_045));
        // The top of the list, or a list shorter than the window: all of it from 0.
        assert_eq!(window_range(100, -3.0, 24.0, 100), (0, 100));
        assert_eq!(window_range(10_000, 0.0, 24.0, 100), (0, 124));
        // Scrolled past the end of a list that shrank: an empty window at its end.
        assert_eq!(window_range(50, 400.0, 24.0, 100), (50, 50));
    }

    #[test]
    fn open_details_push_the_rows_below_them_down() {
        let g = Geometry {
            row: 40.0,
            details: 300.0,
            expanded: &[2, 10],
        };
        assert_eq!(g.top_of(0), 0.0);
        assert_eq!(g.top_of(2), 80.0);
        assert_eq!(g.top_of(3), 420.0, "row 2 and its details");
        assert_eq!(g.top_of(11), 11.0 * 40.0 + 600.0);
        // Offsets back to rows: inside row 1, inside row 2's details (still row 2's place), row 4.
        assert_eq!(g.index_at(60.0), 1.5);
        assert_eq!(g.index_at(300.0), 2.0);
        assert_eq!(g.index_at(420.0 + 40.0), 4.0);
        let plain = Geometry {
            row: 40.0,
            details: 300.0,
            expanded: &[],
        };
        assert_eq!(plain.index_at(400.0), 10.0);
    }

    #[test]
    fn built_rows_are_kept_when_the_window_moves_or_the_list_grows() {
        // Scrolling down: drop one from the front, keep two, add below.
        assert_eq!(overlap(&["a", "b", "c"], &["b", "c", "d"]), Some((1, 2, 0)));
        // Scrolling up: keep the first two, add one before them.
        assert_eq!(overlap(&["b", "c", "d"], &["a", "b", "c"]), Some((0, 2, 1)));
        // Live tail put rows on top.
        assert_eq!(overlap(&["b", "c"], &["x", "y", "b", "c"]), Some((0, 2, 2)));
        // Another page appended below.
        assert_eq!(overlap(&["a", "b"], &["a", "b", "c", "d"]), Some((0, 2, 0)));
        // A different list, or nothing built yet, or nothing wanted.
        assert_eq!(overlap(&["a", "b"], &["x", "y"]), None);
        assert_eq!(overlap(&[], &["x"]), None);
        assert_eq!(overlap(&["a"], &[]), None);
        // Same first row but a different list after it: only the common run is kept.
        assert_eq!(overlap(&["a", "b", "c"], &["a", "x", "c"]), Some((0, 1, 0)));
    }
}
