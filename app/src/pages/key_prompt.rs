//! The read-key prompt, shown instead of every page until a key is set, and again (with the reason)
//! after the API rejects the key.

use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;

use crate::key::Auth;

/// Asks for the read key.
#[component]
pub fn KeyPrompt() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let input = NodeRef::<html::Input>::new();
    let on_submit = move |e: SubmitEvent| {
        e.prevent_default();
        let key = input
            .get_untracked()
            .map(|i| i.value())
            .unwrap_or_default()
            .trim()
            .to_owned();
        if !key.is_empty() {
            auth.sign_in(key);
        }
    };

    view! {
        <section class="ev-page ev-key" data-testid="key-prompt">
            <form class="ev-card ev-key__card" on:submit=on_submit>
                <h1 class="ev-key__title">"Sign in with a read key"</h1>
                <p class="ev-key__hint">
                    "The key stays in this browser tab (session storage) and is sent only to this site's API."
                </p>
                {move || {
                    auth.notice()
                        .map(|message| {
                            view! {
                                <p class="ev-alert" role="alert" data-testid="key-message">
                                    {message}
                                </p>
                            }
                        })
                }}
                <label class="ev-field">
                    <span class="ev-field__label">"Read key"</span>
                    <input
                        class="ev-input"
                        type="password"
                        name="read-key"
                        autocomplete="off"
                        required
                        autofocus
                        data-testid="key-input"
                        node_ref=input
                    />
                </label>
                <button type="submit" class="ev-button ev-button--primary" data-testid="key-submit">
                    "Continue"
                </button>
                <p class="ev-key__hint">
                    "Have an account? " <a href="/sign-in" rel="external" data-testid="sign-in-link">"Sign in with e-mail and password"</a>
                </p>
            </form>
        </section>
    }
}
