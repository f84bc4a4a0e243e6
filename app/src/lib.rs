//! Evident's dashboard: a client-side Leptos app that reads the audit log through the worker's JSON API.
//!
//! This file wires the shell: shared state in context, the header, the read-key gate and the routes.
//! Pages live in [`pages`] (one routed page per file), reusable pieces in [`components`], the HTTP client
//! in [`api`], and the pure logic (filters, formatting) in modules tested natively.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

pub mod api;
pub mod components;
pub mod filters;
pub mod format;
pub mod json;
pub mod key;
pub mod pages;
pub mod wire;

use components::header::AppHeader;
use key::Auth;
use pages::{detail::DetailPage, events::EventsPage, key_prompt::KeyPrompt, not_found::NotFound};

/// The URL of the events list last shown (path and query), so the detail page's back link returns to
/// the same filters.
#[derive(Debug, Clone, Copy)]
pub struct LastList(pub RwSignal<String>);

/// The whole dashboard.
#[component]
pub fn App() -> impl IntoView {
    let auth = Auth::from_session();
    provide_context(auth);
    provide_context(LastList(RwSignal::new("/".to_owned())));

    // A memo, so re-entering a key does not rebuild the routes.
    let signed_in = Memo::new(move |_| auth.signed_in());
    view! {
        <Router>
            <AppHeader/>
            <main class="ev-main">
                {move || if signed_in.get() {
                    view! {
                        <Routes fallback=NotFound>
                            <Route path=path!("/") view=EventsPage/>
                            <Route path=path!("/events") view=EventsPage/>
                            <Route path=path!("/events/:id") view=DetailPage/>
                        </Routes>
                    }
                        .into_any()
                } else {
                    view! { <KeyPrompt/> }.into_any()
                }}
            </main>
        </Router>
    }
}
