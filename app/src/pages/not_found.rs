//! The page for paths the router does not know (the worker serves the app for every non-API path).

use leptos::prelude::*;

/// "Page not found", with a way back.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="ev-page ev-empty" data-testid="not-found">
            <h1 class="ev-page__title">"Page not found"</h1>
            <p><a href="/">"Back to all events"</a></p>
        </section>
    }
}
