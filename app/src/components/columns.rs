//! The events table's column chooser: a menu of checkboxes (a native `<details>`, so it opens and
//! closes without code) that hides or shows every column but the time. The choice is the reader's
//! preference, not part of the view: it is kept in localStorage, not in the URL, and applied as the
//! table's `data-hide` attribute, which the CSS turns into hidden cells (style/events.css), so no row
//! is rebuilt when it changes.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The localStorage item holding the hidden columns' names, space-separated.
pub const COLUMNS_KEY: &str = "evident.columns";

/// The columns that can be hidden: (name in `data-hide`, label), in table order after the time.
pub const COLUMNS: [(&str, &str); 6] = [
    ("actor", "Actor"),
    ("action", "Action"),
    ("outcome", "Outcome"),
    ("target", "Target"),
    ("environment", "Environment"),
    ("ip", "IP"),
];

/// The hidden columns a stored value names, in table order; unknown names are ignored.
pub fn parse_hidden(stored: &str) -> Vec<&'static str> {
    let names: Vec<&str> = stored.split_whitespace().collect();
    COLUMNS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| names.contains(name))
        .collect()
}

/// `hidden` with `name` shown or hidden, in table order.
pub fn with_column(hidden: &[&'static str], name: &'static str, shown: bool) -> Vec<&'static str> {
    COLUMNS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| {
            if *n == name {
                !shown
            } else {
                hidden.contains(n)
            }
        })
        .collect()
}

/// The hidden columns kept in this browser.
pub fn stored_hidden() -> Vec<&'static str> {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(COLUMNS_KEY).ok().flatten())
        .map(|v| parse_hidden(&v))
        .unwrap_or_default()
}

/// The chooser; `hidden` is the table's hidden columns.
#[component]
pub fn ColumnChooser(hidden: RwSignal<Vec<&'static str>>) -> impl IntoView {
    let boxes = COLUMNS
        .into_iter()
        .map(|(name, label)| {
            let change = move |e: leptos::ev::Event| {
                let next = with_column(&hidden.get_untracked(), name, event_target_checked(&e));
                if let Ok(Some(storage)) = window().local_storage() {
                    _ = storage.set_item(COLUMNS_KEY, &next.join(" "));
                }
                hidden.set(next);
            };
            view! {
                <label class="ev-columns__item">
                    <input
                        type="checkbox"
                        data-testid=format!("column-{name}")
                        prop:checked=move || hidden.with(|h| !h.contains(&name))
                        on:change=change
                    />
                    {label}
                </label>
            }
        })
        .collect_view();
    // Esc closes the menu and puts the focus back on its button, as a menu's Esc does.
    let close_on_escape = move |e: leptos::ev::KeyboardEvent| {
        let Some(details) = e
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .filter(|d| e.key() == "Escape" && d.has_attribute("open"))
        else {
            return;
        };
        e.prevent_default();
        _ = details.remove_attribute("open");
        if let Some(summary) = details
            .query_selector("summary")
            .ok()
            .flatten()
            .and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok())
        {
            _ = summary.focus();
        }
    };
    view! {
        <details class="ev-columns" data-testid="columns" on:keydown=close_on_escape>
            <summary class="ev-button ev-button--ghost">"Columns"</summary>
            <fieldset class="ev-columns__menu">
                <legend class="ev-visually-hidden">"Columns shown"</legend>
                {boxes}
            </fieldset>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_choices_read_in_table_order_and_ignore_unknown_names() {
        assert_eq!(parse_hidden("ip actor"), ["actor", "ip"]);
        assert_eq!(parse_hidden("  time bogus  ip "), ["ip"]);
        assert!(parse_hidden("").is_empty());
    }

    #[test]
    fn a_column_is_hidden_and_shown_again() {
        let hidden = with_column(&[], "ip", false);
        assert_eq!(hidden, ["ip"]);
        let hidden = with_column(&hidden, "actor", false);
        assert_eq!(hidden, ["actor", "ip"]);
        assert_eq!(with_column(&hidden, "ip", true), ["actor"]);
        assert_eq!(with_column(&hidden, "ip", false), ["actor", "ip"]);
    }
}
