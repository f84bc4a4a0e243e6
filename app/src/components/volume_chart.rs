//! The volume chart: events over time as bars stacked by outcome, hand-drawn in SVG from
//! `GET /api/v1/histogram`. Each bar has a tooltip; a click zooms to its bucket and a drag across bars
//! zooms to the buckets dragged over. From the keyboard the chart is one Tab stop: the arrows choose
//! bars and Enter zooms. The markup, geometry and labels are [`crate::chart`]; this component sets
//! the markup and listens on the whole SVG, finding the bucket from the `data-i` of the bar under the
//! pointer.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::chart::{self, thousands};
use crate::format::local_offset_minutes;
use crate::stats::Histogram;

/// The legend, in [`chart::GROUPS`] order, as static markup.
const LEGEND: &str = concat!(
    r#"<li><span class="ev-chart__swatch ev-chart__bar--success"></span>Success</li>"#,
    r#"<li><span class="ev-chart__swatch ev-chart__bar--failure"></span>Failure</li>"#,
    r#"<li><span class="ev-chart__swatch ev-chart__bar--denied"></span>Denied</li>"#,
    r#"<li><span class="ev-chart__swatch ev-chart__bar--pending"></span>Pending</li>"#,
    r#"<li><span class="ev-chart__swatch ev-chart__bar--in_progress"></span>In progress</li>"#,
    r#"<li><span class="ev-chart__swatch ev-chart__bar--unknown"></span>Unknown</li>"#,
);

/// The bucket index of the bar an event happened on.
fn bucket_at(e: &leptos::ev::MouseEvent) -> Option<usize> {
    e.target()?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("[data-i]")
        .ok()??
        .get_attribute("data-i")?
        .parse()
        .ok()
}

/// The chart with its legend.
#[component]
pub fn VolumeChart(
    /// The counts, once loaded.
    #[prop(into)]
    histogram: Signal<Option<Histogram>>,
    /// Whether the counts are the view's on screen; false while a changed view's counts load, when
    /// the chart still shows the previous view's, dimmed and labelled as updating.
    #[prop(into)]
    current: Signal<bool>,
    /// Why the view's counts could not be loaded, if they could not: the chart says so instead of
    /// showing another view's bars.
    #[prop(into)]
    failed: Signal<Option<String>>,
    /// Called with `(from, to)` epoch ms (to exclusive) when a bar is clicked or bars are dragged over.
    #[prop(into)]
    on_zoom: Callback<(i64, i64)>,
) -> impl IntoView {
    // The bucket where a drag started and the one under the pointer.
    let drag = RwSignal::new(None::<(usize, usize)>);
    // A previous view's bars are drawn dimmed (`ev-chart__stale`) and the label says so, rather
    // than through attributes of their own: each reactive attribute costs the wasm its own code.
    let markup = move || {
        if let Some(reason) = failed.get() {
            return chart::failed_svg(&reason);
        }
        histogram.with(|h| {
            let Some(h) = h else {
                return chart::LOADING_SVG.to_owned();
            };
            let svg = chart::svg(h, local_offset_minutes);
            if current.get() {
                svg
            } else {
                format!(r#"<g class="ev-chart__stale" data-testid="chart-stale">{svg}</g>"#)
            }
        })
    };
    let label = move || {
        if failed.with(Option::is_some) {
            return "Events over time by outcome: the counts could not be loaded".to_owned();
        }
        histogram.with(|h| match h {
            Some(h) => {
                let total: i64 = h.buckets.iter().map(|b| b.total).sum();
                let updating = if current.get() { "" } else { " (updating)" };
                format!("{} events over time by outcome{updating}", thousands(total))
            }
            None => "Events over time by outcome: loading".to_owned(),
        })
    };
    let zoom = move |a: usize, b: usize| {
        drag.set(None);
        let range =
            histogram.with_untracked(|h| h.as_ref().and_then(|h| chart::zoom_range(h, a, b)));
        if let Some(range) = range {
            on_zoom.run(range);
        }
    };
    let up = move |e: leptos::ev::MouseEvent| {
        if let Some((a, last)) = drag.get_untracked() {
            // Let go past the bars (over the axes' labels): the drag ends on the last bar it crossed.
            zoom(a, bucket_at(&e).unwrap_or(last));
        }
    };
    // The keyboard's way to the same zoom: arrows choose bars (Shift a range), Enter zooms, Esc
    // lets go; the choice is drawn as a drag's is and told through the status line below.
    let keydown = move |e: leptos::ev::KeyboardEvent| {
        if e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        let key = e.key();
        let chosen = drag.get_untracked();
        let handled = match (key.as_str(), chosen) {
            ("Enter" | " ", Some((a, b))) => {
                zoom(a, b);
                true
            }
            ("Escape", Some(_)) => {
                drag.set(None);
                true
            }
            _ => {
                let n = histogram.with_untracked(|h| h.as_ref().map_or(0, |h| h.buckets.len()));
                let next = chart::key_choice(&key, e.shift_key(), n, chosen);
                next.is_some_and(|next| {
                    drag.set(Some(next));
                    true
                })
            }
        };
        if handled {
            e.prevent_default();
        }
    };
    let told = move || {
        let (a, b) = drag.get()?;
        let title =
            histogram.with(|h| chart::choice_title(h.as_ref()?, a, b, local_offset_minutes))?;
        Some(format!("{title}. Enter zooms to it."))
    };

    view! {
        <figure class="ev-chart" data-testid="volume-chart">
            <figcaption class="ev-chart__head">
                <span class="ev-chart__title">"Volume by outcome"</span>
                <span class="ev-chart__hint" id="chart-hint">"Click a bar or drag across bars to zoom (keyboard: ← →, Shift for a range, Enter)"</span>
                <ul class="ev-chart__legend" aria-label="Legend" inner_html=LEGEND></ul>
            </figcaption>
            <div class="ev-chart__plot">
                <svg
                    class="ev-chart__svg"
                    viewBox="0 0 960 200"
                    tabindex="0"
                    role="application"
                    aria-roledescription="chart"
                    aria-label=label
                    aria-describedby="chart-hint"
                    data-testid="chart-svg"
                    inner_html=markup
                    on:keydown=keydown
                    on:blur=move |_| drag.set(None)
                    on:mousedown=move |e| {
                        if let Some(i) = bucket_at(&e) {
                            e.prevent_default();
                            drag.set(Some((i, i)));
                        }
                    }
                    on:mouseover=move |e| {
                        if let (Some(i), Some((a, b))) = (bucket_at(&e), drag.get_untracked()) {
                            if b != i {
                                drag.set(Some((a, i)));
                            }
                        }
                    }
                    on:mouseup=up
                    on:mouseleave=move |_| drag.set(None)
                ></svg>
                {move || {
                    let (a, b) = drag.get()?;
                    let n = histogram.with(|h| h.as_ref().map_or(1, |h| h.buckets.len()));
                    let (left, width) = chart::selection_css(n, a, b);
                    Some(view! {
                        <div
                            class="ev-chart__selection"
                            data-testid="chart-selection"
                            style=format!("left:{left}%;width:{width}%")
                        ></div>
                    })
                }}
            </div>
            <p class="ev-visually-hidden" role="status" data-testid="chart-choice">{told}</p>
        </figure>
    }
}
