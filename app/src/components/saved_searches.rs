//! Saved searches in the filter bar: a list of the tenant's named queries (choosing one runs it) and
//! a small form that saves the current query under a name (`/api/v1/saved-searches`). The server
//! checks the name and the query and says what is wrong, and its refusal is shown as it is. People
//! who may not share searches (members) do not see them: the control is hidden and nothing is asked.
//!
//! The markup is static and the few changing parts (the options, the form's visibility, the message)
//! are set on the DOM directly: reactive children cost the wasm about 10 KB of gzip here. Names
//! and messages are only ever set as text.

use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{self, SavedSearch};
use crate::components::keyed_select::KeyedChoice;
use crate::key::Auth;

/// Provided by a page whose own first request should go before the saved searches; they are asked
/// for once the signal is true.
#[derive(Debug, Clone, Copy)]
pub struct LoadWhen(pub RwSignal<bool>);

/// The saved-search list and the save form.
#[component]
pub fn SavedSearches(
    /// The query in the bar now (what "Save" saves; the server checks it).
    #[prop(into)]
    q: Signal<String>,
    /// Called with a saved search's query when one is chosen.
    on_choose: Callback<String>,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    // A read key's caller may (the server refuses an ingest key's anyway).
    let shared = auth.person().is_none_or(|p| p.shares_searches);
    let list = StoredValue::new(Vec::<SavedSearch>::new());
    // One reference, to the container; its parts are found by their test ids (each typed node
    // reference would be more compiled code).
    let root = NodeRef::<html::Div>::new();
    let part = move |id: &str| -> Option<web_sys::Element> {
        // try_: answers can come after the page was left.
        root.try_get_untracked()
            .flatten()?
            .query_selector(&format!("[data-testid={id}]"))
            .ok()?
    };
    let select =
        move || part("saved-list").and_then(|e| e.dyn_into::<web_sys::HtmlSelectElement>().ok());
    let form = move || part("save-form").and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    let say = move |text: &str| {
        if let Some(m) = part("save-message") {
            m.set_text_content(Some(text));
        }
    };

    // Fills the list: the placeholder, then one option per saved search (its query as the tooltip).
    let load = move || {
        leptos::task::spawn_local(async move {
            let Ok(found) = auth.guard(api::saved_searches(&auth.key_untracked()).await) else {
                return;
            };
            if let Some(select) = select() {
                while select.length() > 1 {
                    select.remove_with_index(1);
                }
                let document = document();
                for s in &found {
                    if let Ok(option) = document.create_element("option") {
                        _ = option.set_attribute("value", &s.id);
                        _ = option.set_attribute("title", &s.q);
                        option.set_text_content(Some(&s.name));
                        _ = select.append_child(&option);
                    }
                }
            }
            _ = list.try_set_value(found);
        });
    };
    // Asked for once the page's first rows have come (the events list goes first: D1 answers one
    // query at a time), or at once where the page waits for nothing.
    let ready = use_context::<LoadWhen>().map(|w| w.0);
    Effect::new(move |loaded: Option<bool>| {
        if loaded == Some(true) {
            return true;
        }
        let now = ready.is_none_or(|r| r.get());
        if now && shared {
            load();
        }
        now
    });

    // Choosing runs the search, and the list goes back to its placeholder: it does not stay chosen.
    // From the keyboard the choice waits for Enter or for the focus to leave (`KeyedChoice`), or
    // arrowing down would run the first search and reset, and never reach the second.
    let run = KeyedChoice::new(move |id: String| {
        if let Some(select) = select() {
            select.set_value("");
        }
        if let Some(found) = list.with_value(|l| l.iter().find(|s| s.id == id).cloned()) {
            on_choose.run(found.q);
        }
    });
    let choose = move |_| match select().map(|s| s.value()).filter(|id| !id.is_empty()) {
        Some(id) => run.choose(id),
        None => run.forget(),
    };
    let toggle = move |_| {
        say("");
        if let Some(form) = form() {
            form.set_hidden(!form.hidden());
            let input = part("save-name").and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(input) = input.filter(|_| !form.hidden()) {
                _ = input.focus();
            }
        }
    };
    let submit = move |e: SubmitEvent| {
        e.prevent_default();
        let text = part("save-name")
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|i| i.value())
            .unwrap_or_default();
        let query = q.get_untracked();
        leptos::task::spawn_local(async move {
            let csrf = auth.csrf_untracked();
            let saved =
                api::save_search(&auth.key_untracked(), csrf.as_deref(), text.trim(), &query).await;
            match auth.guard(saved) {
                Ok(s) => {
                    say(&format!("Saved as “{}”", s.name));
                    if let Some(form) = form() {
                        form.set_hidden(true);
                    }
                    // The focus was in the form just hidden: back to the button that opened it.
                    let opener =
                        part("save-search").and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                    if let Some(opener) = opener {
                        _ = opener.focus();
                    }
                    load();
                }
                Err(err) => say(&err.to_string()),
            }
        });
    };

    view! {
        <div class="ev-saved" data-testid="saved-searches" node_ref=root hidden=!shared>
            <select
                class="ev-input ev-saved__list"
                aria-label="Saved searches"
                data-testid="saved-list"
                on:change=choose
                on:keydown=move |e| run.keydown(&e)
                on:pointerdown=move |_| run.pointer()
                on:blur=move |_| run.apply()
            >
                <option value="">"Saved searches…"</option>
            </select>
            <button type="button" class="ev-button ev-button--ghost" data-testid="save-search" on:click=toggle>
                "Save search"
            </button>
            <form class="ev-saved__form" hidden data-testid="save-form" on:submit=submit>
                <label class="ev-field">
                    <span class="ev-field__label">"Name"</span>
                    <input class="ev-input" required data-testid="save-name"/>
                </label>
                <button type="submit" class="ev-button ev-button--primary" data-testid="save-submit">
                    "Save"
                </button>
            </form>
            <span class="ev-saved__message" role="status" data-testid="save-message"></span>
        </div>
    }
}
