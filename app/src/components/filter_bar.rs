//! The events list's filter bar: time presets, actor and action text filters, and an outcome choice.
//!
//! It holds no state of its own: it shows the [`Filters`] it is given (which come from the URL) and
//! reports every change as a complete new `Filters`, which the page writes back to the URL. The form's
//! field names are the URL's query parameter names, so reading the form is [`Filters::from_query`] over
//! its `FormData`. Text inputs report on Enter or when they lose focus (the `change` event), not on every
//! keystroke, so each request is one the user meant.
//!
//! The fields are rendered by one reactive closure with plain values inside rather than a reactive
//! binding per attribute: every binding is compiled wasm, and this measured 2 KB gzip smaller. A range
//! button applies the text fields as they stand, typed or not.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;

use crate::filters::{Filters, Range};

/// The outcome select's options: (URL value, label).
const OUTCOME_CHOICES: [(&str, &str); 8] = [
    ("", "Any outcome"),
    ("success", "Success"),
    ("failure", "Failure"),
    ("denied", "Denied"),
    ("pending", "Pending"),
    ("in_progress", "In progress"),
    ("unknown", "Unknown"),
    ("failure,denied", "Failure or denied"),
];

/// The filter bar.
#[component]
pub fn FilterBar(
    /// The filters shown.
    #[prop(into)]
    filters: Signal<Filters>,
    /// Called with the new filters on every change.
    #[prop(into)]
    on_change: Callback<Filters>,
) -> impl IntoView {
    let form = NodeRef::<html::Form>::new();
    // Reads the form, lets `change` adjust the result, and reports it if it differs from the URL's.
    let report = move |change: &dyn Fn(&mut Filters)| {
        let Some(data) = form
            .get_untracked()
            .and_then(|f| web_sys::FormData::new_with_form(&f).ok())
        else {
            return;
        };
        let mut next = Filters::from_query(|name| data.get(name).as_string());
        change(&mut next);
        if next != filters.get_untracked() {
            on_change.run(next);
        }
    };

    let fields = move || {
        let current = filters.get();
        let ranges = Range::ALL
            .into_iter()
            .map(|range| {
                let active = current.range == range;
                view! {
                    <button
                        type="button"
                        class="ev-segment__item"
                        class:ev-segment__item--active=active
                        aria-pressed=if active { "true" } else { "false" }
                        data-testid=range.testid()
                        on:click=move |_| report(&|f| f.range = range)
                    >
                        {range.label()}
                    </button>
                }
            })
            .collect_view();
        let outcome = current.outcome_param();
        let mut choices: Vec<(String, String)> = OUTCOME_CHOICES
            .iter()
            .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
            .collect();
        // A combination typed into the URL still shows as selected.
        if !choices.iter().any(|(v, _)| *v == outcome) {
            choices.push((outcome.clone(), outcome.replace(',', ", ")));
        }
        let choices = choices
            .into_iter()
            .map(|(value, label)| {
                let selected = value == outcome;
                view! { <option value=value prop:selected=selected>{label}</option> }
            })
            .collect_view();

        view! {
            <input type="hidden" name="range" prop:value=current.range.as_str()/>
            <div class="ev-segment" role="group" aria-label="Time range">{ranges}</div>
            <label class="ev-field ev-filters__text">
                <span class="ev-field__label">"Actor"</span>
                <input
                    class="ev-input"
                    type="text"
                    name="actor"
                    spellcheck="false"
                    autocomplete="off"
                    placeholder="alice@corp.com or user id"
                    data-testid="filter-actor"
                    prop:value=current.actor.clone()
                />
            </label>
            <label class="ev-field ev-filters__text">
                <span class="ev-field__label">"Action"</span>
                <input
                    class="ev-input"
                    type="text"
                    name="action"
                    spellcheck="false"
                    autocomplete="off"
                    placeholder="app.delete or app.*"
                    data-testid="filter-action"
                    prop:value=current.action.clone()
                />
            </label>
            <label class="ev-field ev-filters__outcome">
                <span class="ev-field__label">"Outcome"</span>
                <select class="ev-input ev-select" name="outcome" data-testid="filter-outcome">
                    {choices}
                </select>
            </label>
            <button
                type="button"
                class="ev-button ev-button--ghost ev-filters__reset"
                data-testid="filter-reset"
                disabled=current.is_default()
                on:click=move |_| on_change.run(Filters::default())
            >
                "Reset"
            </button>
        }
    };

    view! {
        <form
            class="ev-filters"
            role="search"
            node_ref=form
            on:change=move |_| report(&|_| ())
            on:submit=move |e: ev::SubmitEvent| {
                e.prevent_default();
                report(&|_| ());
            }
        >
            {fields}
            // Lets Enter in a text field submit the form even though it has several fields.
            <button type="submit" hidden></button>
        </form>
    }
}
