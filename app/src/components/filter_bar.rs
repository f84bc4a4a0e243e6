//! The events page's filter bar: time presets and a custom range, the query bar, and the pickers.
//!
//! It holds no filter state of its own: it shows the [`Filters`] it is given (which come from the URL)
//! and reports every change as a complete new `Filters`, which the page writes back to the URL. The
//! custom range's inputs are `datetime-local` in the browser's zone; choosing "Custom" turns the current
//! preset into explicit bounds so they can be edited.

use leptos::prelude::*;

use crate::components::pickers::Pickers;
use crate::components::query_bar::QueryBar;
use crate::components::saved_searches::{LoadWhen, SavedSearches};
use crate::filters::{local_input_value, parse_local_input, Filters, Range};
use crate::format::{local_offset_minutes, now_ms};
use crate::stats::Facets;

/// The filter bar.
#[component]
pub fn FilterBar(
    /// The filters shown.
    #[prop(into)]
    filters: Signal<Filters>,
    /// The pickers' counts for the current view, once loaded.
    #[prop(into)]
    facets: Signal<Option<Facets>>,
    /// Called with the new filters on every change.
    #[prop(into)]
    on_change: Callback<Filters>,
) -> impl IntoView {
    let report = move |next: Filters| {
        if next != filters.get_untracked() {
            on_change.run(next);
        }
    };
    let with_q = move |q: String| {
        report(Filters {
            q,
            ..filters.get_untracked()
        })
    };

    let ranges = move || {
        let current = filters.get();
        Range::PRESETS
            .into_iter()
            .chain([Range::Custom])
            .map(|range| {
                let active = current.range == range;
                let choose = move |_| {
                    let now = now_ms();
                    let f = filters.get_untracked();
                    let next = if range == Range::Custom {
                        // Start from what is shown: the preset's bounds, up to now.
                        let b = f.bounds(now, local_offset_minutes);
                        f.with_custom(b.0.or(Some(now - 30 * 86_400_000)), b.1.or(Some(now)))
                    } else {
                        Filters {
                            range,
                            ..f.with_custom(None, None)
                        }
                    };
                    report(next);
                };
                view! {
                    <button
                        type="button"
                        class="ev-segment__item"
                        class:ev-segment__item--active=active
                        aria-pressed=if active { "true" } else { "false" }
                        data-testid=format!("range-{}", range.as_str())
                        on:click=choose
                    >
                        {range.label()}
                    </button>
                }
            })
            .collect_view()
    };

    // The custom bounds' inputs: shown filled for a custom range; editing one makes the range custom.
    // They start as plain text inputs and become `datetime-local` once the page's first rows have
    // been drawn: a browser builds its first date-time field (locale formats, the field's parts) when
    // the type is set, which took 10 to 25 ms of a first visit's wait for its rows. Their values read
    // the same either way.
    let ready = use_context::<LoadWhen>().map(|w| w.0);
    let bound_input = move |label: &'static str, is_from: bool| {
        let input = NodeRef::<leptos::html::Input>::new();
        Effect::new(move |done: Option<bool>| {
            if done == Some(true) {
                return true;
            }
            let now = ready.is_none_or(|r| r.get());
            if let (true, Some(input)) = (now, input.get()) {
                // After the frame that draws the rows, as the rest of the rows are built.
                request_animation_frame(move || {
                    set_timeout(
                        move || _ = input.set_attribute("type", "datetime-local"),
                        std::time::Duration::ZERO,
                    );
                });
                return true;
            }
            false
        });
        let value = move || {
            let f = filters.get();
            let bound = if is_from { f.from_ms } else { f.to_ms };
            match (f.range, bound) {
                (Range::Custom, Some(ms)) => local_input_value(ms, local_offset_minutes(ms)),
                _ => String::new(),
            }
        };
        let change = move |e: leptos::ev::Event| {
            let text = event_target_value(&e);
            let now = now_ms();
            let ms = parse_local_input(&text, local_offset_minutes);
            let f = filters.get_untracked();
            let b = f.bounds(now, local_offset_minutes);
            let next = if is_from {
                f.with_custom(ms, b.1)
            } else {
                f.with_custom(b.0, ms)
            };
            report(next);
        };
        view! {
            <label class="ev-field ev-filters__bound">
                <span class="ev-field__label">{label}</span>
                <input
                    node_ref=input
                    class="ev-input"
                    data-testid=if is_from { "range-from" } else { "range-to" }
                    prop:value=value
                    on:change=change
                />
            </label>
        }
    };

    let q = Signal::derive(move || filters.with(|f| f.q.clone()));
    // What the query bar holds: "Save search" saves what the person sees there, pressed Enter or not.
    let draft = RwSignal::new(q.get_untracked());
    view! {
        <div class="ev-filters" data-testid="filter-bar">
            <div class="ev-filters__time">
                <div class="ev-segment" role="group" aria-label="Time range">{ranges}</div>
                {bound_input("From", true)}
                {bound_input("To", false)}
                <button
                    type="button"
                    class="ev-button ev-button--ghost ev-filters__reset"
                    data-testid="filter-reset"
                    // Not `disabled`: the button that was just pressed would drop the keyboard focus.
                    aria-disabled=move || filters.with(Filters::is_default).to_string()
                    on:click=move |_| if !filters.with_untracked(Filters::is_default) { on_change.run(Filters::default()) }
                >
                    "Reset"
                </button>
            </div>
            <QueryBar q=q on_submit=Callback::new(with_q) draft=draft/>
            <SavedSearches q=draft on_choose=Callback::new(with_q)/>
            <div class="ev-filters__pickers" role="group" aria-label="Narrow by">
                <Pickers q=q facets=facets on_change=Callback::new(with_q)/>
            </div>
        </div>
    }
}
