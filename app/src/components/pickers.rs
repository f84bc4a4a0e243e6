//! The pickers: environment, workspace, user, app, resource type, event type and status, each a select
//! of the values that occur in the current view with their counts (one `GET /api/v1/facets` for all of
//! them).
//!
//! A choice is a term of the query ([`crate::query_terms`]): picking `prod` writes `env:prod` into `q`,
//! "Any" removes it, and a term typed in the query bar shows as the picker's choice. With one facets
//! request for the whole view, a chosen picker lists only its chosen value; "Any" widens it again.
//! Resource type counts the events with a target of each type (over the newest matching events, so
//! shown as `≈`), which is what choosing one (a `target.type` term) then shows.

use evident_shared::query::Field;
use leptos::prelude::*;

use crate::chart::thousands;
use crate::components::keyed_select::KeyedChoice;
use crate::query_terms::{chosen, with_choice};
use crate::stats::Facets;

/// The pickers: (facet name, query field, label, the "any" choice).
pub const PICKERS: [(&str, Field, &str, &str); 7] = [
    ("env", Field::Env, "Environment", "Any environment"),
    ("workspace", Field::Workspace, "Workspace", "Any workspace"),
    ("actor", Field::Actor, "User", "Any user"),
    ("app", Field::App, "App", "Any app"),
    (
        "target.type",
        Field::TargetType,
        "Resource type",
        "Any resource type",
    ),
    ("action", Field::Action, "Event type", "Any event type"),
    ("outcome", Field::Outcome, "Status", "Any status"),
];

/// The `field` parameter of the facets request.
pub const FACET_FIELDS: &str = "env,workspace,actor,app,target.type,action,outcome";

/// The row of pickers.
#[component]
pub fn Pickers(
    /// The query in the URL.
    #[prop(into)]
    q: Signal<String>,
    /// The counts for the current view, once loaded.
    #[prop(into)]
    facets: Signal<Option<Facets>>,
    /// Called with the new query when a choice changes it.
    #[prop(into)]
    on_change: Callback<String>,
) -> impl IntoView {
    PICKERS
        .into_iter()
        .map(|(name, field, label, any)| {
            // The choices (values and their text: "any", the counted values, and the picked ones when
            // not counted yet), the values picked, and whether the query can take a choice.
            let state = Memo::new({
                let field = field.clone();
                move |_| {
                    let current = q.get();
                    let picked = chosen(&current, &field).unwrap_or_default();
                    let mut choices: Vec<(Vec<String>, String)> =
                        vec![(Vec::new(), any.to_owned())];
                    facets.with(|f| {
                        // Counted over the newest matching events only: approximate, and said so.
                        let about = if f.as_ref().is_some_and(|f| f.is_sampled(name)) {
                            "≈"
                        } else {
                            ""
                        };
                        for v in f.as_ref().map_or(&[][..], |f| f.values(name)) {
                            if let Some(value) = &v.value {
                                choices.push((
                                    vec![value.clone()],
                                    format!("{value} ({about}{})", thousands(v.count)),
                                ));
                            }
                        }
                    });
                    if !picked.is_empty() && !choices.iter().any(|(v, _)| *v == picked) {
                        choices.push((picked.clone(), picked.join(", ")));
                    }
                    let readable = with_choice(&current, &field, &[]).is_some();
                    (choices, picked, readable)
                }
            });
            // Arrowing through the values searches for none of them (see `KeyedChoice`).
            let choice = KeyedChoice::new(move |next| on_change.run(next));
            let change = move |e: leptos::ev::Event| {
                let index: usize = event_target_value(&e).parse().unwrap_or(0);
                let values = state.with_untracked(|(choices, ..)| {
                    choices.get(index).map(|(v, _)| v.clone()).unwrap_or_default()
                });
                match with_choice(&q.get_untracked(), &field, &values) {
                    Some(next) => choice.choose(next),
                    None => choice.forget(),
                }
            };
            // The select stays while its options follow the view, so it keeps the focus. New
            // options show the view's choice again, so a waiting one is dropped with the old.
            let options = move || {
                choice.forget();
                state.with(|(choices, picked, _)| {
                    choices
                        .iter()
                        .enumerate()
                        .map(|(i, (values, text))| {
                            let text = text.clone();
                            view! { <option value=i prop:selected=values == picked>{text}</option> }
                        })
                        .collect_view()
                })
            };
            let readable = move || state.with(|(.., readable)| *readable);
            view! {
                <label class="ev-field ev-picker">
                    <span class="ev-field__label">{label}</span>
                    <select
                        class="ev-input ev-select"
                        class:ev-select--chosen=move || state.with(|(_, picked, _)| !picked.is_empty())
                        data-testid=format!("picker-{name}")
                        disabled=move || !readable()
                        title=move || if readable() { "" } else { "Fix the search query to use the pickers" }
                        on:change=change
                        on:keydown=move |e| choice.keydown(&e)
                        on:pointerdown=move |_| choice.pointer()
                        on:blur=move |_| choice.apply()
                    >
                        {options}
                    </select>
                </label>
            }
        })
        .collect_view()
}
