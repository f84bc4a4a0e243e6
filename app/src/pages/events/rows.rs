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
use crate::format::{actor_label, local_datetime, outcome_label, targets_summary};

/// Rows rendered beyond each edge of the viewport, so a fast scroll or a `j`/`k` move lands on built
/// rows, and a first page of 100 is built whole.
const OVERSCAN: usize = 100;

/// A row's height before one has been measured, in CSS pixels.
const ROW_HEIGHT_GUESS: f64 = 37.0;

/// The rows of one table: which events are built (a window of the list), and the spacers standing in
/// for the rest.
///
/// The list can hold tens of thousands of events; only the window around the viewport is in the DOM,
/// so scrolling, layout and memory cost the same at 10,000 rows as at 100. Every row has one line
/// (the cells do not wrap), so the rows above and below the window take `height × count` pixels, kept
/// by one spacer row at each end. The table carries `aria-rowcount` and each row its `aria-rowindex`,
/// so assistive technology knows where a row sits in the whole list.
#[derive(Debug, Default)]
pub struct Window {
    /// The ids of the built rows, in order, beside their elements.
    built: Vec<(String, Element)>,
    /// The rows' measured height in CSS pixels; 0 until measured.
    row_height: f64,
    /// The spacers before and after the built rows, made on first use.
    spacers: Option<(Element, Element)>,
}

/// Where a window of `len` ids should start: `wanted` as a range of list indexes, clamped to the list.
fn window_range(len: usize, first_visible: f64, visible: f64) -> (usize, usize) {
    let first = first_visible.max(0.0).floor() as usize;
    let last = (first_visible + visible).max(0.0).ceil() as usize;
    let start = first.saturating_sub(OVERSCAN).min(len);
    let end = (last + OVERSCAN).min(len).max(start);
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
    /// are (their focus, their live-tail mark). Call it when the list changes and when the page
    /// scrolls or resizes.
    pub fn sync(&mut self, body: &Element, events: &[Arc<Event>], fresh: &[String]) {
        let document = leptos::prelude::document();
        let window = leptos::prelude::window();
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

        // Which rows the viewport shows: the body's top is where row 0 is (or would be).
        let height = if self.row_height > 0.0 {
            self.row_height
        } else {
            ROW_HEIGHT_GUESS
        };
        let top = body.get_bounding_client_rect().top();
        let viewport = window
            .inner_height()
            .ok()
            .and_then(|h| h.as_f64())
            .unwrap_or(800.0);
        let (start, end) = window_range(events.len(), -top / height, viewport / height);

        let wanted: Vec<&str> = events[start..end].iter().map(|e| e.id.as_str()).collect();
        let built: Vec<&str> = self.built.iter().map(|(id, _)| id.as_str()).collect();
        let row = |i: usize| {
            let e = &events[i];
            let tr = build_row(&document, e, fresh.contains(&e.id));
            _ = tr.set_attribute("aria-rowindex", &(i + 2).to_string());
            (e.id.clone(), tr)
        };
        match overlap(&built, &wanted) {
            Some((drop, keep, add_before)) => {
                for (_, tr) in self.built.drain(drop + keep..) {
                    tr.remove();
                }
                for (_, tr) in self.built.drain(..drop) {
                    tr.remove();
                }
                let first = self
                    .built
                    .first()
                    .map_or_else(|| after.clone(), |(_, tr)| tr.clone());
                let head: Vec<_> = (start..start + add_before).map(row).collect();
                for (_, tr) in &head {
                    _ = body.insert_before(tr, Some(&first));
                }
                self.built.splice(0..0, head);
                // Rows kept from a list that changed above them (live tail) sit elsewhere now.
                for (i, (_, tr)) in self.built.iter().enumerate() {
                    _ = tr.set_attribute("aria-rowindex", &(start + i + 2).to_string());
                }
                let built_len = self.built.len();
                for i in start + built_len..end {
                    let (id, tr) = row(i);
                    _ = body.insert_before(&tr, Some(&after));
                    self.built.push((id, tr));
                }
            }
            None => {
                for (_, tr) in self.built.drain(..) {
                    tr.remove();
                }
                for i in start..end {
                    let (id, tr) = row(i);
                    _ = body.insert_before(&tr, Some(&after));
                    self.built.push((id, tr));
                }
            }
        }

        // Measure the rows as built (fonts and widths decide it), then size the spacers.
        if let (Some((_, first)), Some((_, last))) = (self.built.first(), self.built.last()) {
            let span =
                last.get_bounding_client_rect().bottom() - first.get_bounding_client_rect().top();
            if span > 0.0 {
                self.row_height = span / self.built.len() as f64;
            }
        }
        let height = if self.row_height > 0.0 {
            self.row_height
        } else {
            ROW_HEIGHT_GUESS
        };
        set_height(&before, start as f64 * height);
        set_height(&after, (events.len() - end) as f64 * height);
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

    #[test]
    fn the_window_covers_the_viewport_and_a_margin_each_side() {
        // 10,000 rows, the viewport showing rows 5,000 to 5,024.
        assert_eq!(window_range(10_000, 5_000.0, 24.3), (4_900, 5_125));
        // The top of the list, or a list shorter than the window: all of it from 0.
        assert_eq!(window_range(100, -3.0, 24.0), (0, 100));
        assert_eq!(window_range(10_000, 0.0, 24.0), (0, 124));
        // Scrolled past the end of a list that shrank: an empty window at its end.
        assert_eq!(window_range(50, 400.0, 24.0), (50, 50));
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
