//! The bar across the top of every page: the product name (a link home), the theme toggle and, once a
//! key is set, the button that forgets it.

use leptos::prelude::*;

use crate::components::theme_toggle::ThemeToggle;
use crate::key::Auth;

/// The app header.
#[component]
pub fn AppHeader() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <header class="ev-header">
            <a class="ev-header__brand" href="/" data-testid="brand">
                <svg class="ev-header__logo" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3Z"/>
                    <path class="ev-header__tick" d="m8.5 12 2.5 2.5 4.5-5"/>
                </svg>
                <span class="ev-header__name">"Evident"</span>
            </a>
            <span class="ev-header__tagline">"Audit log"</span>
            <ThemeToggle/>
            {move || auth.signed_in().then(|| view! {
                <button
                    type="button"
                    class="ev-button ev-button--ghost ev-header__signout"
                    data-testid="sign-out"
                    on:click=move |_| auth.sign_out()
                >
                    "Forget key"
                </button>
            })}
        </header>
    }
}
