//! Evident's dashboard: a client-side Leptos app that reads the audit log through the worker's JSON API.
//!
//! This file wires the shell: shared state in context, the header, the read-key gate and the routes.
//! Pages live in [`pages`] (one routed page per file), reusable pieces in [`components`], the HTTP client
//! in [`api`], paths and history in [`router`], and the pure logic (filters, formatting, reading JSON) in
//! modules tested natively.

use leptos::prelude::*;

pub mod api;
pub mod chart;
pub mod components;
pub mod filters;
pub mod format;
pub mod json;
pub mod key;
pub mod pages;
pub mod prefetch;
pub mod query_terms;
pub mod router;
pub mod stats;
pub mod wire;

use components::header::AppHeader;
use key::Auth;
use pages::{
    actor::ActorPage, detail::DetailPage, events::EventsPage, key_prompt::KeyPrompt,
    not_found::NotFound, resource::ResourcePage,
};
use router::{Location, Page};

/// The URL of the events list last shown (path and query), so the detail page's back link returns to
/// the same filters.
#[derive(Debug, Clone, Copy)]
pub struct LastList(pub RwSignal<String>);

/// The event last opened from the events list, with that list's URL (as [`LastList`] holds it):
/// coming back to the same list (Back, `Esc`, a back link) puts the focus on that event's row again,
/// so a keyboard user goes on from where they were.
#[derive(Debug, Clone, Copy)]
pub struct OpenedRow(pub StoredValue<Option<(String, String)>>);

/// The skip link's action: the focus to the page, without a `#main` left in the URL.
fn skip_to_main(e: web_sys::MouseEvent) {
    e.prevent_default();
    router::focus_main();
}

/// The whole dashboard.
#[component]
pub fn App() -> impl IntoView {
    let auth = Auth::from_session();
    provide_context(auth);
    provide_context(LastList(RwSignal::new("/".to_owned())));
    provide_context(OpenedRow(StoredValue::new(None)));
    provide_context(pages::history::KeptHistory::default());
    let location = Location::provide();

    // A memo, so re-entering a key does not rebuild the page.
    let signed_in = Memo::new(move |_| auth.signed_in());
    // Rebuilt when the page changes, not when only the query does.
    let page = move || match location.page.get() {
        Page::Home | Page::Events => view! { <EventsPage/> }.into_any(),
        Page::Event(id) => view! { <DetailPage id/> }.into_any(),
        Page::Actor(id) => view! { <ActorPage id/> }.into_any(),
        Page::Resource(kind, id) => view! { <ResourcePage kind id/> }.into_any(),
        Page::NotFound => view! { <NotFound/> }.into_any(),
    };
    view! {
        // The first stop of the Tab key, shown only when focused: past the header to the page.
        <a class="ev-skip" href="#main" data-testid="skip-link" on:click=skip_to_main>"Skip to content"</a>
        <AppHeader/>
        // Focusable by script only: it takes the focus when the page changes (router::Location).
        <main class="ev-main" id="main" tabindex="-1">
            {move || {
                if signed_in.get() {
                    page()
                } else if auth.checked() {
                    view! { <KeyPrompt/> }.into_any()
                } else {
                    ().into_any()
                }
            }}
        </main>
    }
}
