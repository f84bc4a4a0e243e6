//! The query bar: the search language (SPEC 4.1) with its errors shown where they are, before anything
//! is sent.
//!
//! Every keystroke is parsed with the shared parser (the worker's own), and an error underlines its byte
//! span in a mirror of the text laid exactly under the transparent input (both monospaced), with the
//! message and what was expected below. Enter sends the query only when it parses; `Esc` leaves the bar.
//! The text typed is kept while it differs from the URL's, and replaced when the URL changes (a picker,
//! Back).

use evident_shared::query::{parse, QueryError};
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The input's id, which `/` focuses from anywhere on the events page.
pub const QUERY_INPUT_ID: &str = "ev-query";

/// The syntax help under the bar.
const SYNTAX_HELP: &str = r#"<summary>Syntax</summary><ul>
<li><code>field:value</code> — actor, action, outcome, env, workspace, app, target.type, ip, country, metadata.key …</li>
<li><code>outcome:failure,denied</code> — commas mean or; <code>action:app.*</code> — prefix</li>
<li><code>-env:dev</code> — not; <code>occurred:&gt;=2024-06-01</code>, <code>occurred:&lt;-7d</code>, <code>duration:&gt;1s</code></li>
<li><code>sales</code>, <code>"sales report"</code>, <code>deploy*</code> — full text in names, descriptions, code and payloads</li></ul>"#;

/// The query bar.
#[component]
pub fn QueryBar(
    /// The query in the URL.
    #[prop(into)]
    q: Signal<String>,
    /// Called with a query that parses when the user presses Enter.
    #[prop(into)]
    on_submit: Callback<String>,
    /// What is typed in the bar, submitted or not (the saved searches' form saves it).
    draft: RwSignal<String>,
) -> impl IntoView {
    // The draft follows the URL's query when that query changes, not whenever the URL does: a new
    // time range or a chart zoom keeps what is being typed.
    Effect::new(move |last: Option<String>| {
        let now = q.get();
        if last.as_ref().is_some_and(|last| *last != now) {
            draft.set(now.clone());
        }
        now
    });
    let error = Memo::new(move |_| draft.with(|text| parse(text).err()));

    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        if error.with_untracked(Option::is_none) {
            on_submit.run(draft.get_untracked().trim().to_owned());
        }
    };
    let keydown = move |e: ev::KeyboardEvent| {
        if e.key() == "Escape" {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
            {
                _ = input.blur();
            }
        }
    };
    // How far the input's text is scrolled sideways (a query longer than the box): the mirror's
    // text moves with it, so the mark stays under its characters.
    let scrolled = RwSignal::new(0);
    let follow = move |e: ev::Event| {
        if let Some(input) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        {
            scrolled.set(input.scroll_left());
        }
    };
    // The mirror: the text before the span, the span (a space when it is empty, so the mark shows
    // where something is missing), the rest.
    let mirror = move || {
        let text = draft.get();
        error.with(|e| {
            let e = e.as_ref()?;
            let start = e.span.start.min(text.len());
            let end = e.span.end.clamp(start, text.len());
            let (before, marked, after) = (&text[..start], &text[start..end], &text[end..]);
            let marked = if marked.is_empty() { " " } else { marked };
            Some(view! {
                <div class="ev-query__mirror" aria-hidden="true">
                    <span style=move || format!("transform:translateX(-{}px)", scrolled.get())>
                        {before.to_owned()}
                        <mark
                            class="ev-query__mark"
                            data-testid="query-error-mark"
                            data-start=start
                            data-end=end
                        >
                            {marked.to_owned()}
                        </mark>
                        {after.to_owned()}
                    </span>
                </div>
            })
        })
    };

    view! {
        <form class="ev-query" role="search" on:submit=submit>
            <label class="ev-field__label" for=QUERY_INPUT_ID>
                "Search "
                <kbd class="ev-kbd" title="Press / to focus the search">"/"</kbd>
            </label>
            <div class="ev-query__box" class:ev-query__box--error=move || error.with(Option::is_some)>
                {mirror}
                <input
                    id=QUERY_INPUT_ID
                    class="ev-input ev-query__input"
                    type="search"
                    name="q"
                    spellcheck="false"
                    autocomplete="off"
                    placeholder="actor:alice@corp.com action:app.* outcome:failure -env:dev \"sales report\""
                    aria-describedby="ev-query-help"
                    aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                    data-testid="query-input"
                    prop:value=move || draft.get()
                    on:input=move |e| draft.set(event_target_value(&e))
                    on:keydown=keydown
                    on:scroll=follow
                />
                <button type="submit" class="ev-button ev-query__go" data-testid="query-submit">
                    "Search"
                </button>
            </div>
            // Not a live region: it changes with nearly every keystroke. The input names it as its
            // description and says it is invalid, which is how a field's error is announced.
            <p id="ev-query-help" class="ev-query__status">
                {move || error.with(|e| e.as_ref().map(|e| draft.with(|text| explain(e, text))))}
            </p>
            // Static markup as one string: a view per element is compiled code, a string is data.
            <details class="ev-query__help" inner_html=SYNTAX_HELP></details>
        </form>
    }
}

/// The line under the bar for an error in `text`: the parser's message, the column (in characters:
/// the span is in bytes), and what would fit.
fn explain(error: &QueryError, text: &str) -> impl IntoView {
    let expected = match error.expected.as_slice() {
        [] => String::new(),
        [one] => format!(" Expected {one}."),
        many => format!(" Expected one of: {}.", many.join(", ")),
    };
    view! {
        <span class="ev-query__error" data-testid="query-error">
            {format!("{} (column {}).{expected}", error.message, column(text, error.span.start))}
        </span>
    }
}

/// The 1-based column, in characters, of byte `at` of `text`.
fn column(text: &str, at: usize) -> usize {
    let before = text.get(..at).unwrap_or(text);
    before.chars().count() + 1
}

#[cfg(test)]
mod tests {
    use super::column;

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(column("env:prod", 0), 1);
        assert_eq!(column("env:prod x:", 9), 10);
        // `é` is two bytes: byte 6, the `x`, is the sixth character.
        assert_eq!(column("café x:", 6), 6);
        assert_eq!(column("ab", 99), 3);
    }
}
