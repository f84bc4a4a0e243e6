//! The copy button over executed code on the event page: one click puts the code, exactly as stored,
//! on the clipboard, and the button says whether that worked.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

/// What the copy button last did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Copied {
    Not,
    Done,
    Failed,
}

/// A button that copies `text` to the clipboard.
#[component]
pub fn CopyButton(
    /// What to copy.
    text: String,
) -> impl IntoView {
    let state = RwSignal::new(Copied::Not);
    let copy = move |_| {
        // Only a secure page (https, localhost) has a clipboard: elsewhere the button says it failed.
        let navigator = window().navigator();
        let has_clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())
            .is_ok_and(|clipboard| !clipboard.is_undefined());
        let promise = has_clipboard.then(|| navigator.clipboard().write_text(&text));
        spawn_local(async move {
            let done = match promise {
                Some(promise) => JsFuture::from(promise).await.is_ok(),
                None => false,
            };
            state.try_set(if done { Copied::Done } else { Copied::Failed });
            set_timeout(
                move || {
                    state.try_set(Copied::Not);
                },
                Duration::from_secs(2),
            );
        });
    };
    view! {
        <button
            type="button"
            class="ev-button ev-button--small ev-code__copy"
            data-testid="copy-code"
            on:click=copy
        >
            <span aria-live="polite">
                {move || match state.get() {
                    Copied::Not => "Copy",
                    Copied::Done => "Copied",
                    Copied::Failed => "Copy failed",
                }}
            </span>
        </button>
    }
}
